/**
 * Starting registry walks (walk-jobs.ts), for the API and the CLI: a backfill of a registry, one
 * reconciliation pass now, and where a backfill is.
 */
import type { Queue } from 'bullmq';
import type { Config } from '../config/config-schema.js';
import { findRegistry } from '../config/load-config.js';
import { RecipeError } from '../errors.js';
import type { BackfillStatus, BackfillStore } from '../store/backfill-store.js';
import { withDeadline } from '../store/deadline.js';
import { redisUnavailable } from '../store/redis-connection.js';
import {
  walkJobId,
  walkJobOptions,
  type CatalogStep,
  type RepositoryStep,
  type WalkJobData,
} from './walk-jobs.js';

/** Add a walk job; steps under their deterministic id (a second add is a no-op). */
export async function addWalkJob(
  queue: Queue<WalkJobData>,
  data: WalkJobData,
  q: Config['queue'],
  opts: { deadlineMs?: number; jobId?: string } = {},
): Promise<void> {
  const jobId =
    opts.jobId ?? (data.kind === 'catalog' || data.kind === 'repository' ? walkJobId(data) : undefined);
  try {
    await withDeadline(
      queue.add(data.kind, data, { ...walkJobOptions(q), ...(jobId !== undefined ? { jobId } : {}) }),
      opts.deadlineMs,
      'the queue',
    );
  } catch (err) {
    throw redisUnavailable(err);
  }
}

/** The step adding the first page of a run. */
export function firstCatalogStep(registry: string, run: number): CatalogStep {
  return { kind: 'catalog', registry, run, page: 0 };
}

/** A repository step of a backfill run. */
export function backfillRepositoryStep(registry: string, repository: string, run: number): RepositoryStep {
  return { kind: 'repository', registry, repository, origin: { walk: 'backfill', run } };
}

export interface WalksDeps {
  config: Config;
  queue: Queue<WalkJobData>;
  backfills: BackfillStore;
  /** Deadline of each queue call in ms (configuration `redis.commandTimeoutMs`). */
  deadlineMs?: number;
}

export class Walks {
  constructor(private readonly deps: WalksDeps) {}

  /** The configured registry named `host`; `not-found` otherwise (nothing but configured registries is walked). */
  registry(host: string): string {
    const r = findRegistry(this.deps.config, host);
    if (!r)
      throw new RecipeError('not-found', `registry ${host} is not configured (GUIX_RECIPES_REGISTRIES)`, {
        details: { registry: host },
      });
    return r.host;
  }

  /**
   * Start a backfill of `host` (its first step queued), unless one is running: then that one's
   * status. `restart` replaces a running one.
   */
  async startBackfill(
    host: string,
    opts: { restart?: boolean } = {},
  ): Promise<BackfillStatus & { started: boolean }> {
    const registry = this.registry(host);
    const { started, run } = await this.deps.backfills.start(registry, { force: opts.restart === true });
    if (started)
      await addWalkJob(
        this.deps.queue,
        firstCatalogStep(registry, run),
        this.deps.config.queue,
        this.#deadline(),
      );
    const status = await this.deps.backfills.status(registry);
    if (!status) throw new RecipeError('unavailable', 'backfill state missing right after it was started');
    return { ...status, started };
  }

  /** Where the registry's last backfill is; `not-found` when it never had one. */
  async backfillStatus(host: string): Promise<BackfillStatus> {
    const registry = this.registry(host);
    const status = await this.deps.backfills.status(registry);
    if (!status) throw new RecipeError('not-found', `no backfill of ${registry} has been started`);
    return status;
  }

  /** Queue one reconciliation pass of `host` now. Returns the pass's name. */
  async reconcileNow(host: string): Promise<{ registry: string; pass: string }> {
    const registry = this.registry(host);
    const pass = `manual-${new Date().toISOString()}-${Math.random().toString(36).slice(2, 8)}`;
    await addWalkJob(
      this.deps.queue,
      { kind: 'reconcile', registry, pass },
      this.deps.config.queue,
      this.#deadline(),
    );
    return { registry, pass };
  }

  #deadline(): { deadlineMs?: number } {
    return this.deps.deadlineMs === undefined ? {} : { deadlineMs: this.deps.deadlineMs };
  }
}
