// `start` / `serve` on a port another process holds: bind first, exit non-zero at once with one line
// naming the address, and never start a worker (no scan of another instance's queue). Real
// processes, a real redis-server, a real listening socket in the way.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { startRedis, type RedisHarness } from '../harness/redis.js';
import { tempDir } from '../harness/skopeo.js';
import { closeRedis, type RedisClient } from '../../shared/store/redis-connection.js';
import { spawnService, type ServiceProcess } from './service-process.js';

void describe('the API port is taken', () => {
  let h: RedisHarness;
  let redis: RedisClient;
  let work: string;
  let holder: Server;
  let port: number;
  const procs: ServiceProcess[] = [];

  before(async () => {
    h = await startRedis();
    redis = h.connect('request');
    work = await tempDir('gr-port-');
    holder = createServer();
    await new Promise<void>((res) => holder.listen(0, '127.0.0.1', res));
    port = (holder.address() as { port: number }).port;
  });
  after(async () => {
    for (const p of procs) await p.kill();
    await new Promise((res) => holder?.close(res));
    if (redis) await closeRedis(redis);
    await h?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  for (const command of ['start', 'serve'] as const)
    void it(`${command}: exits non-zero within seconds and touches no queue`, async () => {
      const prefix = `port-${command}`;
      const cfgFile = join(work, `${command}.json`);
      writeFileSync(
        cfgFile,
        JSON.stringify({ redis: { keyPrefix: prefix }, queue: { prefix: `{${prefix}}` } }),
      );
      const env = {
        ...process.env,
        REDIS_URL: h.url,
        PORT: String(port),
        GUIX_RECIPES_CONFIG: cfgFile,
        GUIX_RECIPES_LOG_LEVEL: 'info',
      };
      const p = spawnService(command, { cwd: work, env });
      procs.push(p);
      // The bound covers starting Node and loading the code on a busy 2-core machine (several
      // seconds from the sources); the fault it catches is a process that never exits.
      const code = await Promise.race([
        p.exited,
        new Promise<string>((res) => setTimeout(() => res('still running'), 45_000)),
      ]);
      assert.notEqual(code, 'still running', `still alive after 45 s:\n${p.output()}`);
      assert.notEqual(code, 0, p.output());
      assert.match(p.output(), new RegExp(`127\\.0\\.0\\.1:${port}.*(in use|EADDRINUSE)`), p.output());
      assert.doesNotMatch(p.output(), /scanner worker started/);
      // A worker's stalled checker marks the queue as soon as it runs.
      assert.equal(await redis.exists(`{${prefix}}:scans:stalled-check`), 0, 'no worker ran');
      assert.deepEqual(await redis.keys(`{${prefix}}:*`), [], 'no queue key written');
    });
});
