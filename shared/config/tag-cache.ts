/**
 * Tags resolved to digests for verdicts and admission, cached: the only registry call a verdict
 * makes, and at most one per tag per TTL (concurrent requests for the same tag share one call).
 * Bounded in time (`ttlMs`: a tag moved on is seen after at most that long) and in size (`max`
 * tags, least recently used dropped first). Failures are not cached. A TTL of 0 caches nothing.
 *
 * The cache is lru-cache (maintained, the LRU npm uses itself): TTL, size bound and coalesced
 * fetches are all there, so nothing is hand-written.
 */
import { LRUCache } from 'lru-cache';
import type { Digest } from '../content/digest.js';
import { tagName, type TagRef } from '../oci/reference.js';
import type { RegistryAccess } from './registry-access.js';

/** The longest one shared resolution may take (callers give up sooner on their own signals). */
export const RESOLVE_TIMEOUT_MS = 30_000;

export interface TagCacheOptions {
  /** How long a resolution is trusted, ms. */
  ttlMs: number;
  /** Tags kept at most. */
  max: number;
}

export class TagCache {
  readonly #cache: LRUCache<string, Digest, TagRef> | undefined;
  /** Registry calls made (misses), for tests and metrics. */
  resolutions = 0;

  constructor(
    private readonly registries: Pick<RegistryAccess, 'resolveTag'>,
    opts: TagCacheOptions,
  ) {
    if (opts.ttlMs > 0)
      this.#cache = new LRUCache<string, Digest, TagRef>({
        max: opts.max,
        ttl: opts.ttlMs,
        // An entry's age counts from when it was resolved, not when it was last read.
        updateAgeOnGet: false,
        fetchMethod: (_key, _stale, { signal, context }) =>
          this.#resolve(context, AbortSignal.any([signal, AbortSignal.timeout(RESOLVE_TIMEOUT_MS)])),
      });
  }

  #resolve(ref: TagRef, signal: AbortSignal): Promise<Digest> {
    this.resolutions++;
    return this.registries.resolveTag(ref, { signal });
  }

  /**
   * The digest `ref` points at (from the cache while fresh). Errors of the registry pass through.
   * The shared registry call is not tied to any one caller's signal (another caller may be waiting
   * for it); each caller stops waiting when its own signal aborts.
   */
  async resolve(ref: TagRef, opts: { signal: AbortSignal }): Promise<Digest> {
    if (this.#cache === undefined) return this.#resolve(ref, opts.signal);
    opts.signal.throwIfAborted();
    const pending = this.#cache.fetch(tagName(ref), { context: ref });
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(opts.signal.reason as Error);
      opts.signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      const d = await Promise.race([pending, aborted]);
      if (d === undefined) throw new Error(`resolving ${tagName(ref)} gave no digest`);
      return d;
    } finally {
      if (onAbort) opts.signal.removeEventListener('abort', onAbort);
      pending.catch(() => {});
    }
  }

  /** Forget every cached tag. */
  clear(): void {
    this.#cache?.clear();
  }
}
