/**
 * The retention pass against a real redis-server: image records that failed for good before the
 * cutoff are forgotten (record, scan id, state index, repository index), newer failures and images
 * in other states stay; each tag's history is cut to its newest entries while the tag keeps its
 * current digest; with both settings off nothing changes.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Config } from '../../shared/config/config-schema.js';
import { sha256Digest } from '../../shared/content/digest.js';
import { imageId } from '../../shared/oci/reference.js';
import { RecipeStore } from '../../shared/store/recipe-store.js';
import { closeRedis, type RedisClient } from '../../shared/store/redis-connection.js';
import { applyRetention, retentionOn } from '../../workers/walks/retention-pass.js';
import { startRedis, type RedisHarness } from '../harness/redis.js';

const REGISTRY = 'reg.example:5000';
const repo = { registry: REGISTRY, repository: 'team/app' };
const signal = new AbortController().signal;
const retention = (r: Partial<Config['retention']>): Config['retention'] => ({
  failedSeconds: 0,
  historyEntries: 0,
  intervalSeconds: 3600,
  ...r,
});

void describe('retention', () => {
  let h: RedisHarness;
  let redis: RedisClient;
  let store: RecipeStore;

  before(async () => {
    h = await startRedis();
    redis = h.connect('blocking');
    store = new RecipeStore(redis, { prefix: 'ret' });
  });
  after(async () => {
    if (redis) await closeRedis(redis);
    await h?.stop();
  });

  void it('forgets old failures only, and leaves everything alone when off', async () => {
    const old = { ...repo, digest: sha256Digest('old failure') };
    const queued = { ...repo, digest: sha256Digest('still queued') };
    await store.markQueued(old, { source: 'api' });
    await store.markFailed(old, { code: 'not-found', message: 'gone' });
    await store.markQueued(queued, { source: 'api' });
    assert.equal(retentionOn(retention({})), false);
    assert.deepEqual(await applyRetention(store, retention({}), { signal, now: Date.now() + 7_200_000 }), {
      failedForgotten: 0,
      historyTrimmed: 0,
    });

    // Failed just now: not yet older than an hour.
    const hour = retention({ failedSeconds: 3600 });
    assert.equal((await applyRetention(store, hour, { signal })).failedForgotten, 0);
    assert.equal((await store.getImage(old))?.state, 'failed');

    // Two hours later it is.
    const r = await applyRetention(store, hour, { signal, now: Date.now() + 7_200_000 });
    assert.equal(r.failedForgotten, 1);
    assert.equal(await store.getImage(old), undefined);
    assert.equal(await store.getImageById(imageId(old)), undefined);
    assert.equal((await store.findByState('failed', { limit: 10 })).total, 0);
    assert.deepEqual(await store.repositoryImages(repo), [queued.digest]);
    assert.equal((await store.getImage(queued))?.state, 'queued');
  });

  void it("cuts each tag's history to its newest entries, the current digest kept", async () => {
    const tag = { ...repo, tag: 'latest' };
    const digests = [1, 2, 3, 4, 5].map((i) => sha256Digest(`push ${i}`));
    for (const [i, d] of digests.entries()) await store.setTag(tag, d, { at: 1_000_000 + i });
    const other = { ...repo, tag: 'stable' };
    await store.setTag(other, digests[0]!, { at: 1_000_000 });
    const r = await applyRetention(store, retention({ historyEntries: 2 }), { signal });
    assert.equal(r.historyTrimmed, 3);
    assert.deepEqual(
      (await store.tagHistory(tag)).map((x) => x.digest),
      [digests[4], digests[3]],
    );
    assert.equal(await store.getTag(tag), digests[4]);
    assert.deepEqual(
      (await store.tagHistory(other)).map((x) => x.digest),
      [digests[0]],
    );
  });
});
