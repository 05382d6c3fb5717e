// Layer summaries (version 2) record what the rebuild command needs from the pack's own files: every
// symlink from outside the store into /gnu/store at any depth, and whether the walk reached the store
// items (Guix writes its own files first). A summary cached in the older format is a miss: the layer
// is read again, and the rebuild comes out the same from the cache as from the layer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { scanImage } from '../../shared/scan/scan-image.js';
import { LAYER_SUMMARY_VERSION, MemoryLayerCache, type LayerSummary } from '../../shared/scan/layer-cache.js';
import { LayerSummariser } from '../../shared/scan/summarise-layer.js';
import { walkTar } from '../../shared/archive/tar-walk.js';
import {
  guixConfig,
  imageOf,
  PROFILE,
  PROFILE_DIR,
  signal,
  sourceOf,
  tarOf,
  type Member,
} from './image-builder.js';

const SEED = readFileSync('test/fixtures/guix-images/seed-python-numpy/profile-manifest', 'utf8');

/** A single layer as guix pack orders it: its own files, then the store items. */
function packMembers(): Member[] {
  return [
    { name: 'bin', type: 'symlink', linkname: `${PROFILE}/bin` },
    { name: 'gnu/', type: 'directory' },
    { name: 'gnu/store/', type: 'directory' },
    { name: 'opt/a/b/c/d/tool', type: 'symlink', linkname: `${PROFILE}/bin/tool` },
    { name: 'opt/a/b/c/d/elsewhere', type: 'symlink', linkname: '/usr/bin/env' },
    { name: 'tmp/', type: 'directory' },
    { name: `${PROFILE_DIR}/manifest`, content: SEED },
    ...Array.from({ length: 20 }, (_, i) => ({
      name: `gnu/store/filler${i}/data`,
      content: 'x'.repeat(4000),
    })),
  ];
}

async function summarise(members: Member[], stopAtManifest: boolean): Promise<LayerSummary> {
  const s = new LayerSummariser({
    onRecord: (view) => stopAtManifest && view.nodes.has(`${PROFILE_DIR}/manifest`),
  });
  const res = await walkTar(Readable.from([await tarOf(members)]), s.visit, { signal: signal() });
  return s.summary(!res.stopped, 0);
}

void test('deep symlinks into the store are recorded, others below depth 4 are not; storeReached', async () => {
  const full = await summarise(packMembers(), false);
  assert.equal(full.version, LAYER_SUMMARY_VERSION);
  const paths = full.nodes.map((n) => n.path);
  assert.ok(paths.includes('opt/a/b/c/d/tool'));
  assert.ok(!paths.includes('opt/a/b/c/d/elsewhere'));
  assert.equal(full.storeReached, true);
  assert.equal(full.complete, true);
  const early = await summarise(packMembers(), true);
  assert.equal(early.complete, false);
  assert.equal(early.storeReached, true);
  assert.ok(early.nodes.some((n) => n.path === 'opt/a/b/c/d/tool'));
  const noStore = await summarise([{ name: 'etc/motd', content: 'hi' }], false);
  assert.equal(noStore.storeReached, false);
});

void test('a summary cached in the older format is read again; the rebuild is the same from the cache', async () => {
  const img = imageOf([await tarOf(packMembers())], guixConfig());
  const layer = img.layers[0]!;
  const first = new MemoryLayerCache();
  const fresh = await scanImage(sourceOf(img), { signal: signal(), layerCache: first });
  const r1 = fresh.results[0]!;
  assert.ok(r1.kind === 'recipe');
  assert.deepEqual(r1.rebuild.options.symlinks, [
    { source: '/bin', target: 'bin' },
    { source: '/opt/a/b/c/d/tool', target: 'bin/tool' },
  ]);
  const cached = await first.get(layer.digest);
  assert.equal(cached?.version, LAYER_SUMMARY_VERSION);
  assert.equal(cached?.complete, false, 'the scan stopped at the manifest');

  // From the cache: no layer byte, the same rebuild.
  const again = await scanImage(sourceOf(img), { signal: signal(), layerCache: first });
  assert.equal(again.bytesRead, img.config.size);
  assert.deepEqual(again.results[0], r1);

  // The same summary under version 1 (the format before pack files were recorded): a miss.
  const old = new MemoryLayerCache();
  await old.put(layer.digest, { ...cached, version: 1 } as unknown as LayerSummary);
  const reread = await scanImage(sourceOf(img), { signal: signal(), layerCache: old });
  assert.equal(reread.bytesRead, fresh.bytesRead);
  assert.deepEqual(reread.results[0], r1);
  assert.equal((await old.get(layer.digest))?.version, LAYER_SUMMARY_VERSION);
});
