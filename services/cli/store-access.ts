/**
 * The store as the commands that use it reach it (serve, worker, start, backfill, export, import):
 * the configuration's Redis, its schema checked before anything else (store-schema.ts: an older
 * store migrated, a newer one refused with one line).
 */
import type { Config } from '../../shared/config/config-schema.js';
import { loadConfig } from '../../shared/config/load-config.js';
import { RecipeError } from '../../shared/errors.js';
import { closeRedis, createRedis, waitReady, type RedisClient } from '../../shared/store/redis-connection.js';
import { ensureStoreSchema, type SchemaCheck } from '../../shared/store/store-schema.js';
import { isAbsolute, resolve } from 'node:path';
import type { CliIO } from './cli-io.js';

/** How long a command waits for Redis when it starts. */
export const STORE_CONNECT_TIMEOUT_MS = 30_000;

/** The configuration of a command run from `io` (GUIX_RECIPES_CONFIG relative to its directory). */
export function commandConfig(io: CliIO): Config {
  const env = { ...io.env };
  if (env.GUIX_RECIPES_CONFIG && !isAbsolute(env.GUIX_RECIPES_CONFIG))
    env.GUIX_RECIPES_CONFIG = resolve(io.cwd, env.GUIX_RECIPES_CONFIG);
  return loadConfig({ env });
}

/** A client of the configured Redis, ready; `unavailable` when it does not answer in time. */
export async function connectStore(
  config: Config,
  opts: { signal?: AbortSignal } = {},
): Promise<RedisClient> {
  const redis = createRedis(config.redis, { mode: 'blocking', connectionName: 'guix-recipes-cli' });
  redis.on('error', () => {});
  try {
    await waitReady(redis, {
      timeoutMs: STORE_CONNECT_TIMEOUT_MS,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  } catch (err) {
    redis.disconnect();
    throw err;
  }
  return redis;
}

/** Check (and migrate) the store's schema before a service starts on it. */
export async function prepareStore(
  config: Config,
  opts: { signal?: AbortSignal; log?: (message: string) => void } = {},
): Promise<SchemaCheck> {
  const redis = await connectStore(config, opts);
  try {
    return await ensureStoreSchema(redis, {
      prefix: config.redis.keyPrefix,
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.log ? { log: opts.log } : {}),
    });
  } catch (err) {
    throw err instanceof RecipeError
      ? err
      : new RecipeError('unavailable', `checking the store's schema: ${(err as Error).message}`, {
          cause: err,
        });
  } finally {
    await closeRedis(redis);
  }
}
