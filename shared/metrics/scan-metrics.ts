/**
 * The worker-side metrics: what a scan costs and how it ends. The worker records through
 * `ScanMetrics` (usually over a RedisSampleStore, so the API's /metrics sees every worker process);
 * the API renders the same families with `scanMetricDefinitions`.
 *
 * Families (all prefixed `guix_recipes_`):
 *   scan_stage_seconds{stage}            histogram: resolve | scan | store | total
 *   scans_total{outcome}                 counter: scanned | reused | resolved | retry | failed
 *   scan_failures_total{code,final}      counter: RecipeError codes (final="true": the job failed for good)
 *   blob_bytes_read_total                counter: compressed bytes read from registries (ImageScan.bytesRead)
 *   layer_cache_requests_total{result}   counter: hit | miss (countingLayerCache)
 *   recipes_stored_total{kind}           counter: recipe | index | no-profile | not-guix results written
 */
import type { Digest } from '../content/digest.js';
import type { LayerCache, LayerSummary } from '../scan/layer-cache.js';
import { MetricsRegistry, SECONDS_BUCKETS, type SampleStore } from './registry.js';

export type ScanStage = 'resolve' | 'scan' | 'store' | 'total';
export type ScanOutcome = 'scanned' | 'reused' | 'resolved' | 'retry' | 'failed';

/** Metrics the worker records. Every method is cheap and never throws. */
export class ScanMetrics {
  readonly registry: MetricsRegistry;
  readonly #stage;
  readonly #scans;
  readonly #failures;
  readonly #bytes;
  readonly #cache;
  readonly #stored;

  constructor(store: SampleStore) {
    const r = (this.registry = new MetricsRegistry(store));
    this.#stage = r.histogram({
      name: 'guix_recipes_scan_stage_seconds',
      help: 'Time spent in each stage of a scan job, in seconds.',
      labels: ['stage'],
      buckets: SECONDS_BUCKETS,
    });
    this.#scans = r.counter({
      name: 'guix_recipes_scans_total',
      help: 'Scan jobs finished, by outcome.',
      labels: ['outcome'],
    });
    this.#failures = r.counter({
      name: 'guix_recipes_scan_failures_total',
      help: 'Scan job failures by error code; final="true" when no attempt follows.',
      labels: ['code', 'final'],
    });
    this.#bytes = r.counter({
      name: 'guix_recipes_blob_bytes_read_total',
      help: 'Compressed bytes read from registries by scans.',
    });
    this.#cache = r.counter({
      name: 'guix_recipes_layer_cache_requests_total',
      help: 'Layer cache lookups by result (hit, miss).',
      labels: ['result'],
    });
    this.#stored = r.counter({
      name: 'guix_recipes_recipes_stored_total',
      help: 'Scan results written to the store, by kind (recipe, index, no-profile, not-guix).',
      labels: ['kind'],
    });
  }

  stage(stage: ScanStage, seconds: number): void {
    this.#stage.observe({ stage }, seconds);
  }
  /** Run `f`, recording its duration under `stage` (also when it throws). */
  async time<T>(stage: ScanStage, f: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await f();
    } finally {
      this.stage(stage, (performance.now() - t0) / 1000);
    }
  }
  scanFinished(outcome: ScanOutcome): void {
    this.#scans.inc({ outcome });
  }
  failure(code: string, final: boolean): void {
    this.#failures.inc({ code, final: String(final) });
  }
  bytesRead(n: number): void {
    this.#bytes.inc(undefined, n);
  }
  layerCache(result: 'hit' | 'miss'): void {
    this.#cache.inc({ result });
  }
  recipeStored(kind: string, n = 1): void {
    this.#stored.inc({ kind }, n);
  }
}

/** The families ScanMetrics records (for renderers in other processes). */
export const scanMetricDefinitions = (store: SampleStore) => new ScanMetrics(store).registry.definitions;

/** A LayerCache that counts hits and misses; everything else passes through. */
export function countingLayerCache(cache: LayerCache, metrics: ScanMetrics): LayerCache {
  return {
    async get(digest: Digest, opts: { signal: AbortSignal }): Promise<LayerSummary | undefined> {
      const s = await cache.get(digest, opts);
      metrics.layerCache(s === undefined ? 'miss' : 'hit');
      return s;
    },
    put: (digest, summary, opts) => cache.put(digest, summary, opts),
  };
}
