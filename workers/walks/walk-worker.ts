/**
 * A worker process's registry-walk side: a BullMQ Worker on the walk queue (concurrency
 * `backfill.concurrency`), and the periodic passes as BullMQ job schedulers, shared by every worker
 * process (upserted at start, removed when the configuration turns them off): reconciliation
 * (`reconcile.enabled`, every `reconcile.intervalSeconds`) and retention (when a `retention`
 * setting is on, every `retention.intervalSeconds`).
 */
import { Queue, Worker } from 'bullmq';
import type { Logger } from 'pino';
import type { Config } from '../../shared/config/config-schema.js';
import type { RegistryAccess } from '../../shared/config/registry-access.js';
import { SCAN_QUEUE, type JobData } from '../../shared/queue/scan-jobs.js';
import { ScanRequests } from '../../shared/queue/scan-requests.js';
import {
  RECONCILE_SCHEDULER,
  RETENTION_SCHEDULER,
  WALK_QUEUE,
  type WalkJobData,
} from '../../shared/queue/walk-jobs.js';
import { RedisSampleStore } from '../../shared/metrics/redis-sample-store.js';
import { WalkMetrics } from '../../shared/metrics/walk-metrics.js';
import { BackfillStore } from '../../shared/store/backfill-store.js';
import { RecipeStore } from '../../shared/store/recipe-store.js';
import { closeRedis, createRedis } from '../../shared/store/redis-connection.js';
import { createWalkProcessor } from './process-walk.js';
import { retentionOn } from './retention-pass.js';

export interface WalkWorkerOptions {
  config: Config;
  registries: RegistryAccess;
  logger: Logger;
}

export interface WalkWorker {
  worker: Worker<WalkJobData>;
  /** Stop taking steps; wait up to `graceMs` for running ones, then abort them (they are retried). */
  close(graceMs?: number): Promise<void>;
}

export async function startWalkWorker(opts: WalkWorkerOptions): Promise<WalkWorker> {
  const { config, logger } = opts;
  const redis = createRedis(config.redis, { mode: 'blocking', connectionName: 'guix-recipes-walks' });
  redis.on('error', (err: Error) => logger.warn({ err: err.message }, 'redis connection trouble'));
  const queue = new Queue<WalkJobData>(WALK_QUEUE, { connection: redis, prefix: config.queue.prefix });
  const scanQueue = new Queue<JobData>(SCAN_QUEUE, { connection: redis, prefix: config.queue.prefix });
  queue.on('error', () => {});
  scanQueue.on('error', () => {});
  const store = new RecipeStore(redis, {
    prefix: config.redis.keyPrefix,
    deadlineMs: config.redis.commandTimeoutMs,
  });
  const backfills = new BackfillStore(redis, {
    prefix: config.redis.keyPrefix,
    deadlineMs: config.redis.commandTimeoutMs,
  });
  const requests = new ScanRequests({
    queue: scanQueue,
    store,
    queueOptions: config.queue,
    registries: opts.registries,
    deadlineMs: config.redis.commandTimeoutMs,
  });
  const metrics = new WalkMetrics(new RedisSampleStore(redis, { prefix: config.redis.keyPrefix }));
  const processor = createWalkProcessor(
    { config, store, backfills, queue, registries: opts.registries, requests, logger, metrics },
    () => worker,
  );
  const worker: Worker<WalkJobData> = new Worker<WalkJobData>(WALK_QUEUE, processor, {
    connection: redis,
    prefix: config.queue.prefix,
    concurrency: config.backfill.concurrency,
    lockDuration: config.worker.lockDurationMs,
    stalledInterval: config.worker.stalledIntervalMs,
    maxStalledCount: config.worker.maxStalledCount,
    autorun: true,
  });
  worker.on('error', (err) => logger.warn({ err: err.message }, 'walk worker error'));
  await worker.waitUntilReady();

  const passOptions = { removeOnComplete: true, removeOnFail: { age: config.queue.keepFailedSeconds } };
  if (config.reconcile.enabled)
    await queue.upsertJobScheduler(
      RECONCILE_SCHEDULER,
      { every: config.reconcile.intervalSeconds * 1000 },
      { name: 'reconcile', data: { kind: 'reconcile' }, opts: passOptions },
    );
  else await queue.removeJobScheduler(RECONCILE_SCHEDULER);
  if (retentionOn(config.retention))
    await queue.upsertJobScheduler(
      RETENTION_SCHEDULER,
      { every: config.retention.intervalSeconds * 1000 },
      { name: 'retention', data: { kind: 'retention' }, opts: passOptions },
    );
  else await queue.removeJobScheduler(RETENTION_SCHEDULER);
  logger.info(
    {
      concurrency: config.backfill.concurrency,
      queue: WALK_QUEUE,
      reconcile: config.reconcile.enabled ? config.reconcile.intervalSeconds : false,
      retention: retentionOn(config.retention) ? config.retention.intervalSeconds : false,
    },
    'registry walk worker started',
  );

  let closing: Promise<void> | undefined;
  const close = (graceMs = config.http.shutdownGraceMs): Promise<void> => {
    closing ??= (async () => {
      const timer = setTimeout(() => worker.cancelAllJobs('shutdown'), graceMs);
      try {
        await worker.close();
      } finally {
        clearTimeout(timer);
      }
      await queue.close().catch(() => {});
      await scanQueue.close().catch(() => {});
      await closeRedis(redis);
      logger.info('registry walk worker stopped');
    })();
    return closing;
  };
  return { worker, close };
}
