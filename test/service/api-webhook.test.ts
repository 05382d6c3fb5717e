// The API on a real redis-server through inject(): the distribution webhook's refusals and
// acknowledgements, scans and recipes routes, API tokens, problem+json, Redis down → 503.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { startRedis, type RedisHarness } from '../harness/redis.js';
import { buildApp } from '../../services/api/app.js';
import { loadConfig } from '../../shared/config/load-config.js';
import type { Config } from '../../shared/config/config-schema.js';
import { closeRedis, type RedisClient } from '../../shared/store/redis-connection.js';
import { RecipeStore } from '../../shared/store/recipe-store.js';
import { imageId } from '../../shared/oci/reference.js';
import { SCAN_QUEUE } from '../../shared/queue/scan-jobs.js';
import { buildRecipe, renderChannels, renderManifest } from '../../shared/guix/build-recipe.js';
import { sha256Digest, type Digest } from '../../shared/content/digest.js';
import { profileRebuild } from '../../shared/scan/profile-rebuild.js';
import type { Recipe } from '../../shared/guix/recipe.js';
import type { Rebuild } from '../../shared/scan/rebuild.js';
import { MediaType } from '../../shared/content/media-types.js';

const rebuildOf = (r: Recipe): Rebuild => profileRebuild(r, 'docker', 'a test result');

const FIX = new URL('../fixtures/webhooks/distribution/', import.meta.url);
let deliveries = 0;
/**
 * A captured envelope as a new delivery: the registry gives every event its own id, and the API
 * acknowledges an envelope whose event ids it has seen as a redelivery.
 */
const fixture = (name: string): string => {
  const env = JSON.parse(readFileSync(new URL(name, FIX), 'utf8')) as { events: { id?: string }[] };
  deliveries++;
  for (const ev of env.events) if (typeof ev.id === 'string') ev.id = `${ev.id}-${deliveries}`;
  return JSON.stringify(env);
};
const GUIX_FIX = new URL('../fixtures/guix-images/', import.meta.url);
const SECRET = 's3cret-token';
const REGISTRY = '127.0.0.1:5000'; // the host the captured events name
const OTHER = '127.0.0.1:5999';
const V1 = 'application/vnd.docker.distribution.events.v1+json';

function config(
  h: RedisHarness,
  extra: Record<string, unknown> = {},
  env: Record<string, string> = {},
): Config {
  const c = loadConfig({
    env: {
      GUIX_RECIPES_WEBHOOK_SECRET: SECRET,
      GUIX_RECIPES_REGISTRIES: `http://${REGISTRY}`,
      GUIX_RECIPES_LOG_LEVEL: 'silent',
      ...env,
    },
    file: { ...extra, queue: { prefix: `{${h.redisConfig.keyPrefix}}` } },
  });
  c.redis = { ...h.redisConfig };
  return c;
}

void describe('API with a real Redis', () => {
  let h: RedisHarness;
  let app: FastifyInstance;
  let cfg: Config;
  let redis: RedisClient;
  let queue: Queue;
  let store: RecipeStore;

  before(async () => {
    h = await startRedis();
    cfg = config(h, {
      registries: [
        { host: REGISTRY, insecure: true },
        { host: OTHER, insecure: true, webhook: { sender: 'distribution', secret: 'other-registry-secret' } },
      ],
    });
    app = await buildApp({ config: cfg });
    redis = h.connect('blocking');
    queue = new Queue(SCAN_QUEUE, { connection: redis, prefix: cfg.queue.prefix });
    store = new RecipeStore(redis, { prefix: cfg.redis.keyPrefix });
  });
  after(async () => {
    await app?.close();
    await queue?.close();
    if (redis) await closeRedis(redis);
    await h?.stop();
  });

  const post = (body: string, headers: Record<string, string> = {}, url = '/v1/webhooks/distribution') =>
    app.inject({
      method: 'POST',
      url,
      payload: body,
      headers: { 'content-type': V1, authorization: `Bearer ${SECRET}`, ...headers },
    });

  void it('refuses a missing or wrong secret with 401 problem+json, and queues nothing', async () => {
    const body = fixture('push-manifest-docker-v2.json');
    for (const headers of [
      { authorization: '' },
      { authorization: 'Bearer wrong' },
      { authorization: `Basic ${SECRET}` },
      { authorization: `Bearer ${SECRET}x` },
    ]) {
      const res = await post(body, headers);
      assert.equal(res.statusCode, 401, JSON.stringify(headers));
      assert.match(res.headers['content-type'] as string, /^application\/problem\+json/);
      assert.equal(res.json().code, 'unauthorized');
    }
    assert.equal(await queue.getJobCountByTypes('waiting', 'active', 'delayed'), 0);
  });

  void it('refuses bodies over the cap with 413', async () => {
    const big = JSON.stringify({ events: [], pad: 'x'.repeat(cfg.webhooks.bodyLimitBytes) });
    const res = await post(big);
    assert.equal(res.statusCode, 413);
    assert.equal(res.json().code, 'size-limit');
  });

  void it('queues a manifest push (vendor +json type) once, 202 only when queued', async () => {
    const body = fixture('push-manifest-docker-v2.json');
    const ev = JSON.parse(body).events[0];
    const img = {
      registry: REGISTRY,
      repository: ev.target.repository as string,
      digest: ev.target.digest as Digest,
    };
    const res = await post(body);
    assert.equal(res.statusCode, 202);
    const id = imageId(img);
    assert.deepEqual(res.json().queued, [
      { id, image: `${REGISTRY}/${img.repository}@${img.digest}`, existed: false },
    ]);
    const job = await queue.getJob(id);
    assert.ok(job);
    assert.deepEqual(
      { ...job.data, requestedAt: undefined },
      {
        kind: 'scan',
        registry: REGISTRY,
        repository: 'science/python-numpy',
        digest: img.digest,
        tag: 'latest',
        source: 'webhook:distribution',
        requestedAt: undefined,
      },
    );
    assert.ok(!JSON.stringify(job.data).includes(SECRET));
    assert.equal((await store.getImage(img))?.state, 'queued');
    // The registry redelivers the envelope (same event ids): acknowledged, nothing queued.
    const again = await post(body, { 'content-type': 'application/json' });
    assert.equal(again.statusCode, 200);
    assert.equal(again.json().duplicateDelivery, true);
    assert.deepEqual(again.json().queued, []);
    // Another push of the same digest (new event ids): the same job, nothing new.
    const repush = await post(fixture('push-manifest-docker-v2.json'));
    assert.equal(repush.statusCode, 202);
    assert.equal(repush.json().queued[0].existed, true);
    assert.equal(await queue.getJobCountByTypes('waiting'), 1);
    // GET /v1/scans/{id}
    const s = await app.inject({ method: 'GET', url: `/v1/scans/${id}` });
    assert.equal(s.statusCode, 200);
    assert.equal(s.json().state, 'queued');
    assert.equal(s.json().digest, img.digest);
    await queue.obliterate({ force: true });
  });

  void it('acknowledges pulls, blob pushes and deletes with 200 and queues nothing (a delete is recorded)', async () => {
    const del = JSON.stringify({
      events: [
        {
          action: 'delete',
          target: { digest: sha256Digest('x'), repository: 'a/b' },
          request: { host: REGISTRY },
        },
      ],
    });
    for (const body of [fixture('pull-manifest.json'), fixture('push-blob.json'), del]) {
      const res = await post(body);
      assert.equal(res.statusCode, 200);
      assert.deepEqual(res.json().queued, []);
      // A delete names no image the store knows here: recorded (nothing changes), not ignored.
      assert.deepEqual([res.json().ignored, res.json().deleted], body === del ? [0, 1] : [1, undefined]);
    }
    assert.equal(await queue.getJobCountByTypes('waiting', 'active', 'delayed'), 0);
  });

  void it('acknowledges events naming an unconfigured registry with 2xx, counts them and fetches nothing', async () => {
    const body = fixture('push-manifest-oci-zstd.json').replaceAll('127.0.0.1:5000', 'evil.example:443');
    const before = app.webhookCounters.get('distribution', 'unconfigured');
    const res = await post(body);
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().unconfigured, 1);
    assert.equal(app.webhookCounters.get('distribution', 'unconfigured'), before + 1);
    // ?registry= naming an unconfigured registry is the same.
    const res2 = await post(
      fixture('push-manifest-oci-zstd.json'),
      {},
      '/v1/webhooks/distribution?registry=nowhere.example',
    );
    assert.equal(res2.statusCode, 200);
    assert.equal(res2.json().unconfigured, 1);
    assert.equal(await queue.getJobCountByTypes('waiting', 'active', 'delayed'), 0);
  });

  void it('takes the registry from ?registry= or from the per-registry secret, never from the body', async () => {
    const body = fixture('push-manifest-oci-zstd.json').replaceAll('127.0.0.1:5000', 'evil.example:443');
    const byParam = await post(body, {}, `/v1/webhooks/distribution?registry=${REGISTRY}`);
    assert.equal(byParam.statusCode, 202);
    assert.match(
      byParam.json().queued[0].image,
      new RegExp(`^${REGISTRY.replaceAll('.', '\\.')}/science/two-channels@`),
    );
    // OTHER has its own secret: the global one is refused when ?registry= names it...
    assert.equal((await post(body, {}, `/v1/webhooks/distribution?registry=${OTHER}`)).statusCode, 401);
    // ...its own is accepted, and binds the registry even when the event names another host.
    const bound = await post(body, { authorization: 'Bearer other-registry-secret' });
    assert.equal(bound.statusCode, 202);
    assert.match(bound.json().queued[0].image, new RegExp(`^${OTHER.replaceAll('.', '\\.')}/`));
    await queue.obliterate({ force: true });
  });

  void it('answers malformed bodies and non-JSON types with problem+json, never a crash', async () => {
    assert.equal((await post('{"events": [')).json().code, 'parse-error');
    assert.equal((await post('{"nope": 1}')).statusCode, 422);
    const odd = await post(
      JSON.stringify({
        events: [
          null,
          1,
          {
            action: 'push',
            target: { mediaType: MediaType.OciManifest, digest: 'sha256:zz', repository: '../x' },
          },
        ],
      }),
    );
    assert.equal(odd.statusCode, 200);
    assert.equal(odd.json().ignored, 3);
    assert.equal((await post('x', { 'content-type': 'text/plain' })).statusCode, 415);
  });

  void it('serves stored recipes as JSON and byte-identical texts', async () => {
    const text = readFileSync(new URL('two-channels/profile-manifest', GUIX_FIX), 'utf8');
    const profile = readFileSync(new URL('two-channels/profile-path', GUIX_FIX), 'utf8').trim();
    const recipe = buildRecipe(text, { profile });
    const m = { mediaType: MediaType.OciManifest, digest: sha256Digest('served'), size: 7 };
    const img = { registry: REGISTRY, repository: 'science/two-channels', digest: m.digest };
    await store.saveScan(img, {
      manifest: m,
      results: [{ kind: 'recipe', manifest: m, recipe, verified: true, rebuild: rebuildOf(recipe) }],
      bytesRead: 0,
    });
    const json = await app.inject({ method: 'GET', url: `/v1/recipes/${m.digest}` });
    assert.equal(json.statusCode, 200);
    assert.deepEqual(json.json().recipe, recipe);
    assert.deepEqual(json.json().images, [`${REGISTRY}/science/two-channels@${m.digest}`]);
    const ch = await app.inject({ method: 'GET', url: `/v1/recipes/${m.digest}/channels.scm` });
    assert.equal(ch.headers['content-type'], 'text/x-scheme; charset=utf-8');
    assert.equal(ch.body, readFileSync(new URL('two-channels/export-channels.scm', GUIX_FIX), 'utf8'));
    const pinned = await app.inject({ method: 'GET', url: `/v1/recipes/${m.digest}/manifest.scm` });
    assert.equal(pinned.body, readFileSync(new URL('two-channels/manifest-pinned.scm', GUIX_FIX), 'utf8'));
    const guix = await app.inject({ method: 'GET', url: `/v1/recipes/${m.digest}/manifest.scm?style=guix` });
    assert.equal(guix.body, readFileSync(new URL('two-channels/export-manifest.scm', GUIX_FIX), 'utf8'));
    const modern = await app.inject({
      method: 'GET',
      url: `/v1/recipes/${m.digest}/manifest.scm?style=guix&printer=modern`,
    });
    assert.equal(modern.body, renderManifest(recipe, { style: 'guix', printer: 'modern' }));
    assert.equal(
      modern.body,
      readFileSync(new URL('two-channels/export-manifest.guile310.scm', GUIX_FIX), 'utf8'),
    );
    assert.equal(
      (await app.inject({ method: 'GET', url: `/v1/recipes/${m.digest}/channels.scm?printer=modern` })).body,
      renderChannels(recipe, { printer: 'modern' }),
    );
    // Unknown digest, bad digest, bad style.
    assert.equal(
      (await app.inject({ method: 'GET', url: `/v1/recipes/${sha256Digest('nothing')}` })).json().code,
      'not-found',
    );
    assert.equal((await app.inject({ method: 'GET', url: '/v1/recipes/sha256:xyz' })).statusCode, 400);
    assert.equal(
      (await app.inject({ method: 'GET', url: `/v1/recipes/${m.digest}/manifest.scm?style=fancy` }))
        .statusCode,
      400,
    );
  });

  void it('serves an index roll-up and picks a platform (default linux/amd64)', async () => {
    const text = readFileSync(new URL('multi-output/profile-manifest', GUIX_FIX), 'utf8');
    const recipe = buildRecipe(text, { profile: null });
    const idx = { mediaType: MediaType.OciIndex, digest: sha256Digest('idx'), size: 9 };
    const amd = {
      mediaType: MediaType.OciManifest,
      digest: sha256Digest('amd'),
      size: 1,
      platform: { os: 'linux', architecture: 'amd64' },
    };
    const arm = {
      mediaType: MediaType.OciManifest,
      digest: sha256Digest('arm'),
      size: 1,
      platform: { os: 'linux', architecture: 'arm64' },
    };
    await store.saveScan(
      { registry: REGISTRY, repository: 'multi/out', digest: idx.digest },
      {
        manifest: idx,
        results: [
          {
            kind: 'recipe',
            platform: amd.platform,
            manifest: amd,
            recipe,
            verified: true,
            rebuild: rebuildOf(recipe),
          },
          { kind: 'not-guix', platform: arm.platform, manifest: arm, reason: 'busybox' },
        ],
        bytesRead: 0,
      },
    );
    const roll = (await app.inject({ method: 'GET', url: `/v1/recipes/${idx.digest}` })).json();
    assert.equal(roll.kind, 'index');
    assert.deepEqual(
      roll.platforms.map((p: { digest: string; kind: string }) => [p.digest, p.kind]),
      [
        [amd.digest, 'recipe'],
        [arm.digest, 'not-guix'],
      ],
    );
    const ch = await app.inject({ method: 'GET', url: `/v1/recipes/${idx.digest}/channels.scm` });
    assert.equal(ch.body, readFileSync(new URL('multi-output/export-channels.scm', GUIX_FIX), 'utf8'));
    const armRes = await app.inject({
      method: 'GET',
      url: `/v1/recipes/${idx.digest}/manifest.scm?platform=linux/arm64`,
    });
    assert.equal(armRes.statusCode, 404);
    assert.equal(armRes.json().code, 'no-guix-profile');
    assert.equal(
      (
        await app.inject({
          method: 'GET',
          url: `/v1/recipes/${idx.digest}/manifest.scm?platform=linux/s390x`,
        })
      ).json().code,
      'platform-not-found',
    );
  });

  void it('takes POST /v1/scans for configured registries only', async () => {
    const d = sha256Digest('scan-me');
    const ok = await app.inject({
      method: 'POST',
      url: '/v1/scans',
      payload: { image: `${REGISTRY}/team/app@${d}` },
    });
    assert.equal(ok.statusCode, 202);
    const id = imageId({ registry: REGISTRY, repository: 'team/app', digest: d });
    assert.equal(ok.json().id, id);
    assert.equal(ok.headers.location, `/v1/scans/${id}`);
    assert.ok(await queue.getJob(id));
    const no = await app.inject({
      method: 'POST',
      url: '/v1/scans',
      payload: { image: `evil.example/team/app@${d}` },
    });
    assert.equal(no.statusCode, 403);
    assert.equal(no.json().code, 'host-not-allowed');
    assert.equal(
      (await app.inject({ method: 'POST', url: '/v1/scans', payload: { image: 'Not A Ref' } })).json().code,
      'invalid-reference',
    );
    assert.equal((await app.inject({ method: 'GET', url: `/v1/scans/${'0'.repeat(64)}` })).statusCode, 404);
    await queue.obliterate({ force: true });
  });

  void it('requires API tokens with the right scope once tokens are configured', async () => {
    const t = await buildApp({
      config: config(h, {}, { GUIX_RECIPES_API_TOKENS: 'reader-token:read,scanner-token:scan' }),
    });
    try {
      const url = `/v1/recipes/${sha256Digest('served')}`;
      assert.equal((await t.inject({ url })).statusCode, 401);
      assert.equal((await t.inject({ url, headers: { authorization: 'Bearer nope-nope' } })).statusCode, 401);
      const forbidden = await t.inject({ url, headers: { authorization: 'Bearer scanner-token' } });
      assert.equal(forbidden.statusCode, 403);
      assert.equal(forbidden.json().code, 'forbidden');
      assert.equal(
        (await t.inject({ url, headers: { authorization: 'Bearer reader-token' } })).statusCode,
        200,
      );
      assert.equal((await t.inject({ url: '/healthz' })).statusCode, 200);
      // Webhooks authenticate senders, not API tokens.
      const hook = await t.inject({
        method: 'POST',
        url: '/v1/webhooks/distribution',
        payload: fixture('pull-manifest.json'),
        headers: { 'content-type': V1, authorization: `Bearer ${SECRET}` },
      });
      assert.equal(hook.statusCode, 200);
    } finally {
      await t.close();
    }
  });

  void it('answers 503 while Redis is unreachable, and recovers', async () => {
    const own = await startRedis();
    const c = config(own);
    const a = await buildApp({ config: c });
    try {
      assert.equal((await a.inject({ url: '/readyz' })).statusCode, 200);
      await own.stopServers();
      // One delivery, sent again by the registry until it is accepted (a 503 is not remembered).
      const delivery = fixture('push-manifest-docker-v2.json');
      const res = await a.inject({
        method: 'POST',
        url: '/v1/webhooks/distribution',
        payload: delivery,
        headers: { 'content-type': V1, authorization: `Bearer ${SECRET}` },
      });
      assert.equal(res.statusCode, 503);
      assert.equal(res.json().code, 'unavailable');
      assert.equal((await a.inject({ url: '/readyz' })).statusCode, 503);
      assert.equal((await a.inject({ url: '/healthz' })).statusCode, 200);
      await own.restart();
      const deadline = Date.now() + 10000;
      let status = 0;
      while (Date.now() < deadline && status !== 202) {
        status = (
          await a.inject({
            method: 'POST',
            url: '/v1/webhooks/distribution',
            payload: delivery,
            headers: { 'content-type': V1, authorization: `Bearer ${SECRET}` },
          })
        ).statusCode;
        if (status !== 202) await new Promise((r) => setTimeout(r, 200));
      }
      assert.equal(status, 202, 'queued once Redis is back');
    } finally {
      await a.close();
      await own.stop();
    }
  });
});
