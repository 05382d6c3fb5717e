/**
 * The redis-server `guix-recipes start` runs for itself when no REDIS_URL is given: from PATH,
 * listening only on a unix socket under the data directory (mode 700, no TCP port), AOF on, data
 * kept across restarts. A server already running on that socket (an earlier `start` that was
 * killed) is reused rather than started twice on the same files. A server that stops on its own
 * is started again (see startEmbeddedRedis).
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
  /** Restarts within the policy's window. */
  readonly restarts: number;
  /** Why the server is not serving now (down and being restarted, or given up); undefined when it is. */
  trouble(): string | undefined;
  /** Stop the server we run (SIGTERM: redis-server flushes the AOF and exits) and stop watching it. */
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

/** How the embedded server is brought back when it stops on its own. */
export interface RestartPolicy {
  /** First delay before a restart, ms; doubles each try up to `maxDelayMs`. */
  firstDelayMs: number;
  maxDelayMs: number;
  /** More restarts than this within `windowMs`: give up (the caller exits non-zero). */
  maxRestarts: number;
  windowMs: number;
  /** How often a reused server (not our child: its exit is not seen) is pinged, ms. */
  pollMs: number;
}

export const RESTART_DEFAULTS: RestartPolicy = {
  firstDelayMs: 250,
  maxDelayMs: 5000,
  maxRestarts: 5,
  windowMs: 60_000,
  pollMs: 1000,
};

export interface EmbeddedRedisOptions {
  dir: string;
  cwd: string;
  signal?: AbortSignal;
  /** How long one start may take to answer a ping, ms. Default 15 s. */
  timeoutMs?: number;
  restart?: Partial<RestartPolicy>;
  /** What happens to the server (stopped, restarted), one line each, for the log. */
  onEvent?: (message: string) => void;
  /** Called once when the server stopped and could not be brought back within the policy. */
  onGiveUp?: (err: RecipeError) => void;
}

function serverArgs(socket: string, dir: string): string[] {
  return [
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
  ];
}

/** Spawn redis-server and wait until it answers on `socket`; the child, or a RecipeError. */
async function spawnServer(
  socket: string,
  dir: string,
  cwd: string,
  timeoutMs: number,
): Promise<ChildProcess> {
  const child: ChildProcess = spawn('redis-server', serverArgs(socket, dir), { cwd, stdio: 'ignore' });
  let spawnError: Error | undefined;
  child.on('error', (err) => (spawnError = err));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (spawnError)
      throw new RecipeError('unavailable', `cannot run redis-server: ${spawnError.message}`, {
        cause: spawnError,
      });
    if (child.exitCode !== null || child.signalCode !== null)
      throw new RecipeError(
        'unavailable',
        `redis-server exited at start (status ${child.exitCode ?? child.signalCode}); see ${join(dir, 'redis.log')}`,
      );
    if (await pingSocket(socket)) return child;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new RecipeError(
        'unavailable',
        `redis-server did not answer on ${socket}; see ${join(dir, 'redis.log')}`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Start (or reuse) the embedded redis-server with data under `dir` (relative to `cwd`), and keep it
 * running: when it stops without being told to (killed, crashed), it is started again on the same
 * socket and data directory (the AOF brings the data back) after a backoff; past
 * `restart.maxRestarts` within `restart.windowMs`, `onGiveUp` is called. A reused server (another
 * process's) is pinged every `restart.pollMs` and replaced by our own once it stops answering.
 */
export async function startEmbeddedRedis(opts: EmbeddedRedisOptions): Promise<EmbeddedRedis> {
  const dir = isAbsolute(opts.dir) ? opts.dir : resolve(opts.cwd, opts.dir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const absSocket = join(dir, 'redis.sock');
  // unix socket paths are limited to ~107 bytes: fall back to a path relative to cwd when long.
  const socket = absSocket.length < 100 ? absSocket : relative(opts.cwd, absSocket);
  if (socket.length >= 100)
    throw new RecipeError('usage', `the Redis data directory path is too long for a unix socket: ${dir}`);
  const url = `unix://${socket}`;
  const policy: RestartPolicy = { ...RESTART_DEFAULTS, ...opts.restart };
  const timeoutMs = opts.timeoutMs ?? 15000;
  const reused = existsSync(absSocket) && (await pingSocket(socket));
  if (!reused && !haveRedisServer()) throw new RecipeError('unavailable', INSTALL_HINT);
  opts.signal?.throwIfAborted();

  let child: ChildProcess | undefined = reused
    ? undefined
    : await spawnServer(socket, dir, opts.cwd, timeoutMs);
  let stopping = false;
  let downSince: number | undefined;
  let gaveUp: RecipeError | undefined;
  let failedPings = 0;
  let timer: NodeJS.Timeout | undefined;
  const restarts: number[] = [];
  const say = (m: string): void => opts.onEvent?.(m);

  const watch = (c: ChildProcess): void => {
    c.once('exit', (code, sig) => {
      if (stopping || c !== child) return;
      say(`the embedded redis-server stopped (${sig ?? `status ${code}`}); restarting it`);
      down();
    });
  };
  const down = (): void => {
    downSince ??= Date.now();
    schedule();
  };
  const schedule = (): void => {
    if (stopping || gaveUp) return;
    const t = Date.now();
    while (restarts.length > 0 && restarts[0]! < t - policy.windowMs) restarts.shift();
    if (restarts.length >= policy.maxRestarts) {
      gaveUp = new RecipeError(
        'unavailable',
        `the embedded redis-server stopped and ${restarts.length} restarts within ${policy.windowMs} ms did not keep it up; see ${join(dir, 'redis.log')}`,
      );
      opts.onGiveUp?.(gaveUp);
      return;
    }
    const delay = Math.min(policy.maxDelayMs, policy.firstDelayMs * 2 ** restarts.length);
    restarts.push(t);
    timer = setTimeout(() => void restart(), delay);
  };
  const restart = async (): Promise<void> => {
    if (stopping) return;
    try {
      const c = await spawnServer(socket, dir, opts.cwd, timeoutMs);
      if (stopping) {
        c.kill('SIGTERM');
        return;
      }
      child = c;
      watch(c);
      downSince = undefined;
      say(`the embedded redis-server is running again (pid ${c.pid}, data in ${dir})`);
    } catch (err) {
      say(`could not restart the embedded redis-server: ${(err as Error).message}`);
      schedule();
    }
  };
  const poll = (): void => {
    timer = setTimeout(() => {
      void pingSocket(socket).then((ok) => {
        if (stopping || child) return;
        failedPings = ok ? 0 : failedPings + 1;
        if (failedPings >= 3) {
          say('the redis-server this process reused stopped answering; starting our own');
          down();
        } else poll();
      });
    }, policy.pollMs);
  };
  if (child) watch(child);
  else poll();

  return {
    url,
    dir,
    reused,
    get restarts() {
      return restarts.length;
    },
    trouble() {
      if (gaveUp) return gaveUp.message;
      if (downSince !== undefined)
        return `the embedded redis-server is down since ${new Date(downSince).toISOString()}; restarting it`;
      return undefined;
    },
    async stop() {
      stopping = true;
      clearTimeout(timer);
      const c = child;
      // A reused server belongs to another process: left alone.
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      const exited = new Promise<void>((res) => c.once('exit', () => res()));
      c.kill('SIGTERM');
      const t = setTimeout(() => c.kill('SIGKILL'), 10000);
      await exited;
      clearTimeout(t);
    },
  };
}
