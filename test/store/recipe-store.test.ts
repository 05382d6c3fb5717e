// The recipe store and the Redis layer cache, against a real redis-server: one server, a
// three-master Cluster and a master behind Sentinel run the same assertions.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster } from 'ioredis';
import { startRedis, type RedisHarness, type RedisMode } from '../harness/redis.js';
import { RecipeStore } from '../../shared/store/recipe-store.js';
import { imageId, imageName } from '../../shared/oci/reference.js';
import { RedisLayerCache } from '../../shared/store/redis-layer-cache.js';
import { closeRedis, type RedisClient } from '../../shared/store/redis-connection.js';
import type { Recipe } from '../../shared/guix/recipe.js';
import type { Descriptor } from '../../shared/content/descriptor.js';
import type { Digest } from '../../shared/content/digest.js';
import { sha256Digest } from '../../shared/content/digest.js';
import { MediaType } from '../../shared/content/media-types.js';
import type { ImageScan } from '../../shared/scan/scan-result.js';
import { profileRebuild } from '../../shared/scan/profile-rebuild.js';
import type { Rebuild } from '../../shared/scan/rebuild.js';
import type { LayerSummary } from '../../shared/scan/layer-cache.js';

const rebuildOf = (r: Recipe): Rebuild => profileRebuild(r, 'docker', 'a test result');

const GUIX = 'https://git.savannah.gnu.org/git/guix.git';
function recipe(pkg: string, version: string, commit: string): Recipe {
  return {
    schemaVersion: 1,
    kind: 'profile',
    profile: `/gnu/store/${'a'.repeat(32)}-profile`,
    manifestVersion: 4,
    packages: [
      {
        name: pkg,
        version,
        output: 'out',
        storePath: `/gnu/store/${'b'.repeat(32)}-${pkg}-${version}`,
        channels: [{ name: 'guix', url: GUIX, commit }],
        transformations: [],
        propagated: [
          {
            name: 'zlib',
            version: '1.3',
            output: 'out',
            storePath: `/gnu/store/${'c'.repeat(32)}-zlib-1.3`,
            propagated: [],
          },
        ],
      },
    ],
    channels: [{ name: 'guix', url: GUIX, branch: null, commit, introduction: null, commits: [commit] }],
    packagesWithoutProvenance: [],
    texts: { manifest: `(manifest ${pkg})\n`, channels: `(channels ${commit})\n` },
  };
}
const desc = (seed: string, mediaType: string = MediaType.OciManifest): Descriptor => ({
  mediaType,
  digest: sha256Digest(seed),
  size: seed.length,
});

for (const mode of ['standalone', 'cluster', 'sentinel'] as RedisMode[]) {
  void describe(`recipe store on ${mode} Redis`, () => {
    let h: RedisHarness;
    let redis: RedisClient;
    let store: RecipeStore;
    before(async () => {
      h = await startRedis({ mode });
      redis = h.connect('request');
      await new Promise<void>((resolve, reject) => {
        redis.once('ready', () => resolve());
        redis.once('error', reject);
      });
      store = new RecipeStore(redis, { prefix: h.redisConfig.keyPrefix });
    });
    after(async () => {
      if (redis) await closeRedis(redis);
      await h?.stop();
    });

    void it('stores one image atomically and finds it by digest, package, channel and store path', async () => {
      const m = desc(`image-${mode}`);
      const img = { registry: '127.0.0.1:5000', repository: 'science/python', digest: m.digest };
      const r = recipe('python', '3.11.9', 'c'.repeat(40));
      await store.markQueued(img, { source: 'test' });
      assert.equal((await store.getImage(img))?.state, 'queued');
      await store.markRunning(img);
      // A duplicate push while running must not make the scan look idle.
      await store.markQueued(img, { source: 'test' });
      assert.equal((await store.getImage(img))?.state, 'running');
      // A worker that takes a job before the queueing side's write lands records the job's source:
      // that write, conditional on the version read before the job was queued, then yields.
      const version = await store.stateVersion(img);
      await store.markRunning(img, { source: 'reconcile' });
      await store.markQueued(img, { source: 'reconcile', ifVersion: version });
      const taken = await store.getImage(img);
      assert.equal(taken?.state, 'running');
      assert.equal(taken?.source, 'reconcile');
      const scan: ImageScan = {
        manifest: m,
        results: [{ kind: 'recipe', manifest: m, recipe: r, verified: true, rebuild: rebuildOf(r) }],
        bytesRead: 10,
      };
      await store.saveScan(img, scan);

      const got = await store.getResult(m.digest);
      assert.equal(got?.kind, 'recipe');
      assert.ok(got?.kind === 'recipe');
      assert.deepEqual(got.recipe, r);
      assert.equal(got.verified, true);
      const rec = await store.getImage(img);
      assert.equal(rec?.state, 'done');
      assert.equal(rec?.kind, 'recipe');
      assert.equal(rec?.scans, 1);
      assert.equal(rec?.id, imageId(img));
      assert.equal((await store.getImageById(imageId(img)))?.digest, m.digest);
      assert.deepEqual(await store.imagesOf(m.digest), [imageName(img)]);
      assert.deepEqual((await store.findByPackage('python', undefined)).items, [imageName(img)]);
      assert.deepEqual((await store.findByPackage('python', '3.11.9')).items, [imageName(img)]);
      assert.equal((await store.findByPackage('python', '3.12')).total, 0);
      assert.deepEqual((await store.findByChannel(GUIX, 'c'.repeat(40))).items, [imageName(img)]);
      assert.deepEqual((await store.findByStorePath(`/gnu/store/${'c'.repeat(32)}-zlib-1.3`)).items, [
        imageName(img),
      ]);
      assert.ok((await store.findByState('done')).items.includes(imageName(img)));
      assert.ok(!(await store.findByState('running')).items.includes(imageName(img)));
    });

    void it('indexes no by-channel key for a channel recorded without a commit (#f)', async () => {
      const m = desc(`image-no-commit-${mode}`);
      const img = { registry: '127.0.0.1:5000', repository: 'odd/no-commit', digest: m.digest };
      const other = '5'.repeat(40);
      const r = recipe('no-commit', '1.0', other);
      r.packages[0]!.channels = [{ name: 'guix', url: GUIX, commit: null }];
      r.channels = [
        { name: 'guix', url: GUIX, branch: null, commit: null, introduction: null, commits: [null, other] },
      ];
      await store.markQueued(img, { source: 'test' });
      await store.markRunning(img);
      await store.saveScan(img, {
        manifest: m,
        results: [{ kind: 'recipe', manifest: m, recipe: r, verified: true, rebuild: rebuildOf(r) }],
        bytesRead: 1,
      });
      const got = await store.getResult(m.digest);
      assert.ok(got?.kind === 'recipe');
      assert.deepEqual(got.recipe, r, 'null commits survive the store');
      assert.deepEqual((await store.findByChannel(GUIX, other)).items, [imageName(img)]);
      for (const bogus of ['null', '', 'undefined', '#f'])
        assert.equal(
          (await store.findByChannel(GUIX, bogus)).total,
          0,
          `no key for ${JSON.stringify(bogus)}`,
        );
    });

    void it('keeps the keys of one image transaction in one cluster slot', async () => {
      const d = sha256Digest('slot');
      const img = { registry: 'r.example', repository: 'a/b', digest: d };
      const keys = [store.keys.result(d), store.keys.image(img), store.keys.imagesOf(d)];
      const tagKeys = [
        store.keys.tag({ registry: 'r.example', repository: 'a/b', tag: 'v1' }),
        store.keys.tagHistory({ registry: 'r.example', repository: 'a/b', tag: 'v1' }),
      ];
      const slot = async (k: string): Promise<number> =>
        redis instanceof Cluster
          ? await redis.cluster('KEYSLOT', k)
          : ((await redis.call('CLUSTER', 'KEYSLOT', k).catch(() => -1)) as number);
      if (redis instanceof Cluster) {
        const s = await Promise.all(keys.map(slot));
        assert.equal(new Set(s).size, 1, `image keys in slots ${s.join(',')}`);
        const t = await Promise.all(tagKeys.map(slot));
        assert.equal(new Set(t).size, 1);
      } else {
        // Outside a cluster the slot function is still what Redis would use: check with the spec's CRC16.
        assert.equal(crc16slot(keys[0]!), crc16slot(keys[1]!));
        assert.equal(crc16slot(keys[1]!), crc16slot(keys[2]!));
        assert.equal(crc16slot(tagKeys[0]!), crc16slot(tagKeys[1]!));
      }
    });

    void it('stores an index as a per-platform roll-up pointing at stored results', async () => {
      const idx = desc(`index-${mode}`, MediaType.OciIndex);
      const amd = { ...desc(`amd-${mode}`), platform: { os: 'linux', architecture: 'amd64' } };
      const arm = { ...desc(`arm-${mode}`), platform: { os: 'linux', architecture: 'arm64' } };
      const img = { registry: '127.0.0.1:5000', repository: 'multi/arch', digest: idx.digest };
      const scan: ImageScan = {
        manifest: idx,
        results: [
          {
            kind: 'recipe',
            platform: amd.platform,
            manifest: amd,
            recipe: recipe('hello', '2.12', 'd'.repeat(40)),
            verified: true,
            rebuild: rebuildOf(recipe('hello', '2.12', 'd'.repeat(40))),
          },
          { kind: 'not-guix', platform: arm.platform, manifest: arm, reason: 'no /gnu/store in PATH' },
        ],
        bytesRead: 0,
      };
      await store.saveScan(img, scan);
      const top = await store.getResult(idx.digest);
      assert.ok(top?.kind === 'index');
      assert.deepEqual(top.platforms, [
        { platform: amd.platform, digest: amd.digest, kind: 'recipe' },
        { platform: arm.platform, digest: arm.digest, kind: 'not-guix' },
      ]);
      const a = await store.getPlatformResult(idx.digest, { os: 'linux', architecture: 'amd64' });
      assert.ok(a?.kind === 'recipe');
      assert.equal(a.recipe.packages[0]?.name, 'hello');
      const b = await store.getResult(arm.digest);
      assert.ok(b?.kind === 'not-guix');
      assert.equal(b.reason, 'no /gnu/store in PATH');
      assert.equal(
        await store.getPlatformResult(idx.digest, { os: 'linux', architecture: 's390x' }),
        undefined,
      );
      assert.equal((await store.getImage(img))?.kind, 'index');
      assert.deepEqual((await store.findByPackage('hello', '2.12')).items, [imageName(img)]);
    });

    void it('reuses a stored result for another repository holding the same digest', async () => {
      const m = desc(`shared-${mode}`);
      const a = { registry: 'r.example', repository: 'one/app', digest: m.digest };
      const b = { registry: 'r.example', repository: 'two/app', digest: m.digest };
      assert.equal(await store.reuseResult(b), undefined);
      await store.saveScan(a, {
        manifest: m,
        results: [
          {
            kind: 'recipe',
            manifest: m,
            recipe: recipe('git', '2.45', 'e'.repeat(40)),
            verified: false,
            rebuild: rebuildOf(recipe('git', '2.45', 'e'.repeat(40))),
          },
        ],
        bytesRead: 1,
      });
      const reused = await store.reuseResult(b);
      assert.equal(reused?.kind, 'recipe');
      assert.equal((await store.getImage(b))?.state, 'done');
      assert.equal((await store.getImage(b))?.scans, 0);
      assert.deepEqual(await store.imagesOf(m.digest), [imageName(a), imageName(b)].sort());
      assert.deepEqual(
        (await store.findByPackage('git', '2.45')).items.sort(),
        [imageName(a), imageName(b)].sort(),
      );
    });

    void it('records failures and retries with their code, and clears them on success', async () => {
      const m = desc(`fail-${mode}`);
      const img = { registry: 'r.example', repository: 'bad/app', digest: m.digest };
      await store.markQueued(img, { source: 'test' });
      await store.markRetrying(img, { code: 'registry-error', message: 'HTTP 502' });
      let rec = await store.getImage(img);
      assert.equal(rec?.state, 'queued');
      assert.equal(rec?.error?.code, 'registry-error');
      await store.markFailed(img, { code: 'unsupported-media-type', message: 'schema 1' });
      rec = await store.getImage(img);
      assert.equal(rec?.state, 'failed');
      assert.equal(rec?.error?.message, 'schema 1');
      assert.ok((await store.findByState('failed')).items.includes(imageName(img)));
      await store.saveScan(img, {
        manifest: m,
        results: [{ kind: 'no-profile', manifest: m, reason: 'none' }],
        bytesRead: 0,
      });
      rec = await store.getImage(img);
      assert.equal(rec?.state, 'done');
      assert.equal(rec?.error, undefined);
      assert.ok(!(await store.findByState('failed')).items.includes(imageName(img)));
    });

    void it('follows a tag with its history, newest first', async () => {
      const d1 = sha256Digest(`t1-${mode}`);
      const d2 = sha256Digest(`t2-${mode}`);
      await store.setTag({ registry: 'r.example', repository: 'team/app', tag: 'latest' }, d1, { at: 1000 });
      await store.setTag({ registry: 'r.example', repository: 'team/app', tag: 'latest' }, d2, { at: 2000 });
      assert.equal(await store.getTag({ registry: 'r.example', repository: 'team/app', tag: 'latest' }), d2);
      assert.deepEqual(
        (await store.tagHistory({ registry: 'r.example', repository: 'team/app', tag: 'latest' })).map(
          (x) => x.digest,
        ),
        [d2, d1],
      );
      assert.equal(
        await store.getTag({ registry: 'r.example', repository: 'team/app', tag: 'other' }),
        undefined,
      );
    });

    void it('caches layer summaries by digest', async () => {
      const cache = new RedisLayerCache(redis, { prefix: h.redisConfig.keyPrefix });
      const signal = new AbortController().signal;
      const d: Digest = sha256Digest(`layer-${mode}`);
      assert.equal(await cache.get(d, { signal }), undefined);
      const summary = { version: 1, profiles: ['/gnu/store/x-profile'] } as unknown as LayerSummary;
      await cache.put(d, summary, { signal });
      assert.deepEqual(await cache.get(d, { signal }), summary);
      const ttl = await redis.ttl(store.keys.layer(d));
      assert.ok(ttl > 0);
    });
  });
}

/** Redis Cluster's key slot (CRC16/XMODEM of the hash tag, mod 16384). */
function crc16slot(key: string): number {
  const open = key.indexOf('{');
  let k = key;
  if (open >= 0) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) k = key.slice(open + 1, close);
  }
  let crc = 0;
  for (const b of Buffer.from(k)) {
    crc ^= b << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}
