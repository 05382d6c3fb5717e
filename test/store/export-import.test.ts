/**
 * `guix-recipes export DIR` → an empty Redis → `guix-recipes import DIR`: every API answer about
 * the store's recipes (each result and its texts, SBOM and SLSA, each image's scan status, the
 * lookups by image, tag, package, channel commit and store path, the lists by state) is byte for
 * byte what it was. The store is the schema-1 dump (real scans of fixture images), migrated, with
 * one image deleted by its registry. The export is a stable layout a person can read (the texts
 * as served, a rebuild command) and exporting twice writes the same bytes; a store that is not
 * empty and an export whose index points outside its folder are refused.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../../shared/config/config-schema.js';
import { loadConfig } from '../../shared/config/load-config.js';
import type { Digest } from '../../shared/content/digest.js';
import { imageId, parseImageName } from '../../shared/oci/reference.js';
import { closeRedis, type RedisClient } from '../../shared/store/redis-connection.js';
import { prepareStore } from '../../services/cli/store-access.js';
import { cli } from '../cli/capture.js';
import { startRedis, type RedisHarness } from '../harness/redis.js';
import { startInProcessService } from '../harness/service.js';
import { tempDir } from '../harness/skopeo.js';
import { answerUrls, apiAnswers, dumpContents, loadDump, readDump, type Answer } from './store-dump.js';

const dump = readDump();
const REGISTRY = '127.0.0.1:40157';
const TEAM_APP_LATEST = 'sha256:6f7231f642718bb22c8f4d902e81e96432e004403e2b5243cef11c3a1a5d8780' as Digest;
const BARE = 'sha256:0472534c9bfc094e42a3ebbd6e59ecd0d8516983c648e8f106af9abd305c4f20' as Digest;

/** Every file under `dir` with the sha256 of its bytes, sorted by path. */
async function tree(dir: string): Promise<[string, string][]> {
  const out: [string, string][] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else
        out.push([
          relative(dir, p),
          createHash('sha256')
            .update(await readFile(p))
            .digest('hex'),
        ]);
    }
  };
  await walk(dir);
  return out.sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

void describe('export, an empty Redis, import', () => {
  let redis: RedisHarness;
  let client: RedisClient;
  let config: Config;
  let work: string;
  let env: Record<string, string>;
  let app: FastifyInstance | undefined;
  let answered: Map<string, Answer>;
  let urls: string[];

  const startApp = async (): Promise<FastifyInstance> => {
    await app?.close();
    app = (await startInProcessService(config, { worker: false })).app;
    return app;
  };

  before(async () => {
    redis = await startRedis();
    client = redis.connect('blocking');
    work = await tempDir('gr-export-');
    const file = {
      logLevel: 'silent',
      redis: { url: redis.url, keyPrefix: dump.prefix },
      registries: [{ host: REGISTRY, insecure: true }],
      queue: { prefix: `{exp-${process.pid}}` },
      rateLimit: { burst: 100_000, perSecond: 100_000 },
    };
    await writeFile(join(work, 'config.json'), JSON.stringify(file));
    env = { GUIX_RECIPES_CONFIG: join(work, 'config.json') };
    config = loadConfig({ env: {}, file });
    await loadDump(client, dump);
    await prepareStore(config);
  });
  after(async () => {
    await app?.close().catch(() => {});
    if (client) await closeRedis(client);
    await redis?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  void it('exports every recipe as files a person can read, the same bytes twice', async () => {
    const a = await startApp();
    // The registry deleted the bare image: its recipe stays, with the deletion.
    await a.store.markDeleted({ registry: REGISTRY, repository: 'team/bare', digest: BARE });
    const ids = new Map(dumpContents(dump).images.map((i) => [i.name, imageId(parseImageName(i.name)!)]));
    urls = answerUrls(dump, ids);
    answered = await apiAnswers(a, urls);
    assert.ok(urls.length > 60, `${urls.length} answers`);
    assert.ok([...answered.values()].filter((x) => x.status === 200).length > 50);
    assert.deepEqual(
      [...answered.values()].filter((x) => x.status >= 500 || x.status === 429),
      [],
    );

    const out = join(work, 'export');
    const first = await cli(['export', out], { env, cwd: work });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^exported 6 results, 5 images, 4 repositories' tags, 1 policies to /);
    const files = await tree(out);
    const again = await cli(['export', out], { env, cwd: work });
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(await tree(out), files, 'exporting twice writes the same bytes');

    // For people: the recipe of team/app's image as the API serves it, and how to rebuild it.
    const dir = join(out, 'images', '127.0.0.1_40157', 'team', 'app', TEAM_APP_LATEST.replace(':', '-'));
    const channels = await a.inject({ url: `/v1/recipes/${TEAM_APP_LATEST}/channels.scm` });
    assert.equal(await readFile(join(dir, 'channels.scm'), 'utf8'), channels.body);
    const manifest = await a.inject({ url: `/v1/recipes/${TEAM_APP_LATEST}/manifest.scm` });
    assert.equal(await readFile(join(dir, 'manifest.scm'), 'utf8'), manifest.body);
    const rebuild = await readFile(join(dir, 'rebuild.sh'), 'utf8');
    assert.match(rebuild, /^#!\/bin\/sh\n/);
    assert.match(rebuild, /guix time-machine -C channels\.scm -- pack/);
    assert.equal((await stat(join(dir, 'rebuild.sh'))).mode & 0o111, 0o111);
    const tags = JSON.parse(
      await readFile(join(out, 'images', '127.0.0.1_40157', 'team', 'app', 'tags.json'), 'utf8'),
    ) as Record<string, { digest: string; history: unknown[] }>;
    assert.equal(tags.latest?.digest, TEAM_APP_LATEST);
    assert.equal(tags.latest?.history.length, 2);
    // An index: one folder per platform.
    const multi = join(out, 'images', '127.0.0.1_40157', 'multi', 'app');
    const [index] = await readdir(multi).then((n) => n.filter((x) => x.startsWith('sha256-')));
    assert.deepEqual((await readdir(join(multi, index!))).sort(), [
      'image.json',
      'linux-amd64',
      'linux-arm64-v8',
    ]);
  });

  void it('an empty Redis, the import: every answer byte for byte as before', async () => {
    await app?.close();
    app = undefined;
    await client.flushall();
    const res = await cli(['import', join(work, 'export')], { env, cwd: work });
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /^imported 6 results, 5 images, 5 tags, 1 policies from /);
    const imported = await apiAnswers(await startApp(), urls);
    let compared = 0;
    for (const url of urls) {
      assert.deepEqual(imported.get(url), answered.get(url), url);
      compared++;
    }
    assert.equal(compared, urls.length);
    const deleted = await app!.inject({
      url: `/v1/scans/${imageId({ registry: REGISTRY, repository: 'team/bare', digest: BARE })}`,
    });
    assert.equal(deleted.json<{ deleted?: boolean }>().deleted, true);
    const policy = await app!.inject({ url: '/v1/policies/production' });
    assert.equal(policy.statusCode, 200, policy.body);
  });

  void it('refuses a store that is not empty, and an export pointing outside its folder', async () => {
    const full = await cli(['import', join(work, 'export')], { env, cwd: work });
    assert.equal(full.code, 2, full.stderr);
    assert.match(full.stderr, /is not empty/);

    const evil = join(work, 'evil');
    assert.equal((await cli(['export', evil], { env, cwd: work })).code, 0);
    await client.flushall();
    const indexFile = join(evil, 'guix-recipes-export.json');
    const index = JSON.parse(await readFile(indexFile, 'utf8')) as { results: { path: string }[] };
    index.results.push({ ...index.results[0]!, path: '../export/results' });
    await writeFile(indexFile, JSON.stringify(index));
    const res = await cli(['import', evil], { env, cwd: work });
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /not a path inside the export/);
  });
});
