/**
 * The layer cache on Redis (shared/scan/layer-cache.ts): one string per layer digest holding its
 * summary as JSON. Layers are content-addressed, so a summary never goes stale; it expires only to
 * bound memory. A summary of another format version reads as a miss.
 */
import type { Digest } from '../content/digest.js';
import type { LayerCache, LayerSummary } from '../scan/layer-cache.js';
import type { RedisClient } from './redis-connection.js';
import { redisUnavailable } from './redis-connection.js';
import { StoreKeys } from './store-keys.js';

export interface RedisLayerCacheOptions {
  /** Key prefix (configuration `redis.keyPrefix`). */
  prefix: string;
  /** Seconds a summary is kept after it was written. Default 30 days. */
  ttlSeconds?: number;
  /** Largest summary stored, in bytes of JSON (bigger ones are not cached). Default 1 MiB. */
  maxBytes?: number;
}

export class RedisLayerCache implements LayerCache {
  private readonly keys: StoreKeys;
  private readonly ttl: number;
  private readonly maxBytes: number;

  constructor(
    private readonly redis: RedisClient,
    opts: RedisLayerCacheOptions,
  ) {
    this.keys = new StoreKeys(opts.prefix);
    this.ttl = opts.ttlSeconds ?? 30 * 24 * 3600;
    this.maxBytes = opts.maxBytes ?? 1 << 20;
  }

  async get(digest: Digest, opts: { signal: AbortSignal }): Promise<LayerSummary | undefined> {
    opts.signal.throwIfAborted();
    let text: string | null;
    try {
      text = await this.redis.get(this.keys.layer(digest));
    } catch (err) {
      throw redisUnavailable(err);
    }
    if (text === null) return undefined;
    try {
      const v = JSON.parse(text) as unknown;
      if (typeof v !== 'object' || v === null || (v as { version?: unknown }).version === undefined)
        return undefined;
      return v as LayerSummary;
    } catch {
      return undefined;
    }
  }

  async put(digest: Digest, summary: LayerSummary, opts: { signal: AbortSignal }): Promise<void> {
    opts.signal.throwIfAborted();
    const text = JSON.stringify(summary);
    if (Buffer.byteLength(text) > this.maxBytes) return;
    try {
      await this.redis.set(this.keys.layer(digest), text, 'EX', this.ttl);
    } catch (err) {
      throw redisUnavailable(err);
    }
  }
}
