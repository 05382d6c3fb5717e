/**
 * The only registry call a verdict makes is a tag's resolution, cached for `policies.tagCacheSeconds`
 * (and bounded in size): watched on a registry that records every request (test/harness/fake-registry).
 * Images named by digest cost no registry call at all, through the verdict and the admission routes.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../services/api/app.js';
import { loadConfig } from '../../shared/config/load-config.js';
import { createRegistryAccess } from '../../shared/config/registry-access.js';
import { TagCache } from '../../shared/config/tag-cache.js';
import { startFakeRegistry, type FakeRegistry } from '../harness/fake-registry.js';
import { startRedis, type RedisHarness } from '../harness/redis.js';

let redis: RedisHarness;
let fake: FakeRegistry;
let app: FastifyInstance;
let digest: string;

before(async () => {
  [redis, fake] = await Promise.all([startRedis(), startFakeRegistry()]);
  const config = fake.putBlob(Buffer.from('{}'), 'application/vnd.oci.image.config.v1+json');
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config,
      layers: [],
    }),
  );
  digest = fake.putManifest('team/app', manifest, 'application/vnd.oci.image.manifest.v1+json', 'v1').digest;
  const cfg = loadConfig({
    env: {},
    file: {
      logLevel: 'silent',
      redis: redis.redisConfig,
      queue: { prefix: `{tags-${process.pid}}` },
      registries: [{ host: fake.host, insecure: true }],
      policies: { tagCacheSeconds: 1 },
    },
  });
  app = await buildApp({ config: cfg, registries: createRegistryAccess(cfg) }, { logger: false });
});
after(async () => {
  await app?.close();
  await fake?.close();
  await redis?.stop();
});

const manifestCalls = () => fake.requests.filter((r) => r.url.startsWith('/v2/team/app/manifests/')).length;

const verdict = (image: string) => app.inject({ method: 'POST', url: '/v1/verdicts', payload: { image } });

const admission = (image: string) =>
  app.inject({
    method: 'POST',
    url: '/v1/admission',
    payload: {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid: 'u-1',
        kind: { group: '', version: 'v1', kind: 'Pod' },
        operation: 'CREATE',
        object: { spec: { containers: [{ name: 'a', image }] } },
      },
    },
  });

void test('digests: no registry call, through verdicts and admission', async () => {
  const before = fake.requests.length;
  for (let i = 0; i < 3; i++) {
    const r = await verdict(`${fake.host}/team/app@${digest}`);
    assert.equal(r.statusCode, 200, r.body);
    assert.equal(r.json<{ outcome: string }>().outcome, 'deny', 'never scanned: the default policy denies');
    assert.equal((await admission(`${fake.host}/team/app@${digest}`)).statusCode, 200);
  }
  assert.equal(fake.requests.length, before, 'the registry saw nothing');
});

void test('tags: one resolution per TTL, shared by verdicts and admission', async () => {
  const start = manifestCalls();
  const answers = await Promise.all([
    verdict(`${fake.host}/team/app:v1`),
    verdict(`${fake.host}/team/app:v1`),
    admission(`${fake.host}/team/app:v1`),
  ]);
  for (const a of answers) assert.equal(a.statusCode, 200, a.body);
  assert.equal(answers[0].json<{ image: string }>().image, `${fake.host}/team/app@${digest}`);
  assert.equal(manifestCalls() - start, 1, 'concurrent requests share one resolution');
  await verdict(`${fake.host}/team/app:v1`);
  assert.equal(manifestCalls() - start, 1, 'cached');
  assert.equal(fake.requests.at(-1)?.method, 'HEAD', 'a HEAD, no manifest body');
  await new Promise((r) => setTimeout(r, 1100));
  await verdict(`${fake.host}/team/app:v1`);
  assert.equal(manifestCalls() - start, 2, 'resolved again once the TTL is over');
});

void test('a tag the registry does not have: 404, and not cached', async () => {
  const start = manifestCalls();
  for (let i = 0; i < 2; i++) assert.equal((await verdict(`${fake.host}/team/app:nope`)).statusCode, 404);
  assert.equal(manifestCalls() - start, 2);
});

void test('the cache is bounded in size: the least recently used tag goes first', async () => {
  let calls = 0;
  const cache = new TagCache(
    {
      resolveTag: async (ref) => {
        calls++;
        return `sha256:${ref.tag.padEnd(64, '0')}` as never;
      },
    },
    { ttlMs: 60_000, max: 2 },
  );
  const signal = AbortSignal.timeout(5000);
  const r = (tag: string) => cache.resolve({ registry: 'r.example', repository: 'x', tag }, { signal });
  await r('a');
  await r('b');
  await r('a');
  assert.equal(calls, 2);
  await r('c'); // evicts b, the least recently used
  await r('a');
  assert.equal(calls, 3);
  await r('b');
  assert.equal(calls, 4);
});
