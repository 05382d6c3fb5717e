/**
 * The redis-server `guix-recipes start` runs for itself when no REDIS_URL is given: from PATH,
 * listening only on a unix socket under the data directory (mode 700, no TCP port), AOF on, data
 * kept across restarts. A server already running on that socket (an earlier `start` that was
 * killed) is reused rather than started twice on the same files.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { RecipeError } from '../errors.js';

export const INSTALL_HINT =
  'redis-server not found on PATH: install it (apt-get install -y redis-server) or set REDIS_URL';

export interface EmbeddedRedis {
  /** `unix://…` for REDIS_URL / config.redis.url. */
  url: string;
  /** The data directory. */
  dir: string;
  /** True when a server was already running there and is reused (then `stop` leaves it alone). */
  reused: boolean;
  /** Stop the server (SIGTERM: redis-server flushes the AOF and exits). */
  stop(): Promise<void>;
}

/** Whether redis-server can be run. */
export function haveRedisServer(): boolean {
  const r = spawnSync('redis-server', ['--version'], { stdio: 'ignore' });
  return !r.error && r.status === 0;
}

async function pingSocket(path: string): Promise<boolean> {
  const c = new Redis({
    path,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1000,
  });
  c.on('error', () => {});
  try {
    await c.connect();
    return (await c.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    c.disconnect();
  }
}

/** Start (or reuse) the embedded redis-server with data under `dir` (relative to `cwd`). */
export async function startEmbeddedRedis(opts: {
  dir: string;
  cwd: string;
  signal?: AbortSignal;
  timeoutMs?: number;
}): Promise<EmbeddedRedis> {
  const dir = isAbsolute(opts.dir) ? opts.dir : resolve(opts.cwd, opts.dir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const absSocket = join(dir, 'redis.sock');
  // unix socket paths are limited to ~107 bytes: fall back to a path relative to cwd when long.
  const socket = absSocket.length < 100 ? absSocket : relative(opts.cwd, absSocket);
  if (socket.length >= 100)
    throw new RecipeError('usage', `the Redis data directory path is too long for a unix socket: ${dir}`);
  const url = `unix://${socket}`;
  if (existsSync(absSocket) && (await pingSocket(socket)))
    return { url, dir, reused: true, stop: async () => {} };
  if (!haveRedisServer()) throw new RecipeError('unavailable', INSTALL_HINT);

  const child: ChildProcess = spawn(
    'redis-server',
    [
      '--port',
      '0',
      '--unixsocket',
      socket,
      '--unixsocketperm',
      '700',
      '--dir',
      dir,
      '--appendonly',
      'yes',
      '--appendfsync',
      'everysec',
      '--maxmemory-policy',
      'noeviction',
      '--protected-mode',
      'yes',
      '--logfile',
      join(dir, 'redis.log'),
    ],
    { cwd: opts.cwd, stdio: 'ignore' },
  );
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  const deadline = Date.now() + (opts.timeoutMs ?? 15000);
  for (;;) {
    if (child.exitCode !== null)
      throw new RecipeError(
        'unavailable',
        `redis-server exited at start (status ${child.exitCode}); see ${join(dir, 'redis.log')}`,
      );
    if (await pingSocket(socket)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new RecipeError(
        'unavailable',
        `redis-server did not answer on ${socket}; see ${join(dir, 'redis.log')}`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    dir,
    reused: false,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10000);
      await exited;
      clearTimeout(t);
    },
  };
}
