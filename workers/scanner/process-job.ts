/**
 * The scan processor's whole job: take a job, build the ImageSource from configuration, call
 * scanImage, write the result with one store call, and map failures once (shared/queue/job-errors).
 * A `resolve` job turns a tag into a digest and adds that digest's scan job.
 *
 * A digest is scanned by one worker at a time (the store's scan claim): a job for another
 * repository holding the same digest, arriving meanwhile, goes back to the queue delayed (holding
 * no worker slot) and, when it runs again, reuses the stored result. So a digest pushed to many
 * repositories at once (a backfill, a mirror) is read once.
 */
import { randomUUID } from 'node:crypto';
import { DelayedError, WaitingError, type Job, type Queue, type Worker } from 'bullmq';
import type { Logger } from 'pino';
import type { Config } from '../../shared/config/config-schema.js';
import type { RegistryAccess } from '../../shared/config/registry-access.js';
import { RecipeError, isRecipeError, toRecipeError } from '../../shared/errors.js';
import { type JobData, type ResolveJobData, type ScanJobData } from '../../shared/queue/scan-jobs.js';
import { ScanRequests } from '../../shared/queue/scan-requests.js';
import { mapJobError } from '../../shared/queue/job-errors.js';
import type { RecipeStore } from '../../shared/store/recipe-store.js';
import { imageName, tagName, type ImageRef } from '../../shared/oci/reference.js';
import type { LayerCache } from '../../shared/scan/layer-cache.js';
import type { ImageScan } from '../../shared/scan/scan-result.js';
import type { ImageSource } from '../../shared/content/image-source.js';
import type { ScanOptions } from '../../shared/scan/scan-image.js';
import type { ScanMetrics } from '../../shared/metrics/scan-metrics.js';
import type { VerdictIndex } from '../../shared/store/verdict-index.js';

export type ScanFn = (source: ImageSource, opts: ScanOptions) => Promise<ImageScan>;

export interface ProcessorDeps {
  config: Config;
  store: RecipeStore;
  queue: Queue;
  registries: RegistryAccess;
  layerCache: LayerCache;
  scan: ScanFn;
  logger: Logger;
  /** Stage durations, outcomes, bytes read, results stored, failures (shared/metrics). Optional. */
  metrics?: ScanMetrics;
  /** The verdict index: an image whose facts changed is judged again under every policy. Optional. */
  verdictIndex?: Pick<VerdictIndex, 'judgeImage'>;
}

/**
 * Judge an image again under every policy after its facts changed (its scan was stored, reused or
 * failed for good). The verdict index is derived data: a failure here is logged, never the job's.
 */
export async function rejudge(
  deps: Pick<ProcessorDeps, 'verdictIndex'>,
  img: ImageRef,
  log: Pick<Logger, 'warn'>,
): Promise<void> {
  if (!deps.verdictIndex) return;
  try {
    await deps.verdictIndex.judgeImage(img);
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'could not update the verdict index');
  }
}

export interface JobOutcome {
  image: string;
  outcome: 'scanned' | 'reused' | 'resolved';
  kind?: string;
  digest?: string;
}

/**
 * Errors the processor threw after recording the failure in the store itself: the worker's
 * 'failed' listener (scanner-worker.ts) records only failures not in here, those BullMQ decided
 * without running the processor (a job that stalled more than `worker.maxStalledCount` times).
 */
export const recordedFailures = new WeakSet<Error>();

/** The reason the worker gives BullMQ's cancellation when it shuts down. */
export const SHUTDOWN = 'shutdown';

/** How long a job whose digest another worker is scanning waits before it looks again. */
export const CLAIM_WAIT_MS = 1000;

/** One signal for a job: BullMQ's (cancel), the worker's (shutdown) and the job deadline. */
function jobSignal(config: Config, ...signals: (AbortSignal | undefined)[]): AbortSignal {
  return AbortSignal.any([
    AbortSignal.timeout(config.worker.jobTimeoutMs),
    ...signals.filter((s): s is AbortSignal => s !== undefined),
  ]);
}

/** The processor; `worker` is needed for rate limits (set after the Worker exists). */
export function createProcessor(deps: ProcessorDeps, getWorker: () => Pick<Worker, 'rateLimit'>) {
  const requests = new ScanRequests({
    queue: deps.queue,
    store: deps.store,
    queueOptions: deps.config.queue,
    registries: deps.registries,
  });
  return async (job: Job<JobData>, token?: string, bullSignal?: AbortSignal): Promise<JobOutcome> => {
    const signal = jobSignal(deps.config, bullSignal);
    const data = job.data;
    const log = deps.logger.child({ jobId: job.id, attempt: job.attemptsMade + 1 });
    const started = Date.now();
    try {
      const out =
        data.kind === 'resolve'
          ? await resolveJob(deps, requests, data, signal)
          : await scanJob(deps, requests, data, signal, log, waitForClaim(job, token));
      log.info({ ...out, ms: Date.now() - started }, 'scan job done');
      deps.metrics?.scanFinished(out.outcome);
      deps.metrics?.stage('total', (Date.now() - started) / 1000);
      return out;
    } catch (err) {
      if (err instanceof DelayedError) throw err;
      // Aborted because this worker shuts down (scanner-worker.ts cancels with reason 'shutdown'):
      // the job goes back to waiting, using up no attempt, for another (or the next) worker.
      if (bullSignal?.aborted && bullSignal.reason === SHUTDOWN && token !== undefined) {
        if (data.kind === 'scan')
          await deps.store
            .markRequeued(data)
            .catch((storeErr: unknown) => log.warn({ err: storeErr }, 'could not record the scan requeued'));
        await job.moveToWait(token);
        log.warn({ ms: Date.now() - started }, 'scan interrupted by shutdown: returned to the queue');
        throw new WaitingError();
      }
      let e = toRecipeError(err);
      if (
        signal.aborted &&
        e.code === 'aborted' &&
        signal.reason instanceof DOMException &&
        signal.reason.name === 'TimeoutError'
      )
        e = new RecipeError('timeout', `scan took longer than ${deps.config.worker.jobTimeoutMs} ms`, {
          cause: err,
        });
      const outcome = await mapJobError(e, {
        worker: getWorker(),
        attemptsMade: job.attemptsMade,
        attempts: job.opts.attempts ?? 1,
      });
      if (data.kind === 'scan') {
        const rec = { code: e.code, message: e.message };
        await (outcome.final ? deps.store.markFailed(data, rec) : deps.store.markRetrying(data, rec)).catch(
          (storeErr: unknown) => log.warn({ err: storeErr }, 'could not record the scan failure'),
        );
        if (outcome.final) await rejudge(deps, data, log);
      }
      deps.metrics?.failure(e.code, outcome.final);
      deps.metrics?.scanFinished(outcome.final ? 'failed' : 'retry');
      log[outcome.final ? 'error' : 'warn'](
        { code: e.code, final: outcome.final, ms: Date.now() - started },
        e.message,
      );
      recordedFailures.add(outcome.error);
      throw outcome.error;
    }
  };
}

/**
 * What a job does when another worker holds its digest's scan claim: back to the queue, delayed
 * (throws DelayedError). Undefined without a token (the job cannot be moved): it scans unclaimed.
 */
type ClaimWait = (() => Promise<never>) | undefined;

function waitForClaim(job: Job<JobData>, token: string | undefined): ClaimWait {
  if (token === undefined) return undefined;
  return async () => {
    await job.moveToDelayed(Date.now() + CLAIM_WAIT_MS, token);
    throw new DelayedError();
  };
}

async function scanJob(
  deps: ProcessorDeps,
  requests: ScanRequests,
  data: ScanJobData,
  signal: AbortSignal,
  log: Logger,
  wait: ClaimWait,
): Promise<JobOutcome> {
  const img = { registry: data.registry, repository: data.repository, digest: data.digest };
  await deps.store.markRunning(img, { source: data.source }, { signal });
  const beat = heartbeat(deps, img, log);
  try {
    return await scanRunning(deps, requests, data, img, signal, log, wait);
  } finally {
    clearInterval(beat);
  }
}

/**
 * Beat every third of the lock duration while the scan runs, so a reader sees it alive as BullMQ
 * does (its lock renewal runs on the same event loop: a scan that starves one starves both).
 */
function heartbeat(deps: ProcessorDeps, img: ImageRef, log: Logger): NodeJS.Timeout {
  const every = Math.max(100, Math.floor(deps.config.worker.lockDurationMs / 3));
  const t = setInterval(() => {
    deps.store
      .heartbeat(img)
      .catch((err: unknown) => log.warn({ err: (err as Error).message }, 'could not record the heartbeat'));
  }, every);
  t.unref();
  return t;
}

async function scanRunning(
  deps: ProcessorDeps,
  requests: ScanRequests,
  data: ScanJobData,
  img: ImageRef,
  signal: AbortSignal,
  log: Logger,
  wait: ClaimWait,
): Promise<JobOutcome> {
  const name = imageName(img);
  if (data.tag !== undefined) await followTag(requests, data, data.tag, signal, log);

  if (!data.force) {
    const reused = await deps.store.reuseResult(img, { signal });
    if (reused) {
      await rejudge(deps, img, log);
      return { image: name, outcome: 'reused', kind: reused.kind };
    }
  }
  const claim = await claimDigest(deps, img, signal, wait, log);
  try {
    return await scanClaimed(deps, img, data, signal, log);
  } finally {
    await claim?.release();
  }
}

/** The scan claim of the image's digest, held (and renewed) until `release`; see the module comment. */
async function claimDigest(
  deps: ProcessorDeps,
  img: ImageRef,
  signal: AbortSignal,
  wait: ClaimWait,
  log: Logger,
): Promise<{ release(): Promise<void> } | undefined> {
  if (wait === undefined) return undefined;
  const owner = randomUUID();
  const ttl = deps.config.worker.lockDurationMs;
  if (!(await deps.store.claimScan(img.digest, owner, ttl, { signal }))) {
    log.debug({ digest: img.digest }, 'another worker is scanning this digest: waiting for its result');
    await deps.store.markRequeued(img);
    return wait();
  }
  const renew = setInterval(
    () => {
      void deps.store.renewScan(img.digest, owner, ttl).catch(() => {});
    },
    Math.max(100, Math.floor(ttl / 3)),
  );
  return {
    async release() {
      clearInterval(renew);
      await deps.store.releaseScan(img.digest, owner).catch(() => {});
    },
  };
}

async function scanClaimed(
  deps: ProcessorDeps,
  img: ImageRef,
  data: ScanJobData,
  signal: AbortSignal,
  log: Logger,
): Promise<JobOutcome> {
  const name = imageName(img);
  if (!data.force) {
    // Another worker may have stored it between our first look and the claim.
    const reused = await deps.store.reuseResult(img, { signal });
    if (reused) {
      await rejudge(deps, img, log);
      return { image: name, outcome: 'reused', kind: reused.kind };
    }
  }
  const source = deps.registries.source(img);
  let scan: ImageScan;
  const scanStarted = performance.now();
  try {
    scan = await deps.scan(source, {
      signal,
      deepScan: deps.config.worker.deepScan,
      layerCache: deps.layerCache,
    });
  } finally {
    await source.close?.().catch(() => {});
    deps.metrics?.stage('scan', (performance.now() - scanStarted) / 1000);
  }
  deps.metrics?.bytesRead(scan.bytesRead);
  const storeStarted = performance.now();
  const stored = await deps.store.saveScan(img, scan, { signal });
  deps.metrics?.stage('store', (performance.now() - storeStarted) / 1000);
  if (stored.kind === 'index') deps.metrics?.recipeStored('index');
  for (const r of scan.results) deps.metrics?.recipeStored(r.kind);
  log.info({ image: name, kind: stored.kind, bytesRead: scan.bytesRead }, 'scan stored');
  await rejudge(deps, img, log);
  return { image: name, outcome: 'scanned', kind: stored.kind };
}

/**
 * Re-resolve the tag the push named, record where it points now, and when the registry already
 * serves another digest under it, queue that digest too (the tag moved on since the push).
 */
async function followTag(
  requests: ScanRequests,
  data: ScanJobData,
  tag: string,
  signal: AbortSignal,
  log: Logger,
): Promise<void> {
  let served;
  try {
    served = await requests.resolveTag(
      { registry: data.registry, repository: data.repository, tag },
      { signal },
    );
  } catch (err) {
    if (isRecipeError(err, 'not-found')) {
      log.info({ tag }, 'tag no longer exists; scanning the pushed digest');
      return;
    }
    throw err;
  }
  if (served !== data.digest)
    await requests.submit(
      { registry: data.registry, repository: data.repository, digest: served },
      { source: `tag:${tag}` },
      { signal },
    );
}

async function resolveJob(
  deps: ProcessorDeps,
  requests: ScanRequests,
  data: ResolveJobData,
  signal: AbortSignal,
): Promise<JobOutcome> {
  const started = performance.now();
  const r = await requests.resolveAndSubmit(
    data,
    { source: data.source, requestedAt: data.requestedAt, ...(data.force ? { force: true } : {}) },
    { signal },
  );
  deps.metrics?.stage('resolve', (performance.now() - started) / 1000);
  return { image: tagName(data), outcome: 'resolved', digest: r.job.digest };
}
