/**
 * Backfill on a real docker-registry filled before the service starts: four fixture images (one an
 * OCI index of two platforms) pushed with skopeo, then copied into 50 repositories under 300 tags
 * by cross-repository blob mount. `POST /v1/registries/{host}/backfill`; the API and the workers
 * are stopped in the middle and started again; the run resumes. Every tag then names its image,
 * every image has its recipe, and each of the four digests was read once in all (the scan
 * counter and the image records say so). Progress is read through the API and /metrics.
 *
 * Then the same registry behind a proxy that refuses its catalog, configured with a list of
 * repositories: that list is walked (and the digests, known already, are not read again); without
 * a list the backfill fails, saying why.
 */
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../../shared/config/config-schema.js';
import { loadConfig } from '../../shared/config/load-config.js';
import type { Digest } from '../../shared/content/digest.js';
import { metricsKey } from '../../shared/metrics/redis-sample-store.js';
import { closeRedis, type RedisClient } from '../../shared/store/redis-connection.js';
import type { BackfillStatus } from '../../shared/store/backfill-store.js';
import { parseExposition } from '../api/prom-parse.js';
import { cli } from '../cli/capture.js';
import { startRedis, type RedisHarness } from '../harness/redis.js';
import { startRefusingProxy, type RefusingProxy } from '../harness/refusing-proxy.js';
import { startRegistry, type RunningRegistry } from '../harness/registry.js';
import { copyImage, digestOf, manifestOf, mountBlob, putManifest } from '../harness/registry-copies.js';
import { startInProcessService, type InProcessService } from '../harness/service.js';
import { pushFixture, pushIndex, tempDir, type PushedImage } from '../harness/skopeo.js';

const REPOS = 50;
const TAGS = ['v1', 'v2', 'v3'];
const OTHER_TAGS = ['w1', 'w2', 'w3'];

interface Source {
  repo: string;
  digest: Digest;
  copy(to: string, tags: readonly string[]): Promise<void>;
}

void describe('backfill of a registry filled before the service started', () => {
  let redis: RedisHarness;
  let reg: RunningRegistry;
  let proxy: RefusingProxy;
  let bare: RefusingProxy;
  let work: string;
  let config: Config;
  let svc: InProcessService | undefined;
  let client: RedisClient;
  /** registry/repo:tag -> digest, as the test made them. */
  const expected = new Map<string, Digest>();
  const sources: Source[] = [];

  before(async () => {
    redis = await startRedis();
    reg = await startRegistry();
    work = await tempDir('gr-backfill-');
    const single = async (fixture: string, repo: string): Promise<Source> => {
      const p: PushedImage = await pushFixture(fixture, `${reg.host}/${repo}:v1`, 'oci', work);
      return {
        repo,
        digest: p.digest,
        copy: (to, tags) => copyImage(reg.url, repo, to, manifestOf(p), tags),
      };
    };
    sources.push(await single('two-channels', 'seed/two-channels'));
    sources.push(await single('mixed-commits', 'seed/mixed-commits'));
    sources.push(await single('no-provenance', 'seed/no-provenance'));
    const amd = await pushFixture('multi-output', `${reg.host}/seed/multi:amd64`, 'oci', work);
    const arm = await pushFixture('propagated', `${reg.host}/seed/multi:arm64`, 'oci', work);
    const index = await pushIndex(reg.url, 'seed/multi', 'v1', [
      { image: amd, platform: { os: 'linux', architecture: 'amd64' } },
      { image: arm, platform: { os: 'linux', architecture: 'arm64' } },
    ]);
    const indexMediaType = 'application/vnd.oci.image.index.v1+json';
    sources.push({
      repo: 'seed/multi',
      digest: index.digest,
      async copy(to, tags) {
        for (const child of [amd, arm]) {
          for (const b of manifestOf(child).blobs) await mountBlob(reg.url, to, 'seed/multi', b);
          await putManifest(reg.url, to, child.digest, child);
        }
        for (const tag of tags)
          await putManifest(reg.url, to, tag, { bytes: index.bytes, mediaType: indexMediaType });
      },
    });
    assert.equal(digestOf(index.bytes), index.digest);
    for (const s of sources) expected.set(`${s.repo}:v1`, s.digest);
    expected.set('seed/multi:amd64', amd.digest);
    expected.set('seed/multi:arm64', arm.digest);
    for (let i = 0; i < REPOS; i++) {
      const repo = `bf/r${String(i).padStart(2, '0')}`;
      const a = sources[i % sources.length]!;
      const b = sources[(i + 1) % sources.length]!;
      await a.copy(repo, TAGS);
      await b.copy(repo, OTHER_TAGS);
      for (const t of TAGS) expected.set(`${repo}:${t}`, a.digest);
      for (const t of OTHER_TAGS) expected.set(`${repo}:${t}`, b.digest);
    }
    proxy = await startRefusingProxy(reg.port, (path) => path.startsWith('/v2/_catalog'));
    bare = await startRefusingProxy(reg.port, (path) => path.startsWith('/v2/_catalog'));
    const file = {
      logLevel: 'silent',
      redis: redis.redisConfig,
      registries: [
        { host: reg.host, insecure: true },
        { host: proxy.host, insecure: true, repositories: ['seed/two-channels', 'bf/r07'] },
        { host: bare.host, insecure: true },
      ],
      queue: { prefix: `{bf-${process.pid}}`, attempts: 3, backoffMs: 200 },
      worker: { concurrency: 4, lockDurationMs: 5000, stalledIntervalMs: 2000 },
      backfill: { concurrency: 2, resolveConcurrency: 4, catalogPageSize: 10 },
      http: { shutdownGraceMs: 3000 },
      rateLimit: { burst: 100_000, perSecond: 100_000 },
    };
    config = loadConfig({ env: {}, file });
    await writeFile(join(work, 'config.json'), JSON.stringify(file));
    client = redis.connect('blocking');
  });
  after(async () => {
    await svc?.worker?.close(1000).catch(() => {});
    await svc?.app.close().catch(() => {});
    if (client) await closeRedis(client);
    await proxy?.close();
    await bare?.close();
    await reg?.stop();
    await redis?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const get = (url: string): Promise<LightMyRequestResponse> => svc!.app.inject({ url });
  const status = async (host: string): Promise<BackfillStatus> => {
    const res = await get(`/v1/registries/${host}/backfill`);
    assert.equal(res.statusCode, 200, res.body);
    return res.json<BackfillStatus>();
  };
  const until = async <T>(what: string, f: () => Promise<T | undefined>, ms = 60_000): Promise<T> => {
    for (const end = Date.now() + ms; ;) {
      const v = await f();
      if (v !== undefined) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  /** Completed scans by outcome, as every worker recorded them. */
  const scansBy = async (outcome: string): Promise<number> =>
    Number(
      (await client.hget(
        metricsKey(config.redis.keyPrefix),
        `guix_recipes_scans_total{outcome="${outcome}"}`,
      )) ?? '0',
    );

  void it('walks every repository and tag, resumes after a restart, reads each digest once', async () => {
    svc = await startInProcessService(config);
    const started = await svc.app.inject({ method: 'POST', url: `/v1/registries/${reg.host}/backfill` });
    assert.equal(started.statusCode, 202, started.body);
    assert.equal(started.json<BackfillStatus & { started: boolean }>().started, true);
    const again = await svc.app.inject({ method: 'POST', url: `/v1/registries/${reg.host}/backfill` });
    assert.equal(
      again.json<{ started: boolean; run: number }>().started,
      false,
      'a running backfill is not started twice',
    );

    // Stop everything in the middle of the walk, and start again.
    const middle = await until('the walk in its middle', async () => {
      const s = await status(reg.host);
      return s.repositories.done >= 10 ? s : undefined;
    });
    assert.equal(middle.state, 'running', JSON.stringify(middle));
    await svc.worker!.close(3000);
    await svc.app.close();
    const stoppedAt = await scansBy('scanned');
    svc = await startInProcessService(config);

    const done = await until(
      'the backfill done',
      async () => {
        const s = await status(reg.host);
        return s.state === 'running' ? undefined : s;
      },
      90_000,
    );
    assert.equal(done.state, 'done', JSON.stringify(done));
    assert.equal(done.run, 1, 'the same run went on');
    assert.equal(done.source, 'catalog');
    assert.equal(done.repositories.found, REPOS + sources.length);
    assert.equal(done.repositories.done, done.repositories.found);
    assert.equal(done.repositories.failed, 0);
    assert.ok(done.catalog.pages >= 6, `paged catalog: ${done.catalog.pages} pages`);
    assert.equal(done.tags, expected.size);
    assert.equal(done.skippedTags, 0);

    // The scans the walk queued, all finished.
    const images = new Map<string, Digest>();
    for (const [ref, digest] of expected) images.set(`${ref.slice(0, ref.indexOf(':'))}@${digest}`, digest);
    await until(
      'every scan done',
      async () => {
        for (const name of images.keys()) {
          const [repository, digest] = name.split('@') as [string, Digest];
          const rec = await svc!.app.store.getImage({ registry: reg.host, repository, digest });
          if (rec?.state !== 'done') return undefined;
        }
        return true;
      },
      90_000,
    );

    // Every tag names its image, every image has its recipe.
    for (const [ref, digest] of expected) {
      const res: LightMyRequestResponse = await svc.app.inject({
        url: `/v1/recipes?image=${encodeURIComponent(`${reg.host}/${ref}`)}`,
      });
      const page: { items: { digest: string; state: string; kind: string }[] } = res.json<{
        items: { digest: string; state: string; kind: string }[];
      }>();
      assert.deepEqual(
        page.items.map((i) => [i.digest, i.state]),
        [[digest, 'done']],
        ref,
      );
    }
    for (const s of sources) {
      const doc = await get(`/v1/recipes/${s.digest}`);
      assert.equal(doc.statusCode, 200, doc.body);
      assert.equal(doc.json<{ kind: string }>().kind, s.repo === 'seed/multi' ? 'index' : 'recipe');
    }

    // Each digest read once: four scans in all (the index's platforms come with it), every other
    // image reused a stored result; the restart rescanned nothing.
    const scanned = await scansBy('scanned');
    assert.equal(scanned, sources.length, `scans: ${scanned}`);
    assert.ok(stoppedAt <= scanned);
    let recordScans = 0;
    for (const name of images.keys()) {
      const [repository, digest] = name.split('@') as [string, Digest];
      recordScans += (await svc.app.store.getImage({ registry: reg.host, repository, digest }))!.scans;
    }
    assert.equal(recordScans, sources.length);
    assert.equal(await scansBy('reused'), images.size - sources.length);

    const metrics = parseExposition((await get('/metrics')).body);
    assert.equal(
      metrics.value('guix_recipes_backfill_repositories', { registry: reg.host, state: 'done' }),
      done.repositories.done,
    );
    assert.equal(metrics.value('guix_recipes_backfill_running', { registry: reg.host }), 0);
    assert.equal(metrics.value('guix_recipes_walk_tags_total', { walk: 'backfill' }), expected.size);
  });

  void it('a registry that refuses its catalog: the configured repositories; none configured: failed, saying why', async () => {
    const s = await svc!.app.inject({ method: 'POST', url: `/v1/registries/${proxy.host}/backfill` });
    assert.equal(s.statusCode, 202, s.body);
    const done = await until('the configured walk', async () => {
      const st = await status(proxy.host);
      return st.state === 'running' ? undefined : st;
    });
    assert.equal(done.state, 'done', JSON.stringify(done));
    assert.equal(done.source, 'configured');
    assert.equal(done.repositories.found, 2);
    assert.equal(done.tags, 1 + TAGS.length + OTHER_TAGS.length);
    assert.ok(proxy.refused >= 1);
    const digest = expected.get('bf/r07:v1')!;
    await until('the configured repository scanned', async () =>
      (await svc!.app.store.getImage({ registry: proxy.host, repository: 'bf/r07', digest }))?.state ===
      'done'
        ? true
        : undefined,
    );
    assert.equal(await scansBy('scanned'), sources.length, 'known digests are not read again');

    await svc!.app.inject({ method: 'POST', url: `/v1/registries/${bare.host}/backfill` });
    const failed = await until('the bare walk', async () => {
      const st = await status(bare.host);
      return st.state === 'running' ? undefined : st;
    });
    assert.equal(failed.state, 'failed');
    assert.match(failed.error!.message, /refuses its catalog.*registries\[\]\.repositories/);

    const unknown = await svc!.app.inject({
      method: 'POST',
      url: '/v1/registries/elsewhere.example/backfill',
    });
    assert.equal(unknown.statusCode, 404);
  });

  void it('guix-recipes backfill HOST --restart --wait: a second run through the CLI reads no digest again', async () => {
    const before = await scansBy('scanned');
    const run = await cli(['backfill', reg.host, '--restart', '--wait', '--timeout', '120'], {
      env: { GUIX_RECIPES_CONFIG: join(work, 'config.json') },
      cwd: work,
    });
    assert.equal(run.code, 0, run.stderr);
    const final = JSON.parse(run.stdout) as BackfillStatus;
    assert.equal(final.state, 'done');
    assert.equal(final.run, 2);
    assert.equal(final.tags, expected.size);
    assert.equal(final.queued + final.known, final.digests);
    assert.match(run.stderr, /backfill of .* \(run 2\) done: 54\/54 repositories/);
    const bad = await cli(['backfill'], { env: {}, cwd: work });
    assert.equal(bad.code, 2);
    // Every digest was known or reused: no layer read again.
    await until("the second run's scans", async () =>
      (await scansBy('reused')) + (await scansBy('scanned')) >= before + final.queued ? true : undefined,
    );
    assert.equal(await scansBy('scanned'), before);
  });
});
