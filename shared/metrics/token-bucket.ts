/**
 * Token buckets in memory, one per key (an API token's fingerprint, or a client address): each
 * holds up to `burst` requests and refills `perSecond`. Per process: N API processes allow N times
 * the rate. When more than `maxKeys` are held, the least recently used buckets are forgotten.
 */

export interface TokenBucketOptions {
  /** Requests allowed at once after a quiet period. */
  burst: number;
  /** Steady rate, requests per second. */
  perSecond: number;
  /** Buckets kept at most (memory bound). Default 10,000. */
  maxKeys?: number;
  /** Clock in ms (tests). Default Date.now. */
  now?: () => number;
}

export interface TakeResult {
  allowed: boolean;
  /** Whole requests left after this one. */
  remaining: number;
  /** When refused: ms until one request is allowed again. */
  retryAfterMs: number;
}

export class TokenBuckets {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  readonly #now: () => number;
  readonly #maxKeys: number;

  constructor(readonly opts: TokenBucketOptions) {
    if (!(opts.burst >= 1) || !(opts.perSecond > 0)) throw new RangeError('burst >= 1 and perSecond > 0');
    this.#now = opts.now ?? Date.now;
    this.#maxKeys = opts.maxKeys ?? 10_000;
  }

  /** Take one request from `key`'s bucket. */
  take(key: string): TakeResult {
    const t = this.#now();
    const { burst, perSecond } = this.opts;
    let b = this.#buckets.get(key);
    if (b) {
      b.tokens = Math.min(burst, b.tokens + ((t - b.at) / 1000) * perSecond);
      b.at = t;
      this.#buckets.delete(key); // re-insert: Map order is least recently used first
    } else {
      b = { tokens: burst, at: t };
      this.#evict();
    }
    this.#buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { allowed: true, remaining: Math.floor(b.tokens), retryAfterMs: 0 };
    }
    return { allowed: false, remaining: 0, retryAfterMs: Math.ceil(((1 - b.tokens) / perSecond) * 1000) };
  }

  /** `key`'s state now, taking nothing and remembering nothing new (an unknown key is full). */
  peek(key: string): TakeResult {
    const { burst, perSecond } = this.opts;
    const b = this.#buckets.get(key);
    const tokens = b ? Math.min(burst, b.tokens + ((this.#now() - b.at) / 1000) * perSecond) : burst;
    if (tokens >= 1) return { allowed: true, remaining: Math.floor(tokens), retryAfterMs: 0 };
    return { allowed: false, remaining: 0, retryAfterMs: Math.ceil(((1 - tokens) / perSecond) * 1000) };
  }

  #evict(): void {
    while (this.#buckets.size >= this.#maxKeys) {
      const oldest = this.#buckets.keys().next();
      if (oldest.done) return;
      this.#buckets.delete(oldest.value);
    }
  }

  get size(): number {
    return this.#buckets.size;
  }
}
