/**
 * The registry-walk processor (shared/queue/walk-jobs.ts): catalog pages, repositories,
 * reconciliation and retention passes. Failures map as scans' do (shared/queue/job-errors.ts);
 * a backfill step that fails for good is recorded in the backfill's state (a catalog page: the run
 * failed; a repository: it is done, with its error).
 */
import type { Job, Queue, Worker } from 'bullmq';
import type { Logger } from 'pino';
import type { Config } from '../../shared/config/config-schema.js';
import { findRegistry } from '../../shared/config/load-config.js';
import type { RegistryAccess } from '../../shared/config/registry-access.js';
import { RecipeError, toRecipeError } from '../../shared/errors.js';
import { catalogRefused } from '../../shared/oci/registry/catalog.js';
import { mapJobError } from '../../shared/queue/job-errors.js';
import type { ScanRequests } from '../../shared/queue/scan-requests.js';
import type {
  CatalogStep,
  ReconcilePass,
  RepositoryStep,
  WalkJobData,
} from '../../shared/queue/walk-jobs.js';
import { addWalkJob, backfillRepositoryStep } from '../../shared/queue/walks.js';
import type { WalkMetrics } from '../../shared/metrics/walk-metrics.js';
import type { BackfillStore } from '../../shared/store/backfill-store.js';
import type { RecipeStore } from '../../shared/store/recipe-store.js';
import { applyRetention } from './retention-pass.js';
import { walkRepository } from './walk-repository.js';

export interface WalkDeps {
  config: Config;
  store: RecipeStore;
  backfills: BackfillStore;
  /** The walk queue (steps add steps). */
  queue: Queue<WalkJobData>;
  registries: RegistryAccess;
  /** Scan submission (its registries resolve tags). */
  requests: ScanRequests;
  logger: Logger;
  metrics?: WalkMetrics;
}

/** Catalog pages read at most in one run, whatever the registry's links say. */
const MAX_CATALOG_PAGES = 1_000_000;

export function createWalkProcessor(deps: WalkDeps, getWorker: () => Pick<Worker, 'rateLimit'>) {
  return async (job: Job<WalkJobData>, _token?: string, bullSignal?: AbortSignal): Promise<unknown> => {
    const signal = AbortSignal.any([
      AbortSignal.timeout(deps.config.worker.jobTimeoutMs),
      ...(bullSignal ? [bullSignal] : []),
    ]);
    const data = job.data;
    const log = deps.logger.child({ walkJob: job.id, kind: data.kind });
    try {
      switch (data.kind) {
        case 'catalog':
          return await catalogStep(deps, data, signal, log);
        case 'repository':
          return await repositoryStep(deps, data, signal, log);
        case 'reconcile':
          return await reconcilePass(deps, data, job.id ?? 'reconcile', signal, log);
        case 'retention': {
          const r = await applyRetention(deps.store, deps.config.retention, { signal });
          log.info(r, 'retention pass done');
          return r;
        }
      }
    } catch (err) {
      const e = toRecipeError(err);
      const outcome = await mapJobError(e, {
        worker: getWorker(),
        attemptsMade: job.attemptsMade,
        attempts: job.opts.attempts ?? 1,
      });
      if (outcome.final) await recordFinalFailure(deps, data, e, log);
      else deps.metrics?.step(walkOf(data), data.kind, 'retry');
      log[outcome.final ? 'error' : 'warn']({ code: e.code, final: outcome.final }, e.message);
      throw outcome.error;
    }
  };
}

function walkOf(data: WalkJobData): 'backfill' | 'reconcile' {
  return data.kind === 'catalog' || (data.kind === 'repository' && data.origin.walk === 'backfill')
    ? 'backfill'
    : 'reconcile';
}

async function recordFinalFailure(
  deps: WalkDeps,
  data: WalkJobData,
  e: RecipeError,
  log: Logger,
): Promise<void> {
  const error = { code: e.code, message: e.message };
  try {
    if (data.kind === 'catalog') await deps.backfills.fail(data.registry, data.run, error);
    if (data.kind === 'repository' && data.origin.walk === 'backfill')
      await deps.backfills.report(data.registry, data.origin.run, data.repository, {
        tags: 0,
        skippedTags: 0,
        digests: 0,
        queued: 0,
        known: 0,
        error,
      });
  } catch (storeErr) {
    log.warn({ err: (storeErr as Error).message }, 'could not record the walk failure');
  }
  if (data.kind === 'catalog' || data.kind === 'repository')
    deps.metrics?.step(walkOf(data), data.kind, 'failed');
}

/** One catalog page: its repositories found and their steps added, then the next page's step. */
async function catalogStep(deps: WalkDeps, data: CatalogStep, signal: AbortSignal, log: Logger) {
  const { registry, run } = data;
  if (!(await deps.backfills.isCurrent(registry, run, { signal }))) {
    deps.metrics?.step('backfill', 'catalog', 'superseded');
    return { superseded: true };
  }
  const configured = findRegistry(deps.config, registry)?.repositories ?? [];
  let repositories: string[] = [];
  let next: string | undefined;
  let source: 'catalog' | 'configured' | undefined = data.page === 0 ? 'catalog' : undefined;
  try {
    const page = await deps.registries.catalogPage(
      registry,
      data.cursor === undefined
        ? { pageSize: deps.config.backfill.catalogPageSize }
        : { cursor: data.cursor },
      { signal },
    );
    repositories = page.items;
    next = page.next === data.cursor || data.page + 1 >= MAX_CATALOG_PAGES ? undefined : page.next;
    if (page.invalid > 0)
      log.warn({ invalid: page.invalid }, 'catalog names that are not repository names: skipped');
  } catch (err) {
    if (data.page !== 0 || !catalogRefused(err)) throw err;
    if (configured.length === 0) {
      const message = `${registry} refuses its catalog (${toRecipeError(err).message}) and registries[].repositories lists no repository to walk instead`;
      await deps.backfills.fail(registry, run, { code: 'not-found', message }, { signal });
      log.warn({ registry }, message);
      deps.metrics?.step('backfill', 'catalog', 'failed');
      return { failed: message };
    }
    log.info(
      { registry, repositories: configured.length },
      'catalog refused: walking the configured repositories',
    );
    source = 'configured';
  }
  if (data.page === 0) repositories = [...new Set([...repositories, ...configured])];
  const added = await deps.backfills.found(
    registry,
    run,
    repositories,
    { pages: data.page + 1, last: next === undefined, ...(source ? { source } : {}) },
    { signal },
  );
  if (added < 0) {
    deps.metrics?.step('backfill', 'catalog', 'superseded');
    return { superseded: true };
  }
  for (const repository of repositories)
    await addWalkJob(deps.queue, backfillRepositoryStep(registry, repository, run), deps.config.queue);
  if (next !== undefined)
    await addWalkJob(
      deps.queue,
      { kind: 'catalog', registry, run, page: data.page + 1, cursor: next },
      deps.config.queue,
    );
  deps.metrics?.step('backfill', 'catalog', 'done');
  return { page: data.page, repositories: repositories.length, last: next === undefined };
}

async function repositoryStep(deps: WalkDeps, data: RepositoryStep, signal: AbortSignal, log: Logger) {
  const repo = { registry: data.registry, repository: data.repository };
  const walk = data.origin.walk;
  if (
    data.origin.walk === 'backfill' &&
    !(await deps.backfills.isCurrent(data.registry, data.origin.run, { signal }))
  ) {
    deps.metrics?.step('backfill', 'repository', 'superseded');
    return { superseded: true };
  }
  const r = await walkRepository(
    { config: deps.config, store: deps.store, registries: deps.registries, requests: deps.requests },
    repo,
    walk,
    signal,
  );
  if (data.origin.walk === 'backfill') {
    const { untagged: _u, deleted: _d, ...result } = r;
    await deps.backfills.report(data.registry, data.origin.run, data.repository, result, { signal });
  }
  deps.metrics?.tags(walk, r.tags);
  deps.metrics?.digests(walk, 'queued', r.queued);
  deps.metrics?.digests(walk, 'known', r.known);
  if (r.untagged > 0) deps.metrics?.untagged(r.untagged);
  if (r.deleted > 0) deps.metrics?.deleted(r.deleted);
  deps.metrics?.step(walk, 'repository', 'done');
  log.info({ registry: data.registry, repository: data.repository, walk, ...r }, 'repository walked');
  return r;
}

/** Add a repository step for every repository the store knows (and the configured ones) of the pass's registries. */
async function reconcilePass(
  deps: WalkDeps,
  data: ReconcilePass,
  jobId: string,
  signal: AbortSignal,
  log: Logger,
) {
  const pass = data.pass ?? jobId;
  const registries =
    data.registry !== undefined ? [data.registry] : deps.config.registries.map((r) => r.host);
  let steps = 0;
  for (const registry of registries) {
    if (!findRegistry(deps.config, registry)) continue;
    const known = await deps.store.knownRepositories(registry, { signal });
    const configured = findRegistry(deps.config, registry)?.repositories ?? [];
    for (const repository of [...new Set([...known, ...configured])].sort()) {
      await addWalkJob(
        deps.queue,
        { kind: 'repository', registry, repository, origin: { walk: 'reconcile', pass } },
        deps.config.queue,
      );
      steps++;
    }
  }
  log.info({ pass, registries: registries.length, repositories: steps }, 'reconciliation pass queued');
  return { pass, repositories: steps };
}
