// A worker killed in the middle of a scan: its job is recovered (stalled → queued again) and
// another worker process completes it. The registry sits behind a tiny proxy that holds blob
// reads while the test wants the scan to be "in the middle" — something a real registry cannot do.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { startRedis, type RedisHarness } from '../harness/redis.js';
import { startHoldingProxy, type HoldingProxy } from '../harness/holding-proxy.js';
import { startRegistry, type RunningRegistry } from '../harness/registry.js';
import { pushFixture, tempDir, FIXTURES_DIR } from '../harness/skopeo.js';
import { closeRedis, type RedisClient } from '../../shared/store/redis-connection.js';
import { RecipeStore } from '../../shared/store/recipe-store.js';
import { SCAN_QUEUE } from '../../shared/queue/scan-jobs.js';
import { enqueue } from '../../shared/queue/scan-requests.js';
import { loadConfig } from '../../shared/config/load-config.js';
import { renderChannels } from '../../shared/guix/build-recipe.js';
import { spawnService, waitFor, type ServiceProcess } from './service-process.js';

void describe('worker restart in the middle of a scan', () => {
  let h: RedisHarness;
  let reg: RunningRegistry;
  let proxy: HoldingProxy;
  let work: string;
  let redis: RedisClient;
  const procs: ServiceProcess[] = [];

  before(async () => {
    h = await startRedis();
    reg = await startRegistry();
    work = await tempDir('gr-restart-');
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

  void it('recovers the job of a killed worker and completes it in another process', async () => {
    const proxyHost = proxy.host;
    const pushedImg = await pushFixture('two-channels', `${reg.host}/guix/restart:v1`, 'v2s2', work);
    const cfgFile = join(work, 'config.json');
    writeFileSync(
      cfgFile,
      JSON.stringify({
        redis: { keyPrefix: h.redisConfig.keyPrefix },
        queue: { prefix: `{${h.redisConfig.keyPrefix}}`, backoffMs: 100 },
        worker: { lockDurationMs: 1500, stalledIntervalMs: 1000, concurrency: 1 },
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
      const img = { registry: proxyHost, repository: 'guix/restart', digest: pushedImg.digest };
      const { id } = await enqueue(
        queue,
        { kind: 'scan', ...img, source: 'test', requestedAt: new Date().toISOString() },
        config.queue,
      );
      await store.markQueued(img, { source: 'test' });

      const first = spawnService('worker', { cwd: work, env });
      procs.push(first);
      await waitFor(
        'the first worker to be reading a blob',
        async () => (proxy.blobRequests > 0 ? true : undefined),
        30000,
      );
      assert.equal((await store.getImage(img))?.state, 'running');
      assert.equal(await (await queue.getJob(id))!.getState(), 'active');
      await first.kill(); // SIGKILL: no goodbye, the lock is left to expire
      proxy.dropHeld();
      proxy.hold = false;

      const second = spawnService('worker', { cwd: work, env });
      procs.push(second);
      const rec = await waitFor(
        'the scan to be completed by the second worker',
        async () => {
          const r = await store.getImage(img);
          return r?.state === 'done' || r?.state === 'failed' ? r : undefined;
        },
        40000,
      );
      assert.equal(rec.state, 'done', JSON.stringify(rec));
      assert.equal(rec.scans, 1);
      assert.match(second.output(), /stalled|scan job done/);
      const result = await store.getResult(img.digest);
      assert.ok(result?.kind === 'recipe');
      assert.equal(
        renderChannels(result.recipe),
        readFileSync(join(FIXTURES_DIR, 'two-channels', 'export-channels.scm'), 'utf8'),
      );
      // The job completes (and is removed) just after the record says done.
      await waitFor(
        'the completed job removed',
        async () => ((await queue.getJob(id)) === undefined ? true : undefined),
        10000,
      );
      assert.equal(await second.stop(), 0, `worker exits 0 on SIGTERM:\n${second.output()}`);
    } finally {
      await queue.close();
    }
  });
});
