// Hostile and tricky images, built here: each is refused with one clear RecipeError or read the way
// a container runtime would see its file system (overlay semantics, links inside the image only).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { scanImage } from '../../shared/scan/scan-image.js';
import { buildRecipe } from '../../shared/guix/build-recipe.js';
import { isRecipeError, type ErrorCode } from '../../shared/errors.js';
import type { ScanResult } from '../../shared/scan/scan-result.js';
import { guixConfig, imageOf, PROFILE, PROFILE_DIR, signal, sourceOf, tarOf } from './image-builder.js';

const SEED = readFileSync('test/fixtures/guix-images/seed-python-numpy/profile-manifest', 'utf8');
const OTHER = readFileSync('test/fixtures/guix-images/two-channels/profile-manifest', 'utf8');
const expected = (text: string) => buildRecipe(text, { profile: PROFILE });

async function scanLayers(layers: Buffer[], config = guixConfig()): Promise<ScanResult> {
  const scan = await scanImage(sourceOf(imageOf(layers, config)), { signal: signal() });
  assert.equal(scan.results.length, 1);
  return scan.results[0]!;
}

function assertRecipe(r: ScanResult, text: string): void {
  assert.equal(r.kind, 'recipe', JSON.stringify(r).slice(0, 300));
  if (r.kind === 'recipe') {
    assert.deepEqual(r.recipe, expected(text));
    assert.equal(r.verified, true);
  }
}

const rejectsWith = (code: ErrorCode) => (e: unknown) => isRecipeError(e, code);

const base = () => tarOf([{ name: `${PROFILE_DIR}/manifest`, content: SEED }]);

void test('a plain profile manifest is found from the config PATH', async () => {
  assertRecipe(await scanLayers([await base()]), SEED);
});

void test('an upper layer replacing the manifest wins', async () => {
  const upper = await tarOf([{ name: `${PROFILE_DIR}/manifest`, content: OTHER }]);
  assertRecipe(await scanLayers([await base(), upper]), OTHER);
});

void test('a whiteout of the manifest in an upper layer leaves no profile', async () => {
  const upper = await tarOf([{ name: `${PROFILE_DIR}/.wh.manifest` }]);
  const r = await scanLayers([await base(), upper]);
  assert.equal(r.kind, 'no-profile');
});

void test('a whiteout of the whole profile directory leaves no profile', async () => {
  const upper = await tarOf([{ name: `gnu/store/.wh.${PROFILE_DIR.split('/')[2]}` }]);
  assert.equal((await scanLayers([await base(), upper])).kind, 'no-profile');
});

void test('an opaque profile directory hides the lower manifest, and its own manifest wins', async () => {
  const hidden = await tarOf([{ name: `${PROFILE_DIR}/.wh..wh..opq` }]);
  assert.equal((await scanLayers([await base(), hidden])).kind, 'no-profile');
  const replaced = await tarOf([
    { name: `${PROFILE_DIR}/`, type: 'directory' },
    { name: `${PROFILE_DIR}/.wh..wh..opq` },
    { name: `${PROFILE_DIR}/manifest`, content: OTHER },
  ]);
  assertRecipe(await scanLayers([await base(), replaced]), OTHER);
});

void test('a manifest that is a symlink out of the image never reads the host', async () => {
  for (const target of ['/etc/passwd', '../../../../../../etc/passwd', '/proc/self/environ']) {
    const layer = await tarOf([{ name: `${PROFILE_DIR}/manifest`, type: 'symlink', linkname: target }]);
    const r = await scanLayers([layer]);
    assert.equal(r.kind, 'no-profile', target);
  }
  // Inside the image, /etc/passwd is the image's own file: not a manifest, refused by name.
  const layer = await tarOf([
    { name: 'etc/passwd', content: 'root:x:0:0::/root:/bin/sh\n' },
    { name: `${PROFILE_DIR}/manifest`, type: 'symlink', linkname: '../../../../../../etc/passwd' },
  ]);
  await assert.rejects(scanLayers([layer]), rejectsWith('parse-error'));
});

void test('symlinks resolve inside the image: profile and manifest links, across layers', async () => {
  const real = '/gnu/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-profile';
  const lower = await tarOf([{ name: `${real.slice(1)}/manifest`, content: OTHER }]);
  // The profile named by the config is a relative symlink to another profile in a lower layer.
  const upper = await tarOf([
    { name: PROFILE_DIR, type: 'symlink', linkname: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-profile' },
  ]);
  assertRecipe(await scanLayers([lower, upper]), OTHER);
  // The manifest is an absolute symlink into another store item in another layer.
  const item = await tarOf([
    { name: 'gnu/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-manifest/m', content: SEED },
  ]);
  const link = await tarOf([
    {
      name: `${PROFILE_DIR}/manifest`,
      type: 'symlink',
      linkname: '/gnu/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-manifest/m',
    },
  ]);
  assertRecipe(await scanLayers([item, link]), SEED);
});

void test('a hard link to a manifest reads the linked content', async () => {
  const layer = await tarOf([
    { name: 'gnu/store/cccccccccccccccccccccccccccccccc-m/manifest.scm', content: SEED },
    {
      name: `${PROFILE_DIR}/manifest`,
      type: 'link',
      linkname: 'gnu/store/cccccccccccccccccccccccccccccccc-m/manifest.scm',
    },
  ]);
  assertRecipe(await scanLayers([layer]), SEED);
});

void test('symlink loops are bounded and refused', async () => {
  const loop = await tarOf([
    { name: `${PROFILE_DIR}/manifest`, type: 'symlink', linkname: 'manifest2' },
    { name: `${PROFILE_DIR}/manifest2`, type: 'symlink', linkname: 'manifest' },
  ]);
  await assert.rejects(scanLayers([loop]), rejectsWith('invalid-image'));
  const self = await tarOf([{ name: PROFILE_DIR, type: 'symlink', linkname: '.' }]);
  assert.equal((await scanLayers([self])).kind, 'no-profile');
});

void test('members named ../../x never escape: they are dropped, not clamped into the root', async () => {
  const layer = await tarOf([
    { name: `${PROFILE_DIR}/manifest`, content: SEED },
    { name: `../../${PROFILE_DIR}/manifest`, content: OTHER },
    { name: `./${PROFILE_DIR}/../../../../x`, content: 'x' },
  ]);
  assertRecipe(await scanLayers([layer]), SEED);
  const only = await tarOf([{ name: `../../${PROFILE_DIR}/manifest`, content: OTHER }]);
  assert.equal((await scanLayers([only])).kind, 'no-profile');
});

void test('several profiles: the one the config points to wins; without a pointer, any profile is found', async () => {
  const other = '/gnu/store/00000000000000000000000000000000-profile';
  const layer = await tarOf([
    { name: `${other.slice(1)}/manifest`, content: OTHER },
    { name: `${PROFILE_DIR}/manifest`, content: SEED },
  ]);
  assertRecipe(await scanLayers([layer]), SEED);
  const r = await scanLayers([layer], guixConfig('/gnu/store/eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee-profile'));
  assert.equal(r.kind, 'recipe');
  if (r.kind === 'recipe') assert.equal(r.recipe.profile, other); // sorted first; the pointed one is absent
});

void test('members after the end-of-archive marker are not in the image (appended tar, second gzip member)', async () => {
  // A runtime (Go's archive/tar) stops at the two zero blocks: the appended manifest is not what runs.
  // No PATH: the whole layer is read (no early stop at the first manifest).
  const config = guixConfig(PROFILE, { config: {} });
  const appended = await tarOf([{ name: `${PROFILE_DIR}/manifest`, content: OTHER }]);
  const tarThenTar = Buffer.concat([await base(), appended]);
  assertRecipe(await scanLayers([tarThenTar], config), SEED);
  const twoMembers = Buffer.concat([gzipSync(await base()), gzipSync(appended)]);
  const scan = await scanImage(sourceOf(imageOf([twoMembers], config, { gzip: false })), {
    signal: signal(),
  });
  assertRecipe(scan.results[0]!, SEED);
});

void test('a truncated layer is refused', async () => {
  const img = imageOf([await base()], guixConfig());
  const layer = img.layers[0]!;
  img.blobs.set(layer.digest, img.blobs.get(layer.digest)!.subarray(0, layer.size - 100));
  await assert.rejects(scanImage(sourceOf(img), { signal: signal() }), rejectsWith('truncated'));
  // Truncated but honestly described (its digest is that of the cut bytes): the tar itself is refused.
  const cut = gzipSync((await base()).subarray(0, 700));
  const honest = imageOf([cut], guixConfig(), { gzip: false });
  await assert.rejects(scanImage(sourceOf(honest), { signal: signal() }), rejectsWith('invalid-image'));
});

void test('garbage instead of a layer is refused', async () => {
  const garbage = Buffer.alloc(4096, 0x41);
  await assert.rejects(
    scanImage(sourceOf(imageOf([garbage], guixConfig(), { gzip: false })), { signal: signal() }),
    rejectsWith('invalid-image'),
  );
  const gz = Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), Buffer.alloc(2048, 7)]);
  await assert.rejects(
    scanImage(sourceOf(imageOf([gz], guixConfig(), { gzip: false })), { signal: signal() }),
    rejectsWith('invalid-image'),
  );
});

void test('a layer whose bytes do not match its digest is refused', async () => {
  const img = imageOf([await base()], guixConfig());
  const layer = img.layers[0]!;
  const bytes = Buffer.from(img.blobs.get(layer.digest)!);
  bytes[bytes.length - 5]! ^= 0xff; // in the gzip trailer: inflates "fine" up to the CRC
  img.blobs.set(layer.digest, bytes);
  await assert.rejects(
    scanImage(sourceOf(img), { signal: signal() }),
    (e) => isRecipeError(e) && /digest|invalid/.test(e.code),
  );
  // Same length, other content entirely: the digest check catches it.
  const other = gzipSync(await tarOf([{ name: `${PROFILE_DIR}/manifest`, content: OTHER }]));
  const img2 = imageOf([await base()], guixConfig());
  img2.blobs.set(img2.layers[0]!.digest, other);
  await assert.rejects(
    scanImage(sourceOf(img2), { signal: signal() }),
    (e) => isRecipeError(e) && ['digest-mismatch', 'truncated'].includes(e.code),
  );
});

void test('a layer that inflates without end hits the cap', async () => {
  // 64 MiB of zeros in one tar member: compresses to ~64 KiB; the cap is 8 MiB.
  const big = await tarOf([{ name: 'zeros', content: Buffer.alloc(64 * 1024 * 1024) }]);
  const img = imageOf([big], guixConfig());
  await assert.rejects(
    scanImage(sourceOf(img), { signal: signal(), maxInflatedBytes: 8 * 1024 * 1024 }),
    rejectsWith('size-limit'),
  );
});

void test('the manifest file must stay under its size cap', async () => {
  const layer = await tarOf([{ name: `${PROFILE_DIR}/manifest`, content: SEED }]);
  await assert.rejects(
    scanImage(sourceOf(imageOf([layer], guixConfig())), { signal: signal(), maxProfileManifestBytes: 100 }),
    rejectsWith('size-limit'),
  );
});

void test('a non-Guix image is not-guix without reading a layer; deepScan reads it', async () => {
  const config = { architecture: 'amd64', os: 'linux', config: { Env: ['PATH=/usr/bin:/bin'] } };
  const img = imageOf([await base()], config);
  const src = sourceOf(img);
  const scan = await scanImage(src, { signal: signal() });
  assert.equal(scan.results[0]!.kind, 'not-guix');
  assert.ok(!src.raw.fetched.includes(img.layers[0]!.digest));
  const deep = await scanImage(sourceOf(img), { signal: signal(), deepScan: true });
  assertRecipe(deep.results[0]!, SEED);
});

void test('config keys are read case-insensitively (Env / Entrypoint as Docker writes them)', async () => {
  const config = { architecture: 'amd64', os: 'linux', config: { Entrypoint: [`${PROFILE}/bin/python3`] } };
  assertRecipe(await scanLayers([await base()], config), SEED);
});

void test('OCI artifacts of kinds we do not read are recorded as not Guix, without reading blobs', async () => {
  const img = imageOf([await base()], guixConfig(), {
    manifestExtra: { artifactType: 'application/vnd.cncf.helm.chart.v1' },
  });
  const src = sourceOf(img);
  const scan = await scanImage(src, { signal: signal() });
  assert.equal(scan.results[0]!.kind, 'not-guix');
  assert.match((scan.results[0] as { reason: string }).reason, /artifact/);
  assert.deepEqual(src.raw.fetched, []);
});

void test('an artifact typed as a SIF file whose layer is a tar is read as a SIF file, and refused', async () => {
  const img = imageOf([await base()], guixConfig(), {
    manifestExtra: { artifactType: 'application/vnd.sylabs.sif.layer.v1.sif' },
  });
  await assert.rejects(scanImage(sourceOf(img), { signal: signal() }), rejectsWith('invalid-image'));
});

void test('schema 1 manifests are refused by name', async () => {
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 1, name: 'x', tag: 'y', fsLayers: [] }));
  const { describe, memorySource } = await import('../../shared/oci/sources/memory-source.js');
  const d = describe('application/vnd.docker.distribution.manifest.v1+prettyjws', bytes);
  await assert.rejects(
    scanImage(memorySource({ manifest: { descriptor: d, bytes }, blobs: new Map() }), {
      signal: signal(),
    }),
    (e) => isRecipeError(e, 'unsupported-media-type') && /schema 1/.test(e.message),
  );
});

void test('oversized manifest and config JSON are refused before reading', async () => {
  const img = imageOf([await base()], guixConfig(PROFILE, { pad: 'x'.repeat(5000) }));
  await assert.rejects(
    scanImage(sourceOf(img), { signal: signal(), maxConfigBytes: 4096 }),
    rejectsWith('size-limit'),
  );
  await assert.rejects(
    scanImage(sourceOf(img), { signal: signal(), maxManifestBytes: 100 }),
    rejectsWith('size-limit'),
  );
});

void test('an image with more layers than maxLayers is size-limit before any layer is read', async () => {
  const empty = await tarOf([]);
  const img = imageOf(
    Array.from({ length: 12 }, () => empty),
    guixConfig(),
  );
  const source = sourceOf(img);
  await assert.rejects(
    scanImage(source, { signal: signal(), maxLayers: 10 }),
    (e) => isRecipeError(e, 'size-limit') && /12 layers, more than the 10/.test(e.message),
  );
  const layerDigests = new Set(img.layers.map((l) => l.digest));
  assert.equal(source.raw.fetched.filter((d) => layerDigests.has(d)).length, 0, 'no layer may be fetched');
  // At the limit the scan goes ahead (and finds no profile in empty layers).
  const ok = await scanImage(
    sourceOf(
      imageOf(
        Array.from({ length: 10 }, () => empty),
        guixConfig(),
      ),
    ),
    {
      signal: signal(),
      maxLayers: 10,
    },
  );
  assert.equal(ok.results[0]?.kind, 'no-profile');
});
