// Hash reads kept in memory and dropped when Redis says their key changed, against a real
// redis-server: a second read costs no command; any writer's change, a flush and a lost connection
// are seen by the next read.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { startRedis, type RedisHarness } from '../harness/redis.js';
import { closeRedis, waitReady } from '../../shared/store/redis-connection.js';
import { DirectHashReads } from '../../shared/store/hash-reads.js';
import { TrackedHashReads } from '../../shared/store/tracked-hash-reads.js';
import { RecipeError } from '../../shared/errors.js';

const FIELDS = ['version', 'origin'] as const;

async function until(what: string, f: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  // A read during a reconnection fails (no offline queue): that is "not yet".
  const ok = async () => {
    try {
      return await f();
    } catch {
      return false;
    }
  };
  for (const end = Date.now() + ms; !(await ok());) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** HMGET commands the server has run so far. */
async function hmgetCalls(admin: Redis): Promise<number> {
  const m = /cmdstat_hmget:calls=(\d+)/.exec(await admin.info('commandstats'));
  return Number(m?.[1] ?? 0);
}

void describe('tracked hash reads (Redis client-side caching)', () => {
  let redis: RedisHarness;
  let admin: Redis;
  let reads: TrackedHashReads;

  before(async () => {
    redis = await startRedis();
    admin = redis.connect() as Redis;
    admin.on('error', () => {}); // Redis is stopped on purpose below
    await waitReady(admin);
    reads = TrackedHashReads.connect(redis.redisConfig, {
      maxEntries: 100,
      deadlineMs: 2000,
      fallback: new DirectHashReads(admin, 2000),
    });
    await until('tracking on', () => reads.tracking);
  });
  after(async () => {
    await reads?.close();
    if (admin) await closeRedis(admin);
    await redis?.stop();
  });

  void it('a second read of an unchanged hash is answered without a command', async () => {
    await admin.hset('p:one', { version: 'v1', origin: 'api' });
    assert.deepEqual(await reads.hmget('p:one', FIELDS), ['v1', 'api']);
    const before = await hmgetCalls(admin);
    for (let i = 0; i < 20; i++) assert.deepEqual(await reads.hmget('p:one', FIELDS), ['v1', 'api']);
    assert.equal(await hmgetCalls(admin), before);
    // Another field list is another question: read, not answered from the entry.
    assert.deepEqual(await reads.hmget('p:one', ['origin']), ['api']);
    assert.equal(await hmgetCalls(admin), before + 1);
  });

  void it("another client's write is seen by the next read once Redis has said so", async () => {
    await admin.hset('p:two', { version: 'v1', origin: 'api' });
    assert.deepEqual(await reads.hmget('p:two', FIELDS), ['v1', 'api']);
    await admin.hset('p:two', 'version', 'v2');
    // The invalidation travels on the other connection: wait for it, never longer than a moment.
    await until('the new version read', async () => (await reads.hmget('p:two', FIELDS))[0] === 'v2', 1000);
    await admin.del('p:two');
    await until('the deletion read', async () => (await reads.hmget('p:two', FIELDS))[0] === null, 1000);
    // The missing hash is kept too, and dropped when it appears.
    await reads.hmget('p:two', FIELDS);
    const before = await hmgetCalls(admin);
    assert.deepEqual(await reads.hmget('p:two', FIELDS), [null, null]);
    assert.equal(await hmgetCalls(admin), before);
    await admin.hset('p:two', { version: 'v3', origin: 'file' });
    await until('the new hash read', async () => (await reads.hmget('p:two', FIELDS))[0] === 'v3', 1000);
  });

  void it('a flush of the database empties the cache', async () => {
    await admin.hset('p:three', { version: 'v1', origin: 'api' });
    await reads.hmget('p:three', FIELDS);
    assert.ok(reads.size > 0);
    await admin.flushdb();
    await until('the cache emptied', () => reads.size === 0, 1000);
    assert.deepEqual(await reads.hmget('p:three', FIELDS), [null, null]);
  });

  for (const which of ['guix-recipes-invalidations', 'guix-recipes-cached-reads']) {
    void it(`a lost ${which} connection: nothing kept while it is down, changes then not missed`, async () => {
      await admin.hset('p:four', { version: 'v1', origin: 'api' });
      await reads.hmget('p:four', FIELDS);
      const list = await admin.client('LIST');
      const id = /id=(\d+) .*name=(\S+)/g;
      const ids = [...String(list).matchAll(id)].filter((m) => m[2] === which).map((m) => m[1]!);
      assert.equal(ids.length, 1, String(list));
      await admin.client('KILL', 'ID', ids[0]!);
      // Written while the connection is down or being set up again: its invalidation may be lost.
      await admin.hset('p:four', 'version', 'v2');
      await until('the new version read', async () => (await reads.hmget('p:four', FIELDS))[0] === 'v2');
      await until('tracking on again', () => reads.tracking);
      await reads.hmget('p:four', FIELDS);
      const before = await hmgetCalls(admin);
      assert.deepEqual(await reads.hmget('p:four', FIELDS), ['v2', 'api']);
      assert.equal(await hmgetCalls(admin), before, 'kept again once tracking is back');
      await admin.hset('p:four', 'version', 'v3');
      await until('tracked again', async () => (await reads.hmget('p:four', FIELDS))[0] === 'v3', 1000);
    });
  }

  void it('Redis away: a read fails as unavailable, and caching resumes when it is back', async () => {
    await admin.hset('p:five', { version: 'v1', origin: 'api' });
    await reads.hmget('p:five', FIELDS);
    await redis.stopServers();
    await until('tracking off', () => !reads.tracking);
    await assert.rejects(
      reads.hmget('p:five', FIELDS),
      (e: unknown) => e instanceof RecipeError && e.code === 'unavailable',
    );
    await redis.restart();
    await waitReady(admin, { timeoutMs: 10_000 });
    await until('tracking on again', () => reads.tracking, 15_000);
    await admin.hset('p:five', { version: 'v9', origin: 'api' });
    await until('the new value', async () => (await reads.hmget('p:five', FIELDS))[0] === 'v9');
  });
});
