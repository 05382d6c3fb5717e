// A running scan shows a heartbeat that advances while its worker lives, and with the DEFAULT lock
// settings a worker killed mid-scan has its job completed by another worker within the documented
// bound (worker.lockDurationMs + worker.stalledIntervalMs, 20 s) plus the rescan itself. Real worker
// processes, real redis-server and registry; a proxy holds blob reads to catch the scan mid-way.
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
import { scanStatus } from '../../services/api/scan-status.js';
import { spawnService, waitFor, type ServiceProcess } from './service-process.js';

void describe('scan heartbeat and stalled-job recovery with the default lock settings', () => {
  let h: RedisHarness;
  let reg: RunningRegistry;
  let proxy: HoldingProxy;
  let work: string;
  let redis: RedisClient;
  const procs: ServiceProcess[] = [];

  before(async () => {
    h = await startRedis();
    reg = await startRegistry();
    work = await tempDir('gr-heartbeat-');
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

  void it('beats while the scan runs; a killed worker’s job is done by another within the bound', async () => {
    const pushed = await pushFixture('two-channels', `${reg.host}/guix/heartbeat:v1`, 'v2s2', work);
    const cfgFile = join(work, 'config.json');
    // No worker section: the defaults are under test.
    writeFileSync(
      cfgFile,
      JSON.stringify({
        redis: { keyPrefix: h.redisConfig.keyPrefix },
        queue: { prefix: `{${h.redisConfig.keyPrefix}}`, backoffMs: 100 },
        http: { shutdownGraceMs: 1000 },
      }),
    );
    const env = {
      ...process.env,
      REDIS_URL: h.url,
      GUIX_RECIPES_CONFIG: cfgFile,
      GUIX_RECIPES_REGISTRIES: `http://${proxy.host}`,
      GUIX_RECIPES_LOG_LEVEL: 'info',
    };
    const config = loadConfig({ env });
    const bound = config.worker.lockDurationMs + config.worker.stalledIntervalMs;
    assert.equal(bound, 20000, 'documented: recovery within 15 s + 5 s');
    const store = new RecipeStore(redis, { prefix: config.redis.keyPrefix });
    const queue = new Queue(SCAN_QUEUE, { connection: redis, prefix: config.queue.prefix });
    try {
      const img = { registry: proxy.host, repository: 'guix/heartbeat', digest: pushed.digest };
      await enqueue(
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
      const running = await store.getImage(img);
      assert.equal(running?.state, 'running');
      const beat1 = running.heartbeatAt;
      assert.ok(beat1, 'a running scan has a heartbeat');
      assert.equal(scanStatus(running).heartbeatAt, beat1, 'GET /v1/scans/{id} shows it');
      const beat2 = await waitFor(
        'the heartbeat to advance',
        async () => {
          const b = (await store.getImage(img))?.heartbeatAt;
          return b !== undefined && b > beat1 ? b : undefined;
        },
        config.worker.lockDurationMs,
      );
      assert.ok(Date.parse(beat2) - Date.parse(beat1) <= config.worker.lockDurationMs / 3 + 1000);

      await first.kill(); // SIGKILL: the lock is left to expire
      const killedAt = Date.now();
      proxy.dropHeld();
      proxy.hold = false;
      const second = spawnService('worker', { cwd: work, env });
      procs.push(second);
      const done = await waitFor(
        'the scan to be completed by the second worker',
        async () => {
          const r = await store.getImage(img);
          return r?.state === 'done' || r?.state === 'failed' ? r : undefined;
        },
        bound + 15000,
        200,
      );
      const took = Date.now() - killedAt;
      assert.equal(done.state, 'done', JSON.stringify(done));
      assert.equal(done.scans, 1);
      assert.ok(took < bound + 8000, `recovered in ${took} ms (bound ${bound} ms + the rescan)`);
      assert.match(second.output(), /job stalled/);
      assert.equal(await second.stop(), 0, second.output());
    } finally {
      await queue.close();
    }
  });
});
