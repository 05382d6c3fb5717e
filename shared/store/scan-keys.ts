/**
 * Walking keys by pattern (SCAN) on one server or every master of a Cluster: what migrations,
 * exports and emptiness checks need, never a request path. Batches as SCAN returns them; a key
 * may come twice (SCAN's own guarantee), callers are idempotent or dedupe.
 */
import { Cluster } from 'ioredis';
import type { RedisClient } from './redis-connection.js';

/** `s` with Redis glob characters escaped, for a MATCH pattern. */
export function globEscape(s: string): string {
  return s.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

/** Every key matching `pattern`, in batches. */
export async function* scanKeys(
  redis: RedisClient,
  pattern: string,
  opts: { count?: number; signal?: AbortSignal } = {},
): AsyncGenerator<string[]> {
  const nodes = redis instanceof Cluster ? redis.nodes('master') : [redis];
  for (const node of nodes) {
    let cursor = '0';
    do {
      opts.signal?.throwIfAborted();
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', opts.count ?? 1000);
      cursor = next;
      if (keys.length > 0) yield keys;
    } while (cursor !== '0');
  }
}

/** Whether any key matches `pattern`. */
export async function anyKey(
  redis: RedisClient,
  pattern: string,
  opts: { signal?: AbortSignal } = {},
): Promise<boolean> {
  for await (const batch of scanKeys(redis, pattern, opts)) if (batch.length > 0) return true;
  return false;
}
