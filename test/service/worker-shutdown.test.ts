// A scanner worker shutting down with a scan still running past the grace period: the scan is
// aborted and its job returns to the queue without using up an attempt (even its last one), and
// the image record says queued again, not failed. Real redis-server, real BullMQ worker; the scan
// function is a stand-in that runs until aborted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Queue } from 'bullmq';
import { pino } from 'pino';
import { startRedis } from '../harness/redis.js';
import { loadConfig } from '../../shared/config/load-config.js';
import { createRegistryAccess } from '../../shared/config/registry-access.js';
import { SCAN_QUEUE, type ScanJobData } from '../../shared/queue/scan-jobs.js';
import { enqueueAndRecord } from '../../shared/queue/scan-requests.js';
import { RecipeStore } from '../../shared/store/recipe-store.js';
import { closeRedis } from '../../shared/store/redis-connection.js';
import { sha256Digest } from '../../shared/content/digest.js';
import { startScannerWorker } from '../../workers/scanner/scanner-worker.js';
import type { ScanFn } from '../../workers/scanner/process-job.js';

void test('shutdown past the grace period returns the running job to the queue, no attempt used', async (t) => {
  const h = await startRedis();
  t.after(() => h.stop());
  const config = loadConfig({
    env: { GUIX_RECIPES_REGISTRIES: 'http://127.0.0.1:5999', GUIX_RECIPES_LOG_LEVEL: 'silent' },
    file: { queue: { prefix: '{shutdown}', attempts: 1 } },
  });
  config.redis = { ...h.redisConfig };
  let started!: () => void;
  const running = new Promise<void>((r) => (started = r));
  const hang: ScanFn = (_source, opts) =>
    new Promise((_resolve, reject) => {
      started();
      opts.signal.addEventListener('abort', () => reject(opts.signal.reason as Error), { once: true });
    });
  const worker = await startScannerWorker({
    config,
    registries: createRegistryAccess(config),
    scan: hang,
    logger: pino({ level: 'silent' }),
  });
  const conn = h.connect('blocking');
  t.after(() => closeRedis(conn));
  const queue = new Queue(SCAN_QUEUE, { connection: conn, prefix: config.queue.prefix });
  t.after(() => queue.close());
  const store = new RecipeStore(conn, { prefix: config.redis.keyPrefix });
  const data: ScanJobData = {
    kind: 'scan',
    registry: '127.0.0.1:5999',
    repository: 'team/app',
    digest: sha256Digest('shutdown'),
    source: 'test',
    requestedAt: new Date().toISOString(),
  };
  const { id } = await enqueueAndRecord(queue, store, data, config.queue);
  await running;
  assert.equal((await store.getImage(data))?.state, 'running');
  await worker.close(50);
  const job = await queue.getJob(id);
  assert.ok(job, 'the job still exists');
  assert.equal(await job.getState(), 'waiting', 'back in the queue, not failed');
  assert.equal(job.attemptsMade, 0, 'no attempt used up');
  const rec = await store.getImage(data);
  assert.equal(rec?.state, 'queued');
  assert.equal(rec?.error, undefined);
});
