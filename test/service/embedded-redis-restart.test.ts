// `start` with its own redis-server: that server killed with SIGKILL is started again on the same
// data directory (what was written before is still there, /readyz answers 200 again); when it cannot
// be brought back, /healthz says so (503) and the process exits non-zero. Real processes: the
// service, redis-server (through a wrapper on PATH that the test can make fail), signals.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../harness/redis.js';
import { tempDir } from '../harness/skopeo.js';
import { spawnService, waitFor, waitReady, type ServiceProcess } from './service-process.js';

async function serverPid(socket: string): Promise<number> {
  const c = new Redis({
    path: socket,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  c.on('error', () => {});
  try {
    await c.connect();
    const info = await c.info('server');
    return Number(/process_id:(\d+)/.exec(info)![1]);
  } finally {
    c.disconnect();
  }
}

async function status(url: string): Promise<number> {
  const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
  await r.arrayBuffer();
  return r.status;
}

void describe('the embedded redis-server of start', () => {
  let work: string;
  let proc: ServiceProcess | undefined;

  before(async () => {
    work = await tempDir('gr-embedded-');
  });
  after(async () => {
    await proc?.kill();
    // A redis-server the service could not stop must not outlive the test.
    const left = await serverPid(join(work, 'var', 'redis', 'redis.sock')).catch(() => undefined);
    if (left !== undefined) process.kill(left, 'SIGKILL');
    if (work) rmSync(work, { recursive: true, force: true });
  });

  void it('is restarted on the same data after SIGKILL; past the restart limit, start exits non-zero', async () => {
    const real = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).stdout.trim();
    assert.ok(real, 'redis-server on PATH');
    const bin = join(work, 'bin');
    mkdirSync(bin);
    const broken = join(work, 'redis-broken');
    writeFileSync(
      join(bin, 'redis-server'),
      `#!/bin/sh\nif [ -e '${broken}' ] && [ "$1" != --version ]; then exit 1; fi\nexec '${real}' "$@"\n`,
    );
    chmodSync(join(bin, 'redis-server'), 0o755);
    const cfgFile = join(work, 'config.json');
    writeFileSync(cfgFile, JSON.stringify({ http: { shutdownGraceMs: 1000 } }));
    const port = await freePort();
    const env: Record<string, string | undefined> = {
      ...process.env,
      PATH: `${bin}:${process.env.PATH ?? ''}`,
      PORT: String(port),
      GUIX_RECIPES_CONFIG: cfgFile,
      GUIX_RECIPES_LOG_LEVEL: 'info',
    };
    delete env.REDIS_URL;
    const base = `http://127.0.0.1:${port}`;
    proc = spawnService('start', { cwd: work, env });
    await waitReady(base, proc);
    const socket = join(work, 'var', 'redis', 'redis.sock');

    // Something written, and on disk (appendfsync everysec) before the kill.
    const c = new Redis({ path: socket });
    c.on('error', () => {});
    await c.set('kept-across-restart', 'yes');
    await new Promise((r) => setTimeout(r, 1500));
    c.disconnect();

    const first = await serverPid(socket);
    process.kill(first, 'SIGKILL');
    const second = await waitFor(
      'a new redis-server',
      async () => {
        const pid = await serverPid(socket).catch(() => undefined);
        return pid !== undefined && pid !== first ? pid : undefined;
      },
      20000,
    );
    await waitReady(base, proc, 20000);
    assert.equal(await status(`${base}/healthz`), 200);
    const d = new Redis({ path: socket });
    d.on('error', () => {});
    assert.equal(await d.get('kept-across-restart'), 'yes', 'same data directory, AOF replayed');
    d.disconnect();
    assert.match(proc.output(), /redis-server stopped \(SIGKILL\); restarting it/);
    assert.match(proc.output(), /running again/);

    // Now it cannot come back: /healthz tells a supervisor, and the process ends non-zero.
    writeFileSync(broken, '');
    process.kill(second, 'SIGKILL');
    await waitFor('/healthz to answer 503', async () =>
      (await status(`${base}/healthz`)) === 503 ? true : undefined,
    );
    const code = await Promise.race([
      proc.exited,
      new Promise<string>((r) => setTimeout(() => r('still running'), 40000)),
    ]);
    assert.notEqual(code, 'still running', proc.output());
    assert.notEqual(code, 0, proc.output());
    assert.match(proc.output(), /restarts within \d+ ms did not keep it up/);
  });
});
