// A SIF file built here (the real mksquashfs, the test SIF writer) whose Guix profile is a small part
// of a large squashfs: 256 MiB of incompressible files in store items around it. Pushed to a real
// docker-registry as `apptainer push` stores it, then scanned through `oras://`:
//   - directly: the parse reads a small fraction of the blob through byte ranges, and the result is
//     verified by one separate pass that hashes the whole blob;
//   - through a proxy that drops `Range` (every blob GET answered whole): the same recipe, verified,
//     in two streamed passes (the first hashes and keeps the tables, the second takes the blocks),
//     with memory far below the blob's size.
// Everything is generated in a temporary directory and deleted after.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  createWriteStream,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { startRegistry, type RunningRegistry } from '../harness/registry.js';
import { describeBytes, fileBlob, pushArtifact } from '../harness/oras-push.js';
import { startRangeIgnoringProxy, type RangeIgnoringProxy } from '../harness/range-ignoring-proxy.js';
import { guixPackTree, mksquashfs, PROFILE, stageTree } from '../archive/squashfs-build.js';
import { wrapSquashfs, wrapSquashfsHead } from '../archive/sif-writer.js';
import { DIGEST_CHANNEL, type DigestComputed } from '../../shared/content/digest.js';
import { MediaType } from '../../shared/content/media-types.js';
import { buildRecipe, renderChannels } from '../../shared/guix/build-recipe.js';
import { registrySource } from '../../shared/oci/sources/registry-source.js';
import { scanImage } from '../../shared/scan/scan-image.js';
import type { ImageScan, ScanResult } from '../../shared/scan/scan-result.js';
import { SIF_CONFIG_MEDIA_TYPE, SIF_LAYER_MEDIA_TYPE } from '../../shared/scan/apptainer-artifact.js';

const MiB = 1024 * 1024;
const SEED = readFileSync('test/fixtures/guix-images/seed-python-numpy/profile-manifest', 'utf8');
const SEED_CHANNELS = readFileSync('test/fixtures/apptainer/seed-python-numpy/expected-channels.scm', 'utf8');
const CONFIG = Buffer.from('{}');
/**
 * Filler store items, named to sort before the profile (`0…`), between the profile and the
 * environment script (`5…`) and after everything (`z…`): mksquashfs stores them in that order, so
 * the profile's blocks sit in the middle, and its manifest's fragment before the script's.
 */
const FILLER_ITEMS = ['0', '5', 'z'].map((c) => `${c}${'q'.repeat(31)}-filler-${c}`);
/** Per item: large files (8 MiB and an odd tail), and small ones, as a store has: the small files'
 *  tails fill fragment blocks, which are written in between, so the profile's are not the last. */
const FILES_PER_ITEM = 11;
const FILE_BYTES = 8 * MiB + 37 * 1024 + 11;
const SMALL_FILES_PER_ITEM = 300;
const SMALL_FILE_BYTES = 2000;

/** Write `bytes` random bytes to `path`, 1 MiB at a time. */
function writeRandom(path: string, bytes: number): void {
  const fd = openSync(path, 'w');
  try {
    for (let left = bytes; left > 0; left -= MiB) writeSync(fd, randomBytes(Math.min(MiB, left)));
  } finally {
    closeSync(fd);
  }
}

void describe('a large SIF whose profile is a small part of it', { timeout: 120_000 }, () => {
  let tmp: string;
  let reg: RunningRegistry;
  let proxy: RangeIgnoringProxy;
  let layer: { digest: `sha256:${string}`; size: number };

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'guix-recipes-large-sif-'));
    [reg] = await Promise.all([startRegistry()]);
    proxy = await startRangeIgnoringProxy(reg.port);
    const root = join(tmp, 'root');
    stageTree(guixPackTree({ manifest: SEED }), root);
    for (const item of FILLER_ITEMS) {
      const dir = join(root, 'gnu/store', item);
      stageTree({ share: { dir: true } }, dir);
      for (let i = 0; i < FILES_PER_ITEM; i++) writeRandom(join(dir, 'share', `blob-${i}`), FILE_BYTES);
      for (let i = 0; i < SMALL_FILES_PER_ITEM; i++)
        writeFileSync(join(dir, 'share', `small-${i}`), randomBytes(SMALL_FILE_BYTES));
    }
    const squashfs = join(tmp, 'pack.squashfs');
    // zstd at level 1: the filler does not compress, and gzip would spend seconds finding that out.
    mksquashfs(root, squashfs, { compression: 'zstd', compressionLevel: 1 });
    rmSync(root, { recursive: true, force: true });
    const sif = join(tmp, 'pack.sif');
    const squashfsSize = statSync(squashfs).size;
    writeFileSync(sif, wrapSquashfsHead(squashfsSize));
    await pipeline(createReadStream(squashfs), createWriteStream(sif, { flags: 'a' }));
    rmSync(squashfs);
    const blob = await fileBlob(sif);
    layer = { digest: blob.digest, size: blob.size };
    // Shape B: what Apptainer 1.4 and later push.
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.OciManifest,
        config: { mediaType: SIF_CONFIG_MEDIA_TYPE, ...describeBytes(CONFIG) },
        layers: [
          {
            mediaType: SIF_LAYER_MEDIA_TYPE,
            size: blob.size,
            digest: blob.digest,
            annotations: { 'org.opencontainers.image.title': 'pack.sif' },
          },
        ],
      }),
    );
    await pushArtifact(reg.url, 'guix/large', 'v1', {
      manifest,
      mediaType: MediaType.OciManifest,
      blobs: [{ bytes: CONFIG }, blob],
    });
    rmSync(sif);
  });
  after(async () => {
    await proxy?.close();
    await reg?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  /** Scan `oras://HOST/guix/large:v1`, with the digests computed and the memory in use sampled. */
  async function scan(
    host: string,
  ): Promise<{ scan: ImageScan; result: ScanResult; hashed: DigestComputed[]; peak: number }> {
    const hashed: DigestComputed[] = [];
    const onDigest = (m: unknown): void => void hashed.push(m as DigestComputed);
    let peak = 0;
    const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().arrayBuffers)), 20);
    subscribe(DIGEST_CHANNEL, onDigest);
    const source = await registrySource(`oras://${host}/guix/large:v1`, { tlsVerify: false });
    try {
      const got = await scanImage(source, { signal: AbortSignal.timeout(90_000) });
      assert.equal(got.results.length, 1);
      return { scan: got, result: got.results[0]!, hashed, peak };
    } finally {
      clearInterval(sample);
      unsubscribe(DIGEST_CHANNEL, onDigest);
      await source.close();
    }
  }

  /** The recipe of the profile, read from its manifest file. */
  const expected = buildRecipe(SEED, { profile: `/${PROFILE}` });

  void test('the SIF head the test writes is what the SIF writer writes whole', () => {
    const squashfs = randomBytes(5000);
    assert.deepEqual(
      Buffer.concat([wrapSquashfsHead(squashfs.length), squashfs]),
      Buffer.from(wrapSquashfs(squashfs)),
    );
  });

  void test('through byte ranges: a small fraction of the blob parsed, the whole blob hashed once, verified', async () => {
    assert.ok(layer.size > 256 * MiB, `the SIF is ${layer.size} bytes`);
    const { scan: s, result, hashed } = await scan(reg.host);
    assert.equal(result.kind, 'recipe');
    if (result.kind !== 'recipe') return;
    assert.deepEqual(result.recipe, expected);
    assert.equal(renderChannels(result.recipe), SEED_CHANNELS);
    assert.equal(result.verified, true);
    const read = result.artifact!.read;
    assert.equal(read.mode, 'ranges');
    assert.ok(read.bytesRead < layer.size / 100, `parsed ${read.bytesRead} of ${layer.size} bytes`);
    assert.ok(read.requests < 20, `${read.requests} range requests`);
    assert.equal(read.bytesHashed, layer.size);
    assert.equal(s.bytesHashed, layer.size);
    assert.equal(s.bytesRead, read.bytesRead);
    assert.deepEqual(
      hashed.filter((h) => h.digest === layer.digest),
      [{ digest: layer.digest, bytes: layer.size }],
    );
  });

  void test('through a proxy that drops Range: the same recipe, verified, in two streamed passes', async () => {
    const { scan: s, result, hashed, peak } = await scan(proxy.host);
    assert.equal(result.kind, 'recipe');
    if (result.kind !== 'recipe') return;
    assert.deepEqual(result.recipe, expected);
    assert.equal(renderChannels(result.recipe), SEED_CHANNELS);
    assert.equal(result.verified, true);
    const read = result.artifact!.read;
    assert.equal(read.mode, 'streamed');
    assert.equal(read.passes, 2);
    assert.ok(read.bytesRead < layer.size / 100, `parsed ${read.bytesRead} of ${layer.size} bytes`);
    assert.equal(read.bytesHashed, layer.size);
    assert.equal(s.bytesHashed, layer.size);
    // The second pass stops once it has the blocks: at most two blobs went by (and the first bytes).
    assert.ok(read.bytesTransferred <= 2 * layer.size + 64 * 1024, `${read.bytesTransferred} bytes streamed`);
    assert.ok(proxy.rangesDropped > 0);
    assert.deepEqual(
      hashed.filter((h) => h.digest === layer.digest),
      [{ digest: layer.digest, bytes: layer.size }],
    );
    // Never the blob in memory: far less than it was ever held in buffers.
    assert.ok(peak < layer.size / 4, `${peak} bytes of buffers at the peak, for a ${layer.size}-byte blob`);
  });
});
