/**
 * The store's schema version, checked when a process starts (serve, worker, start, export,
 * import, backfill): the `meta` hash (store-keys.ts) says which schema wrote the store.
 *   - same as this program's: go on;
 *   - older: run the migrations (migrations/index.ts) in order, one step per version, under a lock
 *     so that one process migrates while the others wait; each step is idempotent, so a process
 *     that dies part-way leaves the store at the last version completed and the next start resumes;
 *   - newer: refuse to start (`usage`), naming both versions: this program would misread it;
 *   - no `meta`: an empty store is this program's schema; one with keys was written by schema 1,
 *     which had no `meta`.
 */
import { randomUUID } from 'node:crypto';
import { RecipeError } from '../errors.js';
import { MIGRATIONS } from './migrations/index.js';
import type { RedisClient } from './redis-connection.js';
import { anyKey } from './scan-keys.js';
import { StoreKeys } from './store-keys.js';

/** The schema this program writes: 1 (no `meta`), plus one per migration. */
export const STORE_SCHEMA_VERSION = 1 + MIGRATIONS.length;

export interface EnsureSchemaOptions {
  /** Key prefix (configuration `redis.keyPrefix`). */
  prefix: string;
  signal?: AbortSignal;
  /** How long a migration lock lasts without renewal (renewed while a step runs). Default 30 s. */
  lockMs?: number;
  /** How long to wait for another process's migration. Default 10 minutes. */
  waitMs?: number;
  log?: (message: string) => void;
}

export interface SchemaCheck {
  /** What the store held: a version, or `empty`. */
  found: number | 'empty';
  /** Versions migrated to by this process, in order. */
  migrated: number[];
}

// Renew or drop the lock only while we hold it.
const RENEW_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;
const RELEASE_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** The schema version the store records, `empty` for a store with no keys, 1 for one without `meta`. */
export async function storeSchema(
  redis: RedisClient,
  prefix: string,
  opts: { signal?: AbortSignal } = {},
): Promise<number | 'empty'> {
  const keys = new StoreKeys(prefix);
  const v = await redis.hget(keys.meta(), 'schema');
  if (v !== null) {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < 1)
      throw new RecipeError(
        'usage',
        `the store at ${prefix} records the schema ${JSON.stringify(v)}, not a version`,
      );
    return n;
  }
  return (await anyKey(redis, `${keys.root}:*`, opts)) ? 1 : 'empty';
}

/** Check the store's schema; migrate an older one; refuse a newer one. */
export async function ensureStoreSchema(redis: RedisClient, opts: EnsureSchemaOptions): Promise<SchemaCheck> {
  const keys = new StoreKeys(opts.prefix);
  const signal = opts.signal ?? new AbortController().signal;
  const log = opts.log ?? (() => {});
  const lockMs = opts.lockMs ?? 30_000;
  const deadline = Date.now() + (opts.waitMs ?? 600_000);
  const found = await storeSchema(redis, opts.prefix, { signal });
  if (found === 'empty') {
    await redis.hsetnx(keys.meta(), 'schema', String(STORE_SCHEMA_VERSION));
    return { found, migrated: [] };
  }
  checkNotNewer(found, opts.prefix);
  const migrated: number[] = [];
  for (;;) {
    const current = await storeSchema(redis, opts.prefix, { signal });
    if (current === 'empty' || current === STORE_SCHEMA_VERSION) return { found, migrated };
    checkNotNewer(current, opts.prefix);
    const owner = randomUUID();
    if ((await redis.set(keys.migrationLock(), owner, 'PX', lockMs, 'NX')) !== 'OK') {
      if (Date.now() > deadline)
        throw new RecipeError(
          'unavailable',
          `another process has been migrating the store at ${opts.prefix} for too long`,
        );
      await sleep(250, signal);
      continue;
    }
    const renew = setInterval(
      () => {
        void redis.eval(RENEW_LUA, 1, keys.migrationLock(), owner, String(lockMs)).catch(() => {});
      },
      Math.max(100, Math.floor(lockMs / 3)),
    );
    try {
      // Read again under the lock: another process may have finished meanwhile.
      let at = await storeSchema(redis, opts.prefix, { signal });
      while (at !== 'empty' && at < STORE_SCHEMA_VERSION) {
        const step = MIGRATIONS[at - 1];
        if (step?.from !== at) throw new RecipeError('internal', `no migration from store schema ${at}`);
        log(`store schema ${at} -> ${at + 1}: ${step.description}`);
        await step.run({ redis, keys, signal, log });
        at += 1;
        await redis.hset(keys.meta(), 'schema', String(at), `migrated:${at}`, new Date().toISOString());
        migrated.push(at);
      }
      return { found, migrated };
    } finally {
      clearInterval(renew);
      await redis.eval(RELEASE_LUA, 1, keys.migrationLock(), owner).catch(() => {});
    }
  }
}

function checkNotNewer(v: number, prefix: string): void {
  if (v > STORE_SCHEMA_VERSION)
    throw new RecipeError(
      'usage',
      `the store at ${prefix} has schema ${v}, newer than the ${STORE_SCHEMA_VERSION} this guix-recipes reads: upgrade guix-recipes (or give it another redis.keyPrefix)`,
      { details: { storeSchema: v, programSchema: STORE_SCHEMA_VERSION } },
    );
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted)
      return reject(new RecipeError('aborted', 'aborted while waiting for a store migration'));
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new RecipeError('aborted', 'aborted while waiting for a store migration'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
