// A scan whose worker dies more often than `worker.maxStalledCount` allows is failed by BullMQ's
// stalled checker without our processor running: the image record must still end `failed`, with
// a reason, not stay `running` forever. And a failure the processor recorded itself keeps its own
// code (it is not recorded a second time). Real redis-server, real worker processes; the registry
// sits behind a proxy that holds blob reads so a worker can be killed in the middle of a scan.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { startRedis, type RedisHarness } from '../harness/redis.js';
import { startHoldingProxy, type HoldingProxy } from '../harness/holding-proxy.js';
import { startRegistry, type RunningRegistry } from '../harness/registry.js';
import { pushFixture, tempDir } from '../harness/skopeo.js';
import { closeRedis, type RedisClient } from '../../shared/store/redis-connection.js';
import { RecipeStore } from '../../shared/store/recipe-store.js';
import { SCAN_QUEUE } from '../../shared/queue/scan-jobs.js';
import { enqueue } from '../../shared/queue/scan-requests.js';
import { loadConfig } from '../../shared/config/load-config.js';
import { sha256Digest } from '../../shared/content/digest.js';
import { spawnService, waitFor, type ServiceProcess } from './service-process.js';

void describe('a scan past worker.maxStalledCount', () => {
  let h: RedisHarness;
  let reg: RunningRegistry;
  let proxy: HoldingProxy;
  let work: string;
  let redis: RedisClient;
  const procs: ServiceProcess[] = [];

  before(async () => {
    h = await startRedis();
    reg = await startRegistry();
    work = await tempDir('gr-stalled-');
    proxy = await startHoldingProxy(reg.port);
    redis = h.connect('blocking');
  });
  after(async () => {
    for (const p of procs) await p.kill();
    await proxy?.close();
    if (redis) await closeRedis(redis);
    await reg?.stop();
    await h?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  void it('records the stalled-limit failure; keeps a failure the processor recorded', async () => {
    const proxyHost = proxy.host;
    const pushed = await pushFixture('two-channels', `${reg.host}/guix/stalls:v1`, 'v2s2', work);
    const cfgFile = join(work, 'config.json');
    writeFileSync(
      cfgFile,
      JSON.stringify({
        redis: { keyPrefix: h.redisConfig.keyPrefix },
        queue: { prefix: `{${h.redisConfig.keyPrefix}}`, backoffMs: 100, attempts: 3 },
        worker: { lockDurationMs: 1000, stalledIntervalMs: 500, maxStalledCount: 0, concurrency: 1 },
        http: { shutdownGraceMs: 1000 },
      }),
    );
    const env = {
      ...process.env,
      REDIS_URL: h.url,
      GUIX_RECIPES_CONFIG: cfgFile,
      GUIX_RECIPES_REGISTRIES: `http://${proxyHost}`,
      GUIX_RECIPES_LOG_LEVEL: 'info',
    };
    const config = loadConfig({ env });
    const store = new RecipeStore(redis, { prefix: config.redis.keyPrefix });
    const queue = new Queue(SCAN_QUEUE, { connection: redis, prefix: config.queue.prefix });
    try {
      const img = { registry: proxyHost, repository: 'guix/stalls', digest: pushed.digest };
      const { id } = await enqueue(
        queue,
        { kind: 'scan', ...img, source: 'test', requestedAt: new Date().toISOString() },
        config.queue,
      );
      await store.markQueued(img, { source: 'test' });

      const first = spawnService('worker', { cwd: work, env });
      procs.push(first);
      await waitFor('the first worker to be reading a blob', async () =>
        proxy.blobRequests > 0 ? true : undefined,
      );
      assert.equal((await store.getImage(img))?.state, 'running');
      await first.kill(); // SIGKILL mid-scan: the job stalls once, maxStalledCount is 0
      const blobsBefore = proxy.blobRequests;

      const second = spawnService('worker', { cwd: work, env });
      procs.push(second);
      const rec = await waitFor(
        'the image record to end failed',
        async () => {
          const r = await store.getImage(img);
          return r?.state === 'failed' || r?.state === 'done' ? r : undefined;
        },
        90_000,
      );
      assert.equal(rec.state, 'failed', JSON.stringify(rec));
      assert.equal(rec.error?.code, 'internal');
      assert.match(rec.error?.message ?? '', /stalled 1 time \(a worker died during it\)/);
      const job = await queue.getJob(id);
      assert.equal(await job?.getState(), 'failed');
      assert.equal(job?.failedReason, 'job stalled more than allowable limit');
      assert.equal(proxy.blobRequests, blobsBefore, 'BullMQ failed it without running the scan again');
      assert.match(second.output(), /stalled 1 time/);

      // A failure the processor records (a manifest that is not there: not-found, permanent) is
      // not recorded a second time as `internal` by the failed-event listener.
      const missing = { registry: proxyHost, repository: 'guix/stalls', digest: sha256Digest('absent') };
      const m = await enqueue(
        queue,
        { kind: 'scan', ...missing, source: 'test', requestedAt: new Date().toISOString() },
        config.queue,
      );
      await store.markQueued(missing, { source: 'test' });
      await waitFor('the missing image job to fail', async () =>
        (await (await queue.getJob(m.id))?.getState()) === 'failed' ? true : undefined,
      );
      const failed = await waitFor('the missing image record to end failed', async () => {
        const r = await store.getImage(missing);
        return r?.state === 'failed' ? r : undefined;
      });
      await new Promise((r) => setTimeout(r, 500)); // a second (wrong) record would land by now
      const after = await store.getImage(missing);
      assert.equal(after?.error?.code, 'not-found', JSON.stringify(after));
      assert.deepEqual(after, failed, 'recorded once');
      assert.equal(await second.stop(), 0, `worker exits 0 on SIGTERM:\n${second.output()}`);
    } finally {
      await queue.close();
    }
  });
});
