/**
 * Real redis-server for tests, on free loopback ports with temp data: one server, a three-master
 * Cluster (redis-cli --cluster create), or a master watched by a Sentinel (`redis-server --sentinel`,
 * Debian ships no separate redis-sentinel binary). No persistence, `noeviction` (BullMQ needs it).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { Config } from '../../shared/config/config-schema.js';
import { createRedis, type ConnectOptions, type RedisClient } from '../../shared/store/redis-connection.js';

export type RedisMode = 'standalone' | 'cluster' | 'sentinel';

export interface RedisHarness {
  mode: RedisMode;
  /** `redis://127.0.0.1:PORT` (standalone only). */
  url?: string;
  /** The `redis` section of a Config that connects to it. */
  redisConfig: Config['redis'];
  /** The server ports (the masters; for sentinel: [master]). */
  ports: number[];
  /** A client as the service would make it. */
  connect(mode?: ConnectOptions['mode']): RedisClient;
  /** Kill the server(s) (for "Redis down" tests); `restart` brings a standalone one back on the same port. */
  stopServers(): Promise<void>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const BASE_ARGS = [
  '--bind',
  '127.0.0.1',
  '--save',
  '',
  '--appendonly',
  'no',
  '--maxmemory-policy',
  'noeviction',
  '--protected-mode',
  'no',
];

/** A TCP port free on loopback right now (and, for cluster nodes, port+10000 as well). */
export async function freePort(opts: { busPort?: boolean } = {}): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    if (!opts.busPort) return port;
    if (port + 10000 > 65535) continue;
    const ok = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(port + 10000, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (ok) return port;
  }
  throw new Error('no free port pair found');
}

async function waitPing(port: number, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const c = new Redis({
      port,
      host: '127.0.0.1',
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    c.on('error', () => {});
    try {
      await c.connect();
      if ((await c.ping()) === 'PONG') {
        c.disconnect();
        return;
      }
    } catch {
      /* not yet */
    }
    c.disconnect();
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis on port ${port} did not start`);
}

function spawnRedis(args: string[], cwd: string): ChildProcess {
  const child = spawn('redis-server', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.resume();
  return child;
}

async function killAll(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.once('exit', () => resolve());
          c.kill('SIGKILL');
        }),
    ),
  );
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

function track(c: ChildProcess): ChildProcess {
  live.add(c);
  c.once('exit', () => live.delete(c));
  return c;
}

const baseRedisConfig = (): Omit<Config['redis'], 'url' | 'cluster' | 'sentinel'> => ({
  keyPrefix: `test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
  embeddedDir: 'var/redis',
  commandTimeoutMs: 2000,
});

/** Start Redis in the given mode. Always `stop()` it (t.after / after()). */
export async function startRedis(opts: { mode?: RedisMode } = {}): Promise<RedisHarness> {
  const mode = opts.mode ?? 'standalone';
  const dir = mkdtempSync(join(tmpdir(), `gr-redis-${mode}-`));
  let children: ChildProcess[] = [];
  const cleanup = async (): Promise<void> => {
    await killAll(children);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    if (mode === 'standalone') {
      const port = await freePort();
      const start = async (): Promise<void> => {
        children = [track(spawnRedis(['--port', String(port), ...BASE_ARGS], dir))];
        await waitPing(port);
      };
      await start();
      const redisConfig: Config['redis'] = { ...baseRedisConfig(), url: `redis://127.0.0.1:${port}` };
      return {
        mode,
        url: redisConfig.url,
        redisConfig,
        ports: [port],
        connect: (m = 'blocking') => createRedis(redisConfig, { mode: m }),
        stopServers: () => killAll(children),
        restart: start,
        stop: cleanup,
      };
    }
    if (mode === 'cluster') {
      const ports = [
        await freePort({ busPort: true }),
        await freePort({ busPort: true }),
        await freePort({ busPort: true }),
      ];
      children = ports.map((p) =>
        track(
          spawnRedis(
            [
              '--port',
              String(p),
              ...BASE_ARGS,
              '--cluster-enabled',
              'yes',
              '--cluster-config-file',
              `nodes-${p}.conf`,
              '--cluster-node-timeout',
              '2000',
              '--dbfilename',
              `dump-${p}.rdb`,
            ],
            dir,
          ),
        ),
      );
      await Promise.all(ports.map((p) => waitPing(p)));
      const res = spawnSync(
        'redis-cli',
        [
          '--cluster',
          'create',
          ...ports.map((p) => `127.0.0.1:${p}`),
          '--cluster-replicas',
          '0',
          '--cluster-yes',
        ],
        {
          encoding: 'utf8',
          timeout: 30000,
        },
      );
      if (res.status !== 0) throw new Error(`redis-cli --cluster create failed: ${res.stdout}${res.stderr}`);
      const deadline = Date.now() + 15000;
      for (;;) {
        const states = ports.map(
          (p) => spawnSync('redis-cli', ['-p', String(p), 'cluster', 'info'], { encoding: 'utf8' }).stdout,
        );
        if (states.every((s) => s.includes('cluster_state:ok'))) break;
        if (Date.now() > deadline) throw new Error('cluster did not reach cluster_state:ok');
        await new Promise((r) => setTimeout(r, 100));
      }
      const redisConfig: Config['redis'] = {
        ...baseRedisConfig(),
        cluster: ports.map((port) => ({ host: '127.0.0.1', port })),
      };
      return {
        mode,
        redisConfig,
        ports,
        connect: (m = 'blocking') => createRedis(redisConfig, { mode: m }),
        stopServers: () => killAll(children),
        restart: () => Promise.reject(new Error('restart: standalone only')),
        stop: cleanup,
      };
    }
    // sentinel
    const masterPort = await freePort();
    const sentinelPort = await freePort();
    children.push(track(spawnRedis(['--port', String(masterPort), ...BASE_ARGS], dir)));
    await waitPing(masterPort);
    const conf = join(dir, 'sentinel.conf');
    writeFileSync(
      conf,
      [
        `port ${sentinelPort}`,
        'bind 127.0.0.1',
        'protected-mode no',
        `dir ${dir}`,
        `sentinel monitor mymaster 127.0.0.1 ${masterPort} 1`,
        'sentinel down-after-milliseconds mymaster 5000',
        '',
      ].join('\n'),
    );
    children.push(track(spawnRedis([conf, '--sentinel'], dir)));
    await waitPing(sentinelPort);
    // Wait until the sentinel knows its master.
    const deadline = Date.now() + 10000;
    for (;;) {
      const out = spawnSync(
        'redis-cli',
        ['-p', String(sentinelPort), 'sentinel', 'get-master-addr-by-name', 'mymaster'],
        { encoding: 'utf8' },
      ).stdout;
      if (out.includes(String(masterPort))) break;
      if (Date.now() > deadline) throw new Error('sentinel does not know its master');
      await new Promise((r) => setTimeout(r, 100));
    }
    const redisConfig: Config['redis'] = {
      ...baseRedisConfig(),
      sentinel: { sentinels: [{ host: '127.0.0.1', port: sentinelPort }], name: 'mymaster' },
    };
    return {
      mode,
      redisConfig,
      ports: [masterPort, sentinelPort],
      connect: (m = 'blocking') => createRedis(redisConfig, { mode: m }),
      stopServers: () => killAll(children),
      restart: () => Promise.reject(new Error('restart: standalone only')),
      stop: cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
