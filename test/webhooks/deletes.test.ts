/**
 * Deletions, per sender that sends them: how each body is read (distribution and GitLab's
 * envelope: a manifest, a tag, a repository; Harbor's DELETE_ARTIFACT in both formats; ACR's
 * webhook and Event Grid's ImageDeleted), that the others send none, and what the service does
 * with them: on a real docker-registry whose notifications reach the service, deleting a manifest
 * marks the image deleted (`deleted: true`), drops the tags pointing at it and keeps its recipe;
 * pushing it again brings it back. Then each other sender's deletion, through the API.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import type { Digest } from '../../shared/content/digest.js';
import { loadConfig } from '../../shared/config/load-config.js';
import { imageId } from '../../shared/oci/reference.js';
import { parseAcr } from '../../shared/webhooks/acr.js';
import { parseDistributionEnvelope } from '../../shared/webhooks/distribution.js';
import { parseDockerHub } from '../../shared/webhooks/dockerhub.js';
import { parseGithub } from '../../shared/webhooks/github.js';
import { gitlabSender } from '../../shared/webhooks/gitlab.js';
import { parseHarbor } from '../../shared/webhooks/harbor.js';
import { parseQuay } from '../../shared/webhooks/quay.js';
import { startRedis, type RedisHarness } from '../harness/redis.js';
import { freePort, startRegistry, type RunningRegistry } from '../harness/registry.js';
import { deleteManifest } from '../harness/registry-copies.js';
import { startInProcessService, type InProcessService } from '../harness/service.js';
import { pushFixture, tempDir } from '../harness/skopeo.js';
import {
  SAMPLE_DIGEST,
  acrPush,
  dockerHub,
  eventGridPushed,
  githubPackage,
  harborCloudEvent,
  harborDefault,
  quay,
} from './payloads.js';
import { post } from './webhook-env.js';

const D2 = `sha256:${'cd'.repeat(32)}`;

/** A distribution envelope of delete events (the notifications bridge's three shapes). */
function distributionDeletes(targets: Record<string, string>[]): unknown {
  return {
    events: targets.map((target, i) => ({
      id: `del-${i}`,
      timestamp: '2026-11-22T18:58:16.742Z',
      action: 'delete',
      target,
      request: {
        id: 'r',
        addr: '127.0.0.1:1',
        host: 'reg.example:5000',
        method: 'DELETE',
        useragent: 'curl',
      },
      actor: {},
      source: { addr: 'vm:5000', instanceID: 'x' },
    })),
  };
}

void describe('deletions as each sender sends them', () => {
  void it('distribution and GitLab: a manifest, a tag, a whole repository', () => {
    const body = distributionDeletes([
      { repository: 'team/app', digest: SAMPLE_DIGEST },
      { repository: 'team/app', tag: 'v1' },
      { repository: 'team/old' },
      { repository: 'Team/../x', digest: SAMPLE_DIGEST },
      { repository: 'team/app', digest: 'sha256:short' },
    ]);
    for (const d of [parseDistributionEnvelope(body), gitlabSender.parse(body)]) {
      assert.deepEqual(d.pushes, []);
      assert.deepEqual(d.deletes, [
        { repository: 'team/app', digest: SAMPLE_DIGEST, host: 'reg.example:5000', eventId: 'del-0' },
        { repository: 'team/app', tag: 'v1', host: 'reg.example:5000', eventId: 'del-1' },
        { repository: 'team/old', host: 'reg.example:5000', eventId: 'del-2' },
      ]);
      assert.deepEqual(
        d.ignored.map((i) => i.reason),
        ['malformed repository or tag', 'malformed digest'],
      );
    }
  });

  void it('Harbor: DELETE_ARTIFACT and harbor.artifact.deleted name the artifact by digest', () => {
    const spec = { host: 'harbor.example.com', repository: 'team/app', tag: '1.0', digest: SAMPLE_DIGEST };
    for (const body of [
      harborDefault(spec, 'DELETE_ARTIFACT'),
      harborCloudEvent(spec, 'ce-9', 'harbor.artifact.deleted'),
    ]) {
      const d = parseHarbor(body);
      assert.deepEqual(d.pushes, []);
      assert.equal(d.deletes?.length, 1);
      assert.deepEqual(
        { ...d.deletes[0], eventId: undefined },
        { repository: 'team/app', digest: SAMPLE_DIGEST, host: 'harbor.example.com', eventId: undefined },
      );
    }
    const noDigest = parseHarbor(harborDefault({ ...spec, digest: undefined }, 'DELETE_ARTIFACT'));
    assert.deepEqual(noDigest.deletes ?? [], []);
    assert.equal(noDigest.ignored.length, 1);
  });

  void it("ACR: the webhook's delete (an image, a repository) and Event Grid's ImageDeleted", () => {
    const img = parseAcr(
      acrPush({ host: 'a.azurecr.io', repository: 'team/app', digest: SAMPLE_DIGEST }, 'w1', 'delete'),
    );
    assert.deepEqual(img.deletes, [
      { repository: 'team/app', digest: SAMPLE_DIGEST, host: 'a.azurecr.io', eventId: 'w1' },
    ]);
    const repo = parseAcr({
      ...acrPush({ host: 'a.azurecr.io', repository: 'team/gone' }, 'w2', 'delete'),
      target: { repository: 'team/gone' },
    });
    assert.deepEqual(repo.deletes, [{ repository: 'team/gone', host: 'a.azurecr.io', eventId: 'w2' }]);
    const grid = parseAcr([
      {
        ...eventGridPushed({ host: 'a.azurecr.io', repository: 'team/app', digest: D2 }, 'g1'),
        eventType: 'Microsoft.ContainerRegistry.ImageDeleted',
      },
    ]);
    assert.deepEqual(grid.pushes, []);
    assert.deepEqual(grid.deletes, [
      { repository: 'team/app', digest: D2, host: 'a.azurecr.io', eventId: 'g1' },
    ]);
  });

  void it('GitHub, Docker Hub and Quay send no deletions: nothing is read as one', () => {
    const gh = parseGithub(
      githubPackage({ owner: 'o', name: 'n', digest: SAMPLE_DIGEST }, { action: 'deleted' }),
    );
    assert.deepEqual([gh.pushes, gh.deletes ?? []], [[], []]);
    assert.equal(gh.ignored.length, 1);
    assert.equal(parseDockerHub(dockerHub('team/app', 'v1')).deletes, undefined);
    assert.equal(parseQuay(quay('quay.io', 'team/app', ['v1'])).deletes, undefined);
  });
});

const SECRET = 'delete-test-webhook-secret';

void describe('deletions through the service', () => {
  let redis: RedisHarness;
  let reg: RunningRegistry;
  let svc: InProcessService;
  let app: FastifyInstance;
  let work: string;
  let digest: Digest;
  const repository = 'del/app';

  before(async () => {
    redis = await startRedis();
    const port = await freePort();
    reg = await startRegistry({
      notifications: [
        {
          url: `http://127.0.0.1:${port}/v1/webhooks/distribution`,
          headers: { Authorization: [`Bearer ${SECRET}`] },
          backoff: '300ms',
        },
      ],
    });
    work = await tempDir('gr-deletes-');
    const config = loadConfig({
      env: {},
      file: {
        logLevel: 'silent',
        redis: redis.redisConfig,
        registries: [{ host: reg.host, insecure: true }],
        webhooks: { secret: SECRET },
        queue: { prefix: `{del-${process.pid}}`, attempts: 2, backoffMs: 100 },
      },
    });
    svc = await startInProcessService(config);
    app = svc.app;
    await app.listen({ host: '127.0.0.1', port });
  });
  after(async () => {
    await svc?.worker?.close(1000).catch(() => {});
    await app?.close().catch(() => {});
    await reg?.stop();
    await redis?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const img = () => ({ registry: reg.host, repository, digest });
  const until = async <T>(what: string, f: () => Promise<T | undefined>): Promise<T> => {
    for (const end = Date.now() + 30_000; ;) {
      const v = await f();
      if (v !== undefined) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const scanStatus = async () =>
    (await app.inject({ url: `/v1/scans/${imageId(img())}` })).json<{
      state: string;
      deleted?: boolean;
      deletedAt?: string;
    }>();

  void it("distribution: the registry's own delete event; the recipe stays, the tags go; a push brings it back", async () => {
    digest = (await pushFixture('two-channels', `${reg.host}/${repository}:1`, 'oci', work)).digest;
    const tagged = (tag: string) =>
      until(`tag ${tag} recorded`, async () =>
        (await app.store.getTag({ registry: reg.host, repository, tag })) === digest ? true : undefined,
      );
    await until('the pushed image scanned', async () =>
      (await scanStatus()).state === 'done' ? true : undefined,
    );
    await tagged('1');
    // A second tag once the first scan is over (a push of a digest whose scan is still queued joins
    // that job, and its tag is resolved when the job runs).
    await pushFixture('two-channels', `${reg.host}/${repository}:2`, 'oci', work);
    await tagged('2');
    // The new tag's push runs the scan job again (its tag is recorded while the job runs): wait for
    // that job to end so the delete below lands on a finished scan.
    await until('the second scan done', async () =>
      (await scanStatus()).state === 'done' ? true : undefined,
    );
    assert.equal((await scanStatus()).deleted, undefined);

    await deleteManifest(reg.url, repository, digest);
    const deleted = await until('the delete event', async () => {
      const s = await scanStatus();
      return s.deleted ? s : undefined;
    });
    assert.equal(deleted.state, 'done');
    assert.match(deleted.deletedAt!, /^\d{4}-\d\d-\d\dT/);
    for (const tag of ['1', '2']) {
      assert.equal(await app.store.getTag({ registry: reg.host, repository, tag }), undefined, tag);
      const byTag = await app.inject({
        url: `/v1/recipes?image=${encodeURIComponent(`${reg.host}/${repository}:${tag}`)}`,
      });
      assert.equal(byTag.json<{ total: number }>().total, 0);
    }
    const byDigest = await app.inject({ url: `/v1/recipes?image=${digest}` });
    assert.equal(byDigest.json<{ items: { deleted?: boolean }[] }>().items[0]?.deleted, true);
    const recipe = await app.inject({ url: `/v1/recipes/${digest}/channels.scm` });
    assert.equal(recipe.statusCode, 200, 'the recipe of a deleted image is kept');
    assert.equal(app.webhookCounters.get('distribution', 'deleted') >= 1, true);

    await pushFixture('two-channels', `${reg.host}/${repository}:3`, 'oci', work);
    await until('the image back after a new push', async () =>
      (await scanStatus()).deleted ? undefined : true,
    );
    assert.equal(await app.store.getTag({ registry: reg.host, repository, tag: '3' }), digest);
  });

  void it('gitlab, harbor (both formats) and acr (webhook, Event Grid) deletions mark it deleted too', async () => {
    const h = reg.host;
    const spec = { host: h, repository, tag: '3', digest };
    const cases: [string, unknown, Record<string, string>][] = [
      ['gitlab', distributionDeletes([{ repository, digest }]), { authorization: `Bearer ${SECRET}` }],
      ['harbor', harborDefault(spec, 'DELETE_ARTIFACT'), { authorization: SECRET }],
      [
        'harbor',
        harborCloudEvent(spec, `ce-${Date.now()}`, 'harbor.artifact.deleted'),
        { authorization: SECRET },
      ],
      ['acr', acrPush(spec, `w-${Date.now()}`, 'delete'), { authorization: `Bearer ${SECRET}` }],
      [
        'acr',
        [
          {
            ...eventGridPushed(spec, `g-${Date.now()}`),
            eventType: 'Microsoft.ContainerRegistry.ImageDeleted',
          },
        ],
        { authorization: `Bearer ${SECRET}` },
      ],
    ];
    for (const [sender, body, headers] of cases) {
      await app.store.setTag({ registry: h, repository, tag: '3' }, digest); // the image is back
      assert.equal((await scanStatus()).deleted, undefined, sender);
      const res = await post(app, sender, body, { query: { registry: h }, headers });
      assert.equal(res.statusCode, 200, `${sender}: ${res.body}`);
      assert.equal(res.json<{ deleted?: number }>().deleted, 1, `${sender}: ${res.body}`);
      assert.equal((await scanStatus()).deleted, true, sender);
      assert.equal(await app.store.getTag({ registry: h, repository, tag: '3' }), undefined, sender);
    }
  });
});
