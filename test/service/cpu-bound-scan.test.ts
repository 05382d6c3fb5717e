// A long scan on a busy machine is never declared stalled: the worker's lock renewal runs on the same
// event loop as the scan, so the scan must yield often enough. Scaled down to stay fast: a 512 MiB
// generated layer (bench/generate-image.ts) scanned with a 1 s lock while two busy loops hold
// the cores, so the scan lasts several lock lifetimes even on a fast machine (about 4 s at 130 MiB/s)
// and each event-loop stall longer than about half the lock (0.5 s here, 7.5 s with the default
// 15 s) would lose it. The job must run once.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { BenchLayout } from '../../bench/generate-image.js';
import { startRedis, type RedisHarness } from '../harness/redis.js';
import { startRegistry, type RunningRegistry } from '../harness/registry.js';
import { skopeo, tempDir } from '../harness/skopeo.js';
import { closeRedis, type RedisClient } from '../../shared/store/redis-connection.js';
import { RecipeStore } from '../../shared/store/recipe-store.js';
import { SCAN_QUEUE } from '../../shared/queue/scan-jobs.js';
import { enqueue } from '../../shared/queue/scan-requests.js';
import { loadConfig } from '../../shared/config/load-config.js';
import { spawnService, waitFor, type ServiceProcess } from './service-process.js';

const LOCK_MS = 1000;

void describe('a long CPU-bound scan on busy cores', () => {
  let h: RedisHarness;
  let reg: RunningRegistry;
  let layout: BenchLayout | undefined;
  let work: string;
  let redis: RedisClient;
  const procs: ServiceProcess[] = [];
  const busy: ChildProcess[] = [];

  before(async () => {
    h = await startRedis();
    reg = await startRegistry();
    work = await tempDir('gr-cpu-');
    redis = h.connect('blocking');
  });
  after(async () => {
    for (const b of busy) b.kill('SIGKILL');
    for (const p of procs) await p.kill();
    if (redis) await closeRedis(redis);
    await reg?.stop();
    await h?.stop();
    if (layout) rmSync(layout.root, { recursive: true, force: true });
    if (work) rmSync(work, { recursive: true, force: true });
  });

  void it('keeps its lock and runs exactly once', async () => {
    const signal = AbortSignal.timeout(300_000);
    layout = await BenchLayout.create(tmpdir(), 'seed-python-numpy');
    const [image] = await layout.grow({ mib: 512, position: 'end', compressions: ['gzip'], signal });
    assert.ok(image);
    await skopeo(
      [
        'copy',
        '--preserve-digests',
        '--dest-tls-verify=false',
        `oci:${layout.dir}:${image.ref}`,
        `docker://${reg.host}/guix/big:v1`,
      ],
      { timeoutMs: 120_000 },
    );
    const digest = (
      await skopeo([
        'inspect',
        '--tls-verify=false',
        '--format',
        '{{.Digest}}',
        `docker://${reg.host}/guix/big:v1`,
      ])
    ).trim();
    rmSync(layout.root, { recursive: true, force: true });
    layout = undefined;

    const cfgFile = join(work, 'config.json');
    writeFileSync(
      cfgFile,
      JSON.stringify({
        redis: { keyPrefix: h.redisConfig.keyPrefix },
        queue: { prefix: `{${h.redisConfig.keyPrefix}}`, backoffMs: 100 },
        worker: { lockDurationMs: LOCK_MS, stalledIntervalMs: 500, concurrency: 1 },
        http: { shutdownGraceMs: 1000 },
      }),
    );
    const env = {
      ...process.env,
      REDIS_URL: h.url,
      GUIX_RECIPES_CONFIG: cfgFile,
      GUIX_RECIPES_REGISTRIES: `http://${reg.host}`,
      GUIX_RECIPES_LOG_LEVEL: 'info',
    };
    const config = loadConfig({ env });
    const store = new RecipeStore(redis, { prefix: config.redis.keyPrefix });
    const queue = new Queue(SCAN_QUEUE, { connection: redis, prefix: config.queue.prefix });
    try {
      const img = { registry: reg.host, repository: 'guix/big', digest: digest as `sha256:${string}` };
      await enqueue(
        queue,
        { kind: 'scan', ...img, source: 'test', requestedAt: new Date().toISOString() },
        config.queue,
      );
      await store.markQueued(img, { source: 'test' });
      for (let i = 0; i < 2; i++)
        busy.push(spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));

      const worker = spawnService('worker', { cwd: work, env });
      procs.push(worker);
      const rec = await waitFor(
        'the big scan to end',
        async () => {
          const r = await store.getImage(img);
          return r?.state === 'done' || r?.state === 'failed' ? r : undefined;
        },
        120_000,
        200,
      );
      for (const b of busy) b.kill('SIGKILL');
      assert.equal(rec.state, 'done', JSON.stringify(rec));
      assert.equal(rec.scans, 1);
      // The log line follows the store's update: on a busy machine it may not be read yet.
      const doneLines = await waitFor('the worker to log the job done', async () => {
        const lines = worker
          .output()
          .split('\n')
          .filter((l) => l.includes('"scan job done"'));
        return lines.length > 0 ? lines : undefined;
      });
      const out = worker.output();
      assert.equal(doneLines.length, 1, out);
      const ms = (JSON.parse(doneLines[0]!) as { ms: number }).ms;
      assert.ok(ms >= 2 * LOCK_MS, `the scan lasted ${ms} ms: several lock lifetimes`);
      assert.doesNotMatch(out, /stalled|could not renew lock|Missing lock/i);
      assert.equal(await worker.stop(), 0, out);
    } finally {
      await queue.close();
    }
  });
});
