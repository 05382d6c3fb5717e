/**
 * A scanner worker process's BullMQ side: Worker(s) on the one scan queue with configured
 * concurrency, stalled-job recovery (a job whose worker died is picked up again once its lock
 * expires; past `maxStalledCount` stalls it fails and is recorded failed), and graceful close: stop taking jobs, let running ones finish within the grace period,
 * then abort them (they return to the queue as retries).
 */
import { Queue, Worker } from 'bullmq';
import type { Logger } from 'pino';
import type { Config } from '../../shared/config/config-schema.js';
import type { RegistryAccess } from '../../shared/config/registry-access.js';
import { SCAN_QUEUE, type JobData } from '../../shared/queue/scan-jobs.js';
import { RecipeStore } from '../../shared/store/recipe-store.js';
import { PolicyStore } from '../../shared/store/policy-store.js';
import { StoreSubjects } from '../../shared/store/verdict-subject.js';
import { VerdictIndex } from '../../shared/store/verdict-index.js';
import { RedisLayerCache } from '../../shared/store/redis-layer-cache.js';
import { createRedis, closeRedis } from '../../shared/store/redis-connection.js';
import { ScanMetrics, countingLayerCache } from '../../shared/metrics/scan-metrics.js';
import { RedisSampleStore } from '../../shared/metrics/redis-sample-store.js';
import { recordUnprocessedFailures } from './bullmq-failure.js';
import { SHUTDOWN, createProcessor, type JobOutcome, type ScanFn } from './process-job.js';

export interface ScannerWorkerOptions {
  config: Config;
  registries: RegistryAccess;
  scan: ScanFn;
  logger: Logger;
}

export interface ScannerWorker {
  worker: Worker<JobData, JobOutcome>;
  /** Stop taking jobs; wait up to `graceMs` for running ones, then abort them. */
  close(graceMs?: number): Promise<void>;
}

export async function startScannerWorker(opts: ScannerWorkerOptions): Promise<ScannerWorker> {
  const { config, logger } = opts;
  const redis = createRedis(config.redis, { mode: 'blocking', connectionName: 'guix-recipes-worker' });
  redis.on('error', (err: Error) => logger.warn({ err: err.message }, 'redis connection trouble'));
  const queue = new Queue<JobData>(SCAN_QUEUE, { connection: redis, prefix: config.queue.prefix });
  queue.on('error', () => {});
  const store = new RecipeStore(redis, {
    prefix: config.redis.keyPrefix,
    deadlineMs: config.redis.commandTimeoutMs,
  });
  // Metrics go to one Redis hash shared by every worker; the API's /metrics renders it.
  const metrics = new ScanMetrics(new RedisSampleStore(redis, { prefix: config.redis.keyPrefix }));
  const layerCache = countingLayerCache(
    new RedisLayerCache(redis, { prefix: config.redis.keyPrefix }),
    metrics,
  );
  // Images whose facts change are judged again under every stored policy (the verdict index).
  const verdictIndex = new VerdictIndex(new PolicyStore(store), new StoreSubjects(store));
  const processor = createProcessor(
    {
      config,
      store,
      queue,
      registries: opts.registries,
      layerCache,
      scan: opts.scan,
      logger,
      metrics,
      verdictIndex,
    },
    () => worker,
  );
  const worker: Worker<JobData, JobOutcome> = new Worker<JobData, JobOutcome>(SCAN_QUEUE, processor, {
    connection: redis,
    prefix: config.queue.prefix,
    concurrency: config.worker.concurrency,
    lockDuration: config.worker.lockDurationMs,
    stalledInterval: config.worker.stalledIntervalMs,
    maxStalledCount: config.worker.maxStalledCount,
    autorun: true,
  });
  worker.on('error', (err) => logger.warn({ err: err.message }, 'worker error'));
  worker.on('stalled', (jobId) =>
    logger.warn({ jobId }, 'job stalled (its worker stopped); it is queued again'),
  );
  // Jobs BullMQ fails without our processor (stalled more than maxStalledCount times) still end
  // `failed` in the store, with the reason.
  recordUnprocessedFailures(worker, { store, logger, metrics, verdictIndex });
  await worker.waitUntilReady();
  logger.info({ concurrency: config.worker.concurrency, queue: SCAN_QUEUE }, 'scanner worker started');

  let closing: Promise<void> | undefined;
  const close = (graceMs = config.http.shutdownGraceMs): Promise<void> => {
    closing ??= (async () => {
      const w = worker;
      const timer = setTimeout(() => {
        logger.warn('grace period over: aborting running scans (they will be retried)');
        w.cancelAllJobs(SHUTDOWN);
      }, graceMs);
      try {
        await w.close();
      } finally {
        clearTimeout(timer);
      }
      await queue.close().catch(() => {});
      await opts.registries.close().catch(() => {});
      await closeRedis(redis);
      logger.info('scanner worker stopped');
    })();
    return closing;
  };
  return { worker, close };
}
