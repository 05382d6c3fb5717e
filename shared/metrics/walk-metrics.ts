/**
 * Metrics of registry walks (backfills, reconciliation), recorded by the walk workers into the
 * shared Redis hash and rendered by the API beside the scan families; and the backfill gauges,
 * read from the store at scrape time.
 *
 * Families (all prefixed `guix_recipes_`):
 *   walk_steps_total{walk,step,outcome}   counter: backfill|reconcile, catalog|repository, done|retry|failed|superseded
 *   walk_tags_total{walk}                 counter: tags listed and resolved
 *   walk_digests_total{walk,outcome}      counter: queued (scan submitted) | known (already scanned there)
 *   walk_untagged_total                   counter: tags the registry no longer lists, dropped by reconciliation
 *   walk_images_deleted_total             counter: images whose manifest reconciliation found gone
 *   backfill_repositories{registry,state} gauge: found | done | failed, of the registry's last backfill
 *   backfill_digests{registry,outcome}    gauge: queued | known, of the registry's last backfill
 *   backfill_running{registry}            gauge: 1 while the registry's backfill runs
 */
import type { BackfillStatus } from '../store/backfill-store.js';
import { MetricsRegistry, type SampleStore } from './registry.js';

export type Walk = 'backfill' | 'reconcile';

/** What the walk workers record. Every method is cheap and never throws. */
export class WalkMetrics {
  readonly registry: MetricsRegistry;
  readonly #steps;
  readonly #tags;
  readonly #digests;
  readonly #untagged;
  readonly #deleted;

  constructor(store: SampleStore) {
    const r = (this.registry = new MetricsRegistry(store));
    this.#steps = r.counter({
      name: 'guix_recipes_walk_steps_total',
      help: 'Registry walk steps finished, by walk, step and outcome.',
      labels: ['walk', 'step', 'outcome'],
    });
    this.#tags = r.counter({
      name: 'guix_recipes_walk_tags_total',
      help: 'Tags listed and resolved by registry walks.',
      labels: ['walk'],
    });
    this.#digests = r.counter({
      name: 'guix_recipes_walk_digests_total',
      help: 'Digests found by registry walks: queued for a scan, or known (already scanned).',
      labels: ['walk', 'outcome'],
    });
    this.#untagged = r.counter({
      name: 'guix_recipes_walk_untagged_total',
      help: 'Tags the registry no longer lists, dropped by reconciliation.',
    });
    this.#deleted = r.counter({
      name: 'guix_recipes_walk_images_deleted_total',
      help: 'Images whose manifest the registry no longer serves, marked deleted by reconciliation.',
    });
  }

  step(walk: Walk, step: string, outcome: 'done' | 'retry' | 'failed' | 'superseded'): void {
    this.#steps.inc({ walk, step, outcome });
  }
  tags(walk: Walk, n: number): void {
    this.#tags.inc({ walk }, n);
  }
  digests(walk: Walk, outcome: 'queued' | 'known', n: number): void {
    this.#digests.inc({ walk, outcome }, n);
  }
  untagged(n: number): void {
    this.#untagged.inc(undefined, n);
  }
  deleted(n: number): void {
    this.#deleted.inc(undefined, n);
  }
}

/** The families WalkMetrics records (for renderers in other processes). */
export const walkMetricDefinitions = (store: SampleStore) => new WalkMetrics(store).registry.definitions;

/** Register the backfill gauges on `registry` and fill them from the last run of each registry. */
export function recordBackfillGauges(registry: MetricsRegistry, statuses: readonly BackfillStatus[]): void {
  const repos = registry.gauge({
    name: 'guix_recipes_backfill_repositories',
    help: "Repositories of the registry's last backfill, by state (found, done, failed).",
    labels: ['registry', 'state'],
  });
  const digests = registry.gauge({
    name: 'guix_recipes_backfill_digests',
    help: "Digests the registry's last backfill found: queued for a scan, or known.",
    labels: ['registry', 'outcome'],
  });
  const running = registry.gauge({
    name: 'guix_recipes_backfill_running',
    help: "1 while the registry's backfill runs, else 0.",
    labels: ['registry'],
  });
  for (const s of statuses) {
    repos.set({ registry: s.registry, state: 'found' }, s.repositories.found);
    repos.set({ registry: s.registry, state: 'done' }, s.repositories.done);
    repos.set({ registry: s.registry, state: 'failed' }, s.repositories.failed);
    digests.set({ registry: s.registry, outcome: 'queued' }, s.queued);
    digests.set({ registry: s.registry, outcome: 'known' }, s.known);
    running.set({ registry: s.registry }, s.state === 'running' ? 1 : 0);
  }
}
