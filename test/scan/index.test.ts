// An index: every platform scanned (each its own recipe), or only the asked one; an absent platform is
// an error that lists the platforms the index has. Built as a real OCI layout directory on disk.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scanImage } from '../../shared/scan/scan-image.js';
import { buildRecipe } from '../../shared/guix/build-recipe.js';
import { isRecipeError } from '../../shared/errors.js';
import { sha256Digest, digestHex } from '../../shared/content/digest.js';
import { MediaType } from '../../shared/content/media-types.js';
import { openOciLayout } from '../../shared/oci/sources/oci-layout-source.js';
import { memorySource } from '../../shared/oci/sources/memory-source.js';
import {
  guixConfig,
  imageOf,
  PROFILE,
  PROFILE_DIR,
  signal,
  tarOf,
  type BuiltImage,
} from './image-builder.js';

const SEED = readFileSync('test/fixtures/guix-images/seed-python-numpy/profile-manifest', 'utf8');
const OTHER = readFileSync('test/fixtures/guix-images/two-channels/profile-manifest', 'utf8');
const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function layout(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'oci-index-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'blobs/sha256'), { recursive: true });
  const put = (bytes: Uint8Array) =>
    writeFileSync(join(dir, 'blobs/sha256', digestHex(sha256Digest(bytes))), bytes);
  const amd = imageOf([await tarOf([{ name: `${PROFILE_DIR}/manifest`, content: SEED }])], guixConfig());
  const arm = imageOf(
    [await tarOf([{ name: `${PROFILE_DIR}/manifest`, content: OTHER }])],
    guixConfig(PROFILE, { architecture: 'arm64' }),
  );
  const images: [BuiltImage, object][] = [
    [amd, { os: 'linux', architecture: 'amd64' }],
    [arm, { os: 'linux', architecture: 'arm64', variant: 'v8' }],
  ];
  for (const [img] of images) for (const b of img.blobs.values()) put(b);
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciIndex,
      manifests: images.map(([img, platform]) => ({ ...img.manifest.descriptor, platform })),
    }),
  );
  put(index);
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: MediaType.OciIndex,
          digest: sha256Digest(index),
          size: index.length,
          annotations: { 'org.opencontainers.image.ref.name': 'multi' },
        },
      ],
    }),
  );
  return dir;
}

void test('every platform of an index gets its own recipe', async () => {
  const src = await openOciLayout(await layout(), 'multi', { signal: signal() });
  const scan = await scanImage(src, { signal: signal() });
  assert.equal(scan.manifest.mediaType, MediaType.OciIndex);
  assert.deepEqual(
    scan.results.map((r) => r.platform),
    [
      { os: 'linux', architecture: 'amd64' },
      { os: 'linux', architecture: 'arm64', variant: 'v8' },
    ],
  );
  const [a, b] = scan.results;
  assert.ok(a?.kind === 'recipe' && b?.kind === 'recipe');
  assert.deepEqual(a.recipe, buildRecipe(SEED, { profile: PROFILE }));
  assert.deepEqual(b.recipe, buildRecipe(OTHER, { profile: PROFILE }));
});

void test('only the asked platform is scanned', async () => {
  const src = await openOciLayout(await layout(), 'multi', { signal: signal() });
  const scan = await scanImage(src, { signal: signal(), platform: { os: 'linux', architecture: 'arm64' } });
  assert.equal(scan.results.length, 1);
  const r = scan.results[0]!;
  assert.ok(r.kind === 'recipe');
  assert.deepEqual(r.recipe, buildRecipe(OTHER, { profile: PROFILE }));
});

void test('an index without the asked platform is platform-not-found, listing the platforms it has', async () => {
  const src = await openOciLayout(await layout(), 'multi', { signal: signal() });
  await assert.rejects(
    scanImage(src, { signal: signal(), platform: { os: 'linux', architecture: 's390x' } }),
    (e) =>
      isRecipeError(e, 'platform-not-found') &&
      e.message.includes('linux/s390x') &&
      e.message.includes('linux/amd64') &&
      e.message.includes('linux/arm64/v8'),
  );
});

void test('fan-out times nesting is bounded: an index of indexes of many images is size-limit, read no further', async () => {
  const img = imageOf([await tarOf([{ name: `${PROFILE_DIR}/manifest`, content: SEED }])], guixConfig());
  const platform = { os: 'linux', architecture: 'amd64' };
  const inner = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciIndex,
      manifests: Array.from({ length: 60 }, () => ({ ...img.manifest.descriptor, platform })),
    }),
  );
  const innerDesc = { mediaType: MediaType.OciIndex, digest: sha256Digest(inner), size: inner.length };
  const outer = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciIndex,
      manifests: Array.from({ length: 60 }, () => innerDesc),
    }),
  );
  const blobs = new Map<string, Uint8Array>(img.blobs);
  blobs.set(innerDesc.digest, inner);
  const source = memorySource({
    manifest: {
      descriptor: { mediaType: MediaType.OciIndex, digest: sha256Digest(outer), size: outer.length },
      bytes: outer,
    },
    blobs,
  });
  await assert.rejects(
    scanImage(source, { signal: signal() }),
    (e) => isRecipeError(e, 'size-limit') && /more than 256 manifests/.test(e.message),
  );
  const manifestReads = source.raw.fetched.filter(
    (d) => d === innerDesc.digest || d === img.manifest.descriptor.digest,
  );
  assert.ok(manifestReads.length <= 256, `${manifestReads.length} manifests read`);
  // A smaller bound is an option; a real multi-platform index stays far under the default.
  await assert.rejects(scanImage(source, { signal: signal(), maxManifests: 10 }), (e) =>
    isRecipeError(e, 'size-limit'),
  );
});
