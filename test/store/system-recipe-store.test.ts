// A Guix system image's recipe in the store, against a real redis-server: stored with its texts
// (channels.scm and configuration.scm byte for byte), found by channel commit, package and store
// path, served as the rebuild script, refused as manifest.scm, judged by policies through the
// store's subjects; and a result stored in the older shape (a recipe without `kind`, no texts) still
// reads as a profile's recipe.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis, type RedisHarness } from '../harness/redis.js';
import { RecipeStore } from '../../shared/store/recipe-store.js';
import { RecipeQueries } from '../../shared/store/recipe-queries.js';
import { StoreSubjects } from '../../shared/store/verdict-subject.js';
import { closeRedis, type RedisClient } from '../../shared/store/redis-connection.js';
import { imageName, type ImageRef } from '../../shared/oci/reference.js';
import { isRecipeError } from '../../shared/errors.js';
import { openDockerArchive } from '../../shared/oci/sources/docker-archive-source.js';
import { scanImage } from '../../shared/scan/scan-image.js';
import type { ImageScan } from '../../shared/scan/scan-result.js';
import { buildRecipe } from '../../shared/guix/build-recipe.js';
import { evaluate } from '../../shared/policy/evaluate.js';
import { defaultPolicy } from '../../shared/policy/default-policy.js';
import { policyWith } from '../policy/policy-fixtures.js';
import { diffRecipes } from '../../shared/diff/recipe-diff.js';
import { renderDiffText } from '../../shared/diff/render-diff.js';
import { signal, sourceOf } from '../scan/image-builder.js';
import {
  FIXTURE,
  FIXTURE_COMMIT,
  profileItems,
  provenanceItems,
  rootMembers,
  SYS,
  SYSTEM_FIXTURE_ARCHIVE,
  systemDirMembers,
  systemImage,
  DEFAULT_LINKS,
} from '../scan/system-image-builder.js';
import { readFileSync } from 'node:fs';

const GUIX_URL = 'https://git.guix.gnu.org/guix.git';

async function scanFixture(): Promise<ImageScan> {
  const src = await openDockerArchive(SYSTEM_FIXTURE_ARCHIVE, { signal: signal() });
  try {
    return await scanImage(src, { signal: signal() });
  } finally {
    await src.close?.();
  }
}

void describe('system recipes in the store', () => {
  let h: RedisHarness;
  let redis: RedisClient;
  let store: RecipeStore;
  let queries: RecipeQueries;
  let scan: ImageScan;
  let img: ImageRef;
  before(async () => {
    h = await startRedis({ mode: 'standalone' });
    redis = h.connect('request');
    await new Promise<void>((resolve, reject) => {
      redis.once('ready', () => resolve());
      redis.once('error', reject);
    });
    store = new RecipeStore(redis, { prefix: h.redisConfig.keyPrefix });
    queries = new RecipeQueries(store);
    scan = await scanFixture();
    img = { registry: '127.0.0.1:5000', repository: 'guix/system', digest: scan.manifest.digest };
    await store.markQueued(img, { source: 'test' });
    await store.markRunning(img);
    await store.saveScan(img, scan);
  });
  after(async () => {
    if (redis) await closeRedis(redis);
    await h?.stop();
  });

  void it('serves channels.scm and configuration.scm byte for byte, and refuses manifest.scm', async () => {
    const d = img.digest;
    assert.equal(
      await queries.text(d, { file: 'channels.scm', printer: 'classic' }, undefined),
      FIXTURE.channels,
    );
    assert.equal(
      await queries.text(d, { file: 'channels.scm', printer: 'modern' }, undefined),
      FIXTURE.channels,
    );
    assert.equal(await queries.text(d, { file: 'configuration.scm' }, undefined), FIXTURE.configuration);
    await assert.rejects(
      queries.text(d, { file: 'manifest.scm', style: 'pinned', printer: 'classic' }, undefined),
      (e: unknown) => isRecipeError(e, 'usage') && /ask for configuration\.scm/.test(e.message),
    );
    const got = await store.getResult(d);
    assert.ok(got?.kind === 'recipe' && got.recipe.kind === 'system');
    assert.equal(got.recipe.texts.configuration, FIXTURE.configuration);
    assert.equal(got.rebuild?.kind, 'system-image');
  });

  void it('finds the image by the system channel commit, its packages and its store paths', async () => {
    const name = imageName(img);
    assert.deepEqual((await queries.findByChannel(GUIX_URL, FIXTURE_COMMIT)).items, [name]);
    assert.deepEqual((await queries.findByPackage('python@3.10.7')).items, [name]);
    for (const path of [SYS.system, SYS.configuration, SYS.channels, SYS.provenance, SYS.profile])
      assert.deepEqual((await queries.findByStorePath(path)).items, [name], path);
  });

  void it('serves the rebuild script that writes both files', async () => {
    const script = await queries.rebuildScript(
      img.digest,
      { style: 'pinned', printer: 'classic' },
      undefined,
    );
    assert.ok(
      script.includes(
        `cat > configuration.scm <<'GUIX_RECIPES_EOF'\n${FIXTURE.configuration}GUIX_RECIPES_EOF\n`,
      ),
    );
    assert.ok(
      script.includes(`cat > channels.scm <<'GUIX_RECIPES_EOF'\n${FIXTURE.channels}GUIX_RECIPES_EOF\n`),
    );
    assert.ok(
      script.endsWith('system image -t docker --system=x86_64-linux --save-provenance configuration.scm\n'),
    );
  });

  void it('judges the system recipe: its channels and its system profile packages', async () => {
    const subjects = new StoreSubjects(store);
    const { subject } = await subjects.of(img);
    assert.equal(evaluate(defaultPolicy(), subject).outcome, 'allow');
    const denyPython = evaluate(policyWith({ packages: { deny: ['python@3.10'] } }), subject);
    assert.equal(denyPython.outcome, 'deny');
    assert.deepEqual(
      denyPython.reasons.map((r) => r.code),
      ['package-denied'],
    );
    const otherChannel = evaluate(
      policyWith({ channels: { allowed: [{ url: 'https://codeberg.org/guix/guix.git' }] } }),
      subject,
    );
    assert.equal(otherChannel.outcome, 'deny');
    assert.ok(otherChannel.reasons.some((r) => r.code === 'channel-not-allowed'));
    const denyCommit = evaluate(
      policyWith({
        channels: { allowed: [{ url: GUIX_URL, commits: { deny: [FIXTURE_COMMIT.slice(0, 7)] } }] },
      }),
      subject,
    );
    assert.ok(denyCommit.reasons.some((r) => r.code === 'commit-denied'));
  });

  void it('judges a system image built without --save-provenance as such', async () => {
    const built = await systemImage([
      [...profileItems(), ...systemDirMembers({ profile: SYS.profile }), ...rootMembers()],
    ]);
    const bare = await scanImage(sourceOf(built), { signal: signal() });
    const ref = { registry: '127.0.0.1:5000', repository: 'guix/bare-system', digest: bare.manifest.digest };
    await store.saveScan(ref, bare);
    const { subject } = await new StoreSubjects(store).of(ref);
    const v = evaluate(defaultPolicy(), subject);
    assert.equal(v.outcome, 'deny');
    assert.equal(v.reasons[0]?.code, 'no-provenance');
    assert.match(
      v.reasons[0].message,
      /built without --save-provenance.*guix system image --save-provenance/,
    );
    await assert.rejects(
      queries.text(ref.digest, { file: 'configuration.scm' }, undefined),
      (e: unknown) => isRecipeError(e, 'no-provenance') && /built without --save-provenance/.test(e.message),
    );
  });

  void it('diffs two systems: their configurations, channels and packages', async () => {
    const changed = FIXTURE.configuration.replace('komputilo', 'alia-komputilo');
    const built = await systemImage([
      [
        ...profileItems(),
        ...provenanceItems({ ...FIXTURE, configuration: changed }),
        ...systemDirMembers(DEFAULT_LINKS),
      ],
    ]);
    const other = await scanImage(sourceOf(built), { signal: signal() });
    const ref = {
      registry: '127.0.0.1:5000',
      repository: 'guix/other-system',
      digest: other.manifest.digest,
    };
    await store.saveScan(ref, other);
    const from = await queries.recipeOf(img.digest, undefined);
    const to = await queries.recipeOf(ref.digest, undefined);
    const diff = diffRecipes(from.recipe, to.recipe);
    assert.equal(diff.identical, false);
    assert.equal(diff.system?.configurationChanged, true);
    assert.deepEqual(diff.channels.changed, []);
    assert.equal(diff.packages.unchanged, 1);
    assert.match(
      renderDiffText(diff, { from: 'a', to: 'b' }),
      /^configuration\.scm: \/gnu\/store\/\S+ -> \/gnu\/store\/\S+$/m,
    );
    assert.equal(diffRecipes(from.recipe, from.recipe).identical, true);
    // A system against a profile: the kinds differ.
    const profile = buildRecipe(
      readFileSync('test/fixtures/guix-images/seed-python-numpy/profile-manifest', 'utf8'),
      {
        profile: null,
      },
    );
    const mixed = diffRecipes(from.recipe, profile);
    assert.deepEqual(mixed.system?.kinds, { from: 'system', to: 'profile' });
    assert.equal(mixed.identical, false);
  });

  void it('reads a result stored in the older shape (no kind, no texts) as a profile recipe', async () => {
    const profile = buildRecipe(
      readFileSync('test/fixtures/guix-images/seed-python-numpy/profile-manifest', 'utf8'),
      {
        profile: null,
      },
    );
    const { kind: _kind, ...old } = profile;
    const digest = `sha256:${'e'.repeat(64)}` as const;
    // As an older writer left it: the recipe JSON without `kind`, no text fields, no rebuild.
    await redis.hset(store.keys.result(digest), {
      kind: 'recipe',
      manifest: JSON.stringify({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, size: 1 }),
      scannedAt: new Date().toISOString(),
      platform: 'null',
      recipe: JSON.stringify(old),
      verified: '1',
    });
    const got = await store.getResult(digest);
    assert.ok(got?.kind === 'recipe');
    assert.equal(got.recipe.kind, 'profile');
    assert.equal(
      await queries.text(digest, { file: 'manifest.scm', style: 'pinned', printer: 'classic' }, undefined),
      profile.texts.manifest,
    );
    assert.match(
      await queries.rebuildScript(digest, { style: 'pinned', printer: 'classic' }, undefined),
      /-m manifest\.scm\n$/,
    );
    const ref = { registry: '127.0.0.1:5000', repository: 'old/profile', digest };
    await redis.hset(store.keys.image(ref), { state: 'done', kind: 'recipe', version: '1' });
    const { subject } = await new StoreSubjects(store).of(ref);
    assert.ok(subject.known && subject.platforms[0]?.kind === 'recipe');
    if (subject.known && subject.platforms[0]?.kind === 'recipe')
      assert.equal(subject.platforms[0].recipe.kind, 'profile');
  });
});
