/**
 * Redis connections from configuration: one server (`redis.url`), a Cluster (`redis.cluster`) or a
 * master behind Sentinel (`redis.sentinel`). Every part of the service connects through here.
 */
import { Redis, Cluster, type RedisOptions } from 'ioredis';
import type { Config } from '../config/config-schema.js';
import { RecipeError } from '../errors.js';

/** Either client; the store and BullMQ accept both. */
export type RedisClient = Redis | Cluster;

export interface ConnectOptions {
  /**
   * `request`: fail fast when Redis is unreachable (the API answers 503 instead of hanging);
   * `blocking`: retry forever (BullMQ workers and queue events need `maxRetriesPerRequest: null`).
   */
  mode: 'request' | 'blocking';
  /** A name shown by CLIENT LIST, e.g. `guix-recipes-api`. */
  connectionName?: string;
  /**
   * A connection that receives Redis's key invalidations as pub/sub messages (tracked-hash-reads.ts):
   * RESP2 (to a RESP3 connection Redis sends them as push frames, which ioredis drops), and no
   * automatic re-subscription (its owner subscribes again, in order, after a reconnection).
   */
  invalidationSubscriber?: boolean;
}

function baseOptions(config: Config['redis'], opts: ConnectOptions): RedisOptions {
  const o: RedisOptions = {
    connectionName: opts.connectionName ?? 'guix-recipes',
    retryStrategy: (times) => Math.min(100 * 2 ** times, 2000),
  };
  if (opts.invalidationSubscriber) {
    o.protocol = 2;
    o.autoResubscribe = false;
  }
  if (opts.mode === 'request') {
    o.enableOfflineQueue = false;
    o.maxRetriesPerRequest = 1;
    o.commandTimeout = config.commandTimeoutMs;
  } else {
    o.maxRetriesPerRequest = null;
  }
  if (config.password !== undefined) o.password = config.password;
  return o;
}

/** Connect as configured. The client connects in the background; see `waitReady`. */
export function createRedis(config: Config['redis'], opts: ConnectOptions): RedisClient {
  const base = baseOptions(config, opts);
  if (config.cluster) {
    const { enableOfflineQueue, ...redisOptions } = base;
    return new Cluster(config.cluster, {
      redisOptions,
      enableOfflineQueue: enableOfflineQueue ?? true,
      clusterRetryStrategy: (times) => Math.min(100 * 2 ** times, 2000),
    });
  }
  if (config.sentinel) {
    return new Redis({
      ...base,
      sentinels: config.sentinel.sentinels,
      name: config.sentinel.name,
      sentinelRetryStrategy: (times) => Math.min(100 * 2 ** times, 2000),
    });
  }
  const url = config.url;
  if (url === undefined)
    throw new RecipeError(
      'usage',
      'no Redis configured: set REDIS_URL (or run `guix-recipes start`, which starts its own)',
    );
  if (url.startsWith('unix://'))
    return new Redis({ ...base, path: decodeURIComponent(url.slice('unix://'.length)) });
  if (url.startsWith('/')) return new Redis({ ...base, path: url });
  if (!/^rediss?:\/\//.test(url))
    throw new RecipeError(
      'usage',
      'REDIS_URL: want redis://, rediss:// or unix:// (or an absolute socket path)',
    );
  return new Redis(url, base);
}

/** Wait until the client is ready, or fail with `unavailable` after `timeoutMs`. */
export async function waitReady(
  client: RedisClient,
  opts: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<void> {
  if (client.status === 'ready') return;
  const timeoutMs = opts.timeoutMs ?? 10000;
  await new Promise<void>((resolve, reject) => {
    const done = (err?: Error): void => {
      clearTimeout(timer);
      client.off('ready', onReady);
      opts.signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve();
    };
    const onReady = (): void => done();
    const onAbort = (): void => done(new RecipeError('aborted', 'aborted while waiting for Redis'));
    const timer = setTimeout(
      () => done(new RecipeError('unavailable', `Redis not reachable within ${timeoutMs} ms`)),
      timeoutMs,
    );
    client.on('ready', onReady);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Close a client politely (QUIT), falling back to a hard disconnect. */
export async function closeRedis(client: RedisClient): Promise<void> {
  try {
    if (client.status === 'ready') await client.quit();
    else client.disconnect();
  } catch {
    client.disconnect();
  }
}

/** Turn a Redis/ioredis failure into `unavailable` (503) unless it already is a RecipeError. */
export function redisUnavailable(err: unknown): RecipeError {
  if (err instanceof RecipeError) return err;
  return new RecipeError('unavailable', `Redis unavailable: ${(err as Error)?.message ?? String(err)}`, {
    cause: err,
  });
}
