// The layer cache: a second image sharing the layers costs no layer bytes; early-stopped layers are
// cached as partial summaries and still answer; summaries are plain JSON.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { scanImage } from '../../shared/scan/scan-image.js';
import { MemoryLayerCache, type LayerCache, type LayerSummary } from '../../shared/scan/layer-cache.js';
import type { Digest } from '../../shared/content/digest.js';
import { guixConfig, imageOf, PROFILE_DIR, signal, sourceOf, tarOf } from './image-builder.js';

const SEED = readFileSync('test/fixtures/guix-images/seed-python-numpy/profile-manifest', 'utf8');

async function layers(): Promise<Buffer[]> {
  const filler = Array.from({ length: 50 }, (_, i) => ({
    name: `gnu/store/filler${i}/data`,
    content: 'x'.repeat(10_000),
  }));
  return [
    await tarOf(filler),
    await tarOf([
      { name: `${PROFILE_DIR}/manifest`, content: SEED },
      ...filler.map((f) => ({ ...f, name: `${f.name}2` })),
    ]),
    await tarOf([{ name: 'etc/motd', content: 'hello' }]),
  ];
}

/** A cache that only holds JSON, as Redis would. */
class JsonCache implements LayerCache {
  readonly map = new Map<Digest, string>();
  async get(d: Digest) {
    const s = this.map.get(d);
    return s === undefined ? undefined : (JSON.parse(s) as LayerSummary);
  }
  async put(d: Digest, s: LayerSummary) {
    this.map.set(d, JSON.stringify(s));
  }
}

for (const [name, make] of [
  ['memory', () => new MemoryLayerCache()],
  ['json round trip', () => new JsonCache()],
] as const) {
  void test(`${name}: a second image sharing the layers costs no layer bytes`, async () => {
    const cache = make();
    const ls = await layers();
    const first = imageOf(ls, guixConfig());
    const scan1 = await scanImage(sourceOf(first), { signal: signal(), layerCache: cache });
    assert.equal(scan1.results[0]!.kind, 'recipe');
    const layerBytes1 = scan1.bytesRead - first.config.size;
    assert.ok(layerBytes1 > 0);
    // The bottom layer is below the manifest: never read at all.
    assert.ok(layerBytes1 < first.layers[0]!.size + first.layers[1]!.size + first.layers[2]!.size);

    // Another image (another config, so another manifest digest) over the same layers.
    const second = imageOf(ls, guixConfig(undefined, { created: '2024-01-01T00:00:00Z' }));
    assert.notEqual(second.manifest.descriptor.digest, first.manifest.descriptor.digest);
    const src2 = sourceOf(second);
    const scan2 = await scanImage(src2, { signal: signal(), layerCache: cache });
    assert.deepEqual(scan2.results[0], { ...scan1.results[0]!, manifest: second.manifest.descriptor });
    assert.equal(scan2.bytesRead, second.config.size, 'only the config was read');
    assert.deepEqual(src2.raw.fetched, [second.config.digest]);
  });
}

void test('the early-stopped layer is cached as partial, still verified', async () => {
  const cache = new MemoryLayerCache();
  const img = imageOf(await layers(), guixConfig());
  const scan = await scanImage(sourceOf(img), { signal: signal(), layerCache: cache });
  const r = scan.results[0]!;
  assert.ok(r.kind === 'recipe' && r.verified);
  const top = await cache.get(img.layers[2]!.digest);
  const mid = await cache.get(img.layers[1]!.digest);
  assert.equal(top?.complete, true);
  assert.equal(mid?.complete, false, 'parsing stopped at the manifest');
  assert.equal(await cache.get(img.layers[0]!.digest), undefined);
  // The whole blob was still read (hashed) after the stop.
  assert.equal(scan.bytesRead, img.config.size + img.layers[2]!.size + img.layers[1]!.size);
});

void test('maxDrainBytes trades verification for speed: verified false, nothing cached', async () => {
  const cache = new MemoryLayerCache();
  const ls = await layers();
  const img = imageOf([ls[1]!], guixConfig(), { gzip: false });
  const src = sourceOf(img, 4096);
  const scan = await scanImage(src, { signal: signal(), layerCache: cache, maxDrainBytes: 0 });
  const r = scan.results[0]!;
  assert.ok(r.kind === 'recipe');
  assert.equal(r.verified, false);
  assert.ok(scan.bytesRead - img.config.size < img.layers[0]!.size);
  assert.equal(cache.size, 0);
});
