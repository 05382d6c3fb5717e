/**
 * Failures BullMQ decides without running our processor. A job whose worker died more than
 * `worker.maxStalledCount` times is moved back to waiting with a deferred failure, and the next
 * worker to take it fails it at once (BullMQ 6: `job.deferredFailure`, "job stalled more than
 * allowable limit"); only the Worker's 'failed' event says so. Without this the image record would
 * stay `running` forever. Failures the processor recorded itself (process-job.ts) are not ours.
 */
import type { Job } from 'bullmq';
import type { Logger } from 'pino';
import type { JobData } from '../../shared/queue/scan-jobs.js';
import type { RecipeStore } from '../../shared/store/recipe-store.js';
import type { ScanMetrics } from '../../shared/metrics/scan-metrics.js';
import { recordedFailures, rejudge, type ProcessorDeps } from './process-job.js';

/** What to store for a failure nobody recorded: code, message, and whether the job is over. */
export interface UnrecordedFailure {
  code: 'internal';
  message: string;
  final: boolean;
}

/** The failure to record for a Worker 'failed' event, or undefined when the processor recorded it. */
export function unrecordedFailure(
  job: Pick<Job<JobData>, 'attemptsMade' | 'opts' | 'stalledCounter' | 'deferredFailure'>,
  err: Error,
): UnrecordedFailure | undefined {
  if (recordedFailures.has(err)) return undefined;
  const unrecoverable = err.name === 'UnrecoverableError';
  const final = unrecoverable || job.attemptsMade >= (job.opts.attempts ?? 1);
  if (job.deferredFailure !== undefined && job.deferredFailure !== '') {
    const n = job.stalledCounter;
    return {
      code: 'internal',
      message: `the scan stalled ${n} time${n === 1 ? '' : 's'} (a worker died during it), more than worker.maxStalledCount allows`,
      final: true,
    };
  }
  return { code: 'internal', message: `the job failed outside the scan: ${err.message}`, final };
}

/** Listen for the worker's failures and record those the processor did not in the store. */
export function recordUnprocessedFailures(
  worker: { on(event: 'failed', fn: (job: Job<JobData> | undefined, err: Error) => void): unknown },
  deps: { store: RecipeStore; logger: Logger; metrics?: ScanMetrics } & Pick<ProcessorDeps, 'verdictIndex'>,
): void {
  worker.on('failed', (job, err) => {
    if (!job) return;
    const f = unrecordedFailure(job, err);
    if (!f) return;
    const log = deps.logger.child({ jobId: job.id });
    log[f.final ? 'error' : 'warn']({ code: f.code, final: f.final, reason: err.message }, f.message);
    deps.metrics?.failure(f.code, f.final);
    deps.metrics?.scanFinished(f.final ? 'failed' : 'retry');
    const data = job.data;
    if (data.kind !== 'scan') return;
    const rec = { code: f.code, message: f.message };
    const img = { registry: data.registry, repository: data.repository, digest: data.digest };
    void (f.final ? deps.store.markFailed(img, rec) : deps.store.markRetrying(img, rec))
      .then(() => (f.final ? rejudge(deps, img, log) : undefined))
      .catch((storeErr: unknown) => log.warn({ err: storeErr }, 'could not record the scan failure'));
  });
}
