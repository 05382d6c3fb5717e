/**
 * Reading fields of Redis hashes: the one capability the verdict path needs from Redis (a policy's
 * head, a digest's stored facts). Two implementations: `DirectHashReads` asks Redis every time;
 * `TrackedHashReads` (tracked-hash-reads.ts) keeps answers in memory and drops each one when Redis
 * says its key changed. Callers cannot tell them apart except by speed.
 */
import { withDeadline } from './deadline.js';
import type { RedisClient } from './redis-connection.js';

export interface HashReads {
  /**
   * HMGET: the values of `fields` of hash `key`, in order, null where absent. The answer may be
   * shared with other callers: never modify it. Redis trouble or the deadline is `unavailable`.
   */
  hmget(
    key: string,
    fields: readonly string[],
    opts?: { signal?: AbortSignal },
  ): Promise<readonly (string | null)[]>;
  /**
   * This process has just written `key`: what was read before is not answered again. (Redis says so
   * as well, but its message may arrive after this process's next read.)
   */
  forget(key: string): void;
}

/** Every read is a round trip, within the store's deadline. */
export class DirectHashReads implements HashReads {
  constructor(
    private readonly redis: RedisClient,
    private readonly deadlineMs: number | undefined,
  ) {}

  async hmget(
    key: string,
    fields: readonly string[],
    opts: { signal?: AbortSignal } = {},
  ): Promise<readonly (string | null)[]> {
    opts.signal?.throwIfAborted();
    return withDeadline(this.redis.hmget(key, ...fields), this.deadlineMs, 'the store');
  }

  forget(): void {}
}
