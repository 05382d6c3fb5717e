/**
 * A store written by schema 1 (test/fixtures/store-v1/dump.json, every key a real service wrote
 * before the store recorded its schema) loaded into an empty Redis, then started as today's service
 * starts: its schema is found to be 1, migrated, recorded; every recipe, text, tag and lookup is then
 * read through the API as the dump holds it. A second start migrates nothing; a store of a newer
 * schema is refused; the migration step run again changes nothing.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../../shared/config/config-schema.js';
import { loadConfig } from '../../shared/config/load-config.js';
import type { Digest } from '../../shared/content/digest.js';
import { isRecipeError } from '../../shared/errors.js';
import { imageId, parseImageName } from '../../shared/oci/reference.js';
import { repositoryIndexes } from '../../shared/store/migrations/repository-indexes.js';
import { closeRedis, type RedisClient } from '../../shared/store/redis-connection.js';
import { StoreKeys } from '../../shared/store/store-keys.js';
import { STORE_SCHEMA_VERSION, storeSchema } from '../../shared/store/store-schema.js';
import { prepareStore } from '../../services/cli/store-access.js';
import { startRedis, type RedisHarness } from '../harness/redis.js';
import { startInProcessService } from '../harness/service.js';
import { dumpKeys, type DumpedKey } from './make-store-dump.js';
import { dumpContents, loadDump, readDump } from './store-dump.js';

const dump = readDump();

/** A dumped key without its time to live (which runs down while a test reads). */
const still = ({ pttl: _t, ...k }: DumpedKey): Omit<DumpedKey, 'pttl'> => k;
const REGISTRY = '127.0.0.1:40157';

void describe('a store written by schema 1, read after the upgrade', () => {
  let redis: RedisHarness;
  let client: RedisClient;
  let config: Config;
  let app: FastifyInstance;

  before(async () => {
    redis = await startRedis();
    client = redis.connect('blocking');
    await loadDump(client, dump);
    config = loadConfig({
      env: {},
      file: {
        logLevel: 'silent',
        redis: { ...redis.redisConfig, keyPrefix: dump.prefix },
        registries: [{ host: REGISTRY, insecure: true }],
        queue: { prefix: `{mig-${process.pid}}` },
      },
    });
  });
  after(async () => {
    await app?.close().catch(() => {});
    if (client) await closeRedis(client);
    await redis?.stop();
  });

  void it('start-up finds schema 1 and migrates it to the current schema', async () => {
    assert.equal(STORE_SCHEMA_VERSION, 2);
    assert.equal(await storeSchema(client, dump.prefix), 1);
    const logged: string[] = [];
    const check = await prepareStore(config, { log: (m) => logged.push(m) });
    assert.deepEqual(check, { found: 1, migrated: [2] });
    assert.equal(logged.length, 1);
    assert.match(logged[0]!, /^store schema 1 -> 2: the repository indexes/);
    assert.equal(await storeSchema(client, dump.prefix), 2);
    // Nothing the dump holds was changed by the migration: it only added keys.
    const after = new Map((await dumpKeys(client, dump.prefix)).map((k) => [k.key, k]));
    for (const k of dump.keys) assert.deepEqual(still(after.get(k.key)!), still(k), k.key);
    // A second start has nothing to do.
    assert.deepEqual(await prepareStore(config), { found: 2, migrated: [] });
  });

  void it('the repository indexes hold what schema 1 stored', async () => {
    const svc = await startInProcessService(config, { worker: false });
    app = svc.app;
    const store = app.store;
    assert.deepEqual(await store.knownRegistries(), [REGISTRY]);
    assert.deepEqual(await store.knownRepositories(REGISTRY), [
      'mirror/app',
      'multi/app',
      'team/app',
      'team/bare',
    ]);
    const { images, tags } = dumpContents(dump);
    for (const repository of ['mirror/app', 'multi/app', 'team/app', 'team/bare']) {
      const repo = { registry: REGISTRY, repository };
      const wantDigests = images
        .map((i) => parseImageName(i.name)!)
        .filter((i) => i.repository === repository)
        .map((i) => i.digest)
        .sort();
      assert.deepEqual(await store.repositoryImages(repo), wantDigests, repository);
      const wantTags = tags
        .filter((t) => t.ref.startsWith(`${REGISTRY}/${repository}:`))
        .map((t) => t.ref.slice(t.ref.lastIndexOf(':') + 1))
        .sort();
      assert.deepEqual(await store.repositoryTags(repo), wantTags, repository);
    }
  });

  void it('every recipe, text, image, tag and lookup reads as schema 1 stored it', async () => {
    const { results, images, tags } = dumpContents(dump);
    assert.equal(results.length, 6);
    for (const r of results) {
      const doc = await app.inject({ url: `/v1/recipes/${r.digest}` });
      assert.equal(doc.statusCode, 200, `${r.digest}: ${doc.body}`);
      const body = doc.json<{ digest: string; kind: string; recipe?: unknown; scannedAt: string }>();
      assert.equal(body.digest, r.digest);
      assert.equal(body.kind, r.fields.kind);
      assert.equal(body.scannedAt, r.fields.scannedAt);
      if (r.fields.kind !== 'recipe') continue;
      assert.deepEqual(body.recipe, JSON.parse(r.fields.recipe!), r.digest);
      const texts: [string, string][] = [
        ['manifest.scm', 'text:manifest.scm:pinned:classic'],
        ['manifest.scm?printer=modern', 'text:manifest.scm:pinned:modern'],
        ['manifest.scm?style=guix', 'text:manifest.scm:guix:classic'],
        ['channels.scm', 'text:channels.scm:classic'],
        ['channels.scm?printer=modern', 'text:channels.scm:modern'],
      ];
      for (const [path, field] of texts) {
        const res = await app.inject({ url: `/v1/recipes/${r.digest}/${path}` });
        if (r.fields[field] === undefined) {
          assert.notEqual(res.statusCode, 200, `${r.digest}/${path}`);
          continue;
        }
        assert.equal(res.statusCode, 200, `${r.digest}/${path}: ${res.body}`);
        assert.equal(res.body, r.fields[field], `${r.digest}/${path}`);
      }
    }
    assert.equal(images.length, 5);
    for (const i of images) {
      const img = parseImageName(i.name)!;
      const s = await app.inject({ url: `/v1/scans/${imageId(img)}` });
      assert.equal(s.statusCode, 200, s.body);
      const status = s.json<{ state: string; kind?: string; scans: number; deleted?: boolean }>();
      assert.deepEqual(
        [status.state, status.kind, status.scans, status.deleted],
        [i.fields.state, i.fields.kind, Number(i.fields.scans), undefined],
        i.name,
      );
    }
    for (const t of tags) {
      const res = await app.inject({ url: `/v1/recipes?image=${encodeURIComponent(t.ref)}` });
      const page = res.json<{ items: { digest: Digest; state: string }[] }>();
      assert.deepEqual(
        page.items.map((x) => [x.digest, x.state]),
        [[t.digest, 'done']],
        t.ref,
      );
    }
    // `team/app:latest` moved: its history still has both digests.
    const history = await app.store.tagHistory({ registry: REGISTRY, repository: 'team/app', tag: 'latest' });
    assert.equal(history.length, 2);
    // Lookups by package and channel commit find the images the dump's indexes list, in their order.
    for (const k of dump.keys) {
      const m = /:v1:by-package:\{([^@}]+)\}$/.exec(k.key);
      if (!m) continue;
      const res = await app.inject({ url: `/v1/recipes?package=${encodeURIComponent(m[1]!)}` });
      const page = res.json<{ items: { image: string }[] }>();
      const want = (k.value as [string, string][]).map(([member]) => member);
      assert.deepEqual(
        page.items.map((x) => x.image),
        want,
        m[1],
      );
    }
  });

  void it('a store of a newer schema is refused at start-up, naming both versions', async () => {
    const keys = new StoreKeys(dump.prefix);
    await client.hset(keys.meta(), 'schema', String(STORE_SCHEMA_VERSION + 1));
    await assert.rejects(prepareStore(config), (err) => {
      assert.ok(isRecipeError(err, 'usage'));
      assert.match(
        err.message,
        new RegExp(`schema ${STORE_SCHEMA_VERSION + 1}, newer than the ${STORE_SCHEMA_VERSION}`),
      );
      return true;
    });
    await client.hset(keys.meta(), 'schema', String(STORE_SCHEMA_VERSION));
  });

  void it('the migration step run again (a crash part-way) changes nothing', async () => {
    const before = (await dumpKeys(client, dump.prefix)).map(still);
    const keys = new StoreKeys(dump.prefix);
    await repositoryIndexes.run({ redis: client, keys, signal: new AbortController().signal, log: () => {} });
    assert.deepEqual((await dumpKeys(client, dump.prefix)).map(still), before);
  });
});
