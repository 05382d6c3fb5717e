/**
 * Metric samples shared by every process through Redis: one hash (its own cluster slot) of
 * exposition sample key -> value, added to with HINCRBYFLOAT. Workers record into it; the API's
 * /metrics renders it, so the numbers cover every worker process. Recording is fire-and-forget:
 * a metrics write never fails or slows a scan (errors are counted in `droppedWrites`).
 */
import type { RedisClient } from '../store/redis-connection.js';
import { StoreKeys } from '../store/store-keys.js';
import type { SampleStore } from './registry.js';

export interface RedisSampleStoreOptions {
  /** Key prefix (configuration `redis.keyPrefix`). */
  prefix: string;
  /** Which shared hash: `scans` for the worker families. Default `scans`. */
  name?: string;
}

/** The hash holding shared samples. */
export function metricsKey(prefix: string, name = 'scans'): string {
  return `${new StoreKeys(prefix).root}:metrics:{${name}}`;
}

export class RedisSampleStore implements SampleStore {
  readonly key: string;
  /** Writes that failed (Redis down): they are lost, never retried. */
  droppedWrites = 0;
  readonly #pending = new Set<Promise<unknown>>();

  constructor(
    private readonly redis: RedisClient,
    opts: RedisSampleStoreOptions,
  ) {
    this.key = metricsKey(opts.prefix, opts.name);
  }

  #track(p: Promise<unknown>): void {
    const q = p.catch(() => {
      this.droppedWrites++;
    });
    this.#pending.add(q);
    void q.finally(() => this.#pending.delete(q));
  }

  add(entries: readonly (readonly [string, number])[]): void {
    if (entries.length === 0) return;
    const m = this.redis.multi();
    for (const [k, n] of entries) m.hincrbyfloat(this.key, k, n);
    this.#track(m.exec());
  }

  set(key: string, value: number): void {
    this.#track(this.redis.hset(this.key, key, String(value)));
  }

  /** Wait for writes in flight (tests, shutdown). */
  async flush(): Promise<void> {
    await Promise.all([...this.#pending]);
  }

  async snapshot(): Promise<Map<string, number>> {
    const h = await this.redis.hgetall(this.key);
    return new Map(Object.entries(h).map(([k, v]) => [k, Number(v)]));
  }
}
