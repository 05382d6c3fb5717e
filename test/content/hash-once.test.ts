/**
 * Each blob of a scan is hashed exactly once, with all its bytes, whichever source it comes from: a
 * real docker-registry (one image, and a two-platform index whose child manifests are blobs too), a
 * docker-archive, an OCI layout made by skopeo. The probe is the diagnostics channel every content
 * hash publishes on (shared/content/digest.ts). And the checks still bite: a wrong digest or size
 * fails with the same code at the same place for each source (hostile registry answers from the
 * in-process fake), and an early stop is never reported verified unless the rest was hashed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { randomBytes } from 'node:crypto';
import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { DIGEST_CHANNEL, type DigestComputed } from '../../shared/content/digest.js';
import type { Descriptor } from '../../shared/content/descriptor.js';
import type { ImageSource } from '../../shared/content/image-source.js';
import { parseManifest } from '../../shared/content/image-manifest.js';
import { isRecipeError, type ErrorCode } from '../../shared/errors.js';
import { registryEndpoint } from '../../shared/oci/registry/registry-endpoint.js';
import { openDockerArchive } from '../../shared/oci/sources/docker-archive-source.js';
import { openOciLayout } from '../../shared/oci/sources/oci-layout-source.js';
import { registrySource } from '../../shared/oci/sources/registry-source.js';
import { scanImage, type ScanOptions } from '../../shared/scan/scan-image.js';
import type { ImageScan } from '../../shared/scan/scan-result.js';
import { putTestImage, startFakeRegistry, type FakeRegistry } from '../harness/fake-registry.js';
import { startRegistry, type RunningRegistry } from '../harness/registry.js';
import {
  FIXTURES_DIR,
  pushArchive,
  pushIndex,
  skopeo,
  tempDir,
  unpackFixture,
  type PushedImage,
} from '../harness/skopeo.js';
import { guixConfig, imageOf, PROFILE_DIR, tarOf, type BuiltImage } from '../scan/image-builder.js';

const signal = () => AbortSignal.timeout(120_000);
const SEED = readFileSync(join(FIXTURES_DIR, 'seed-python-numpy', 'profile-manifest'), 'utf8');
/** Six layers: the profile is found before the bottom ones are read. */
const FIXTURE = 'layered';

/** Every digest computed while `fn` runs (the channel is process-wide; tests here run one at a time). */
async function digestsDuring<T>(fn: () => Promise<T>): Promise<{ value: T; events: DigestComputed[] }> {
  const events: DigestComputed[] = [];
  const onMessage = (m: unknown) => void events.push(m as DigestComputed);
  subscribe(DIGEST_CHANNEL, onMessage);
  try {
    return { value: await fn(), events };
  } finally {
    unsubscribe(DIGEST_CHANNEL, onMessage);
  }
}

/** The source, recording every whole-blob fetch the scan makes. */
function recording(source: ImageSource): { source: ImageSource; fetched: Descriptor[] } {
  const fetched: Descriptor[] = [];
  return {
    fetched,
    source: {
      name: source.name,
      manifest: (o) => source.manifest(o),
      fetch: (d, o) => {
        if (!o.range) fetched.push(d);
        return source.fetch(d, o);
      },
      close: async () => source.close?.(),
    },
  };
}

interface ScanRun {
  scan: ImageScan;
  /** The top manifest and every blob fetched. */
  read: Descriptor[];
  events: DigestComputed[];
}

/** Open (inside the probe: a docker-archive hashes while it indexes) and scan. */
async function probedScan(
  open: () => Promise<ImageSource>,
  opts: Partial<ScanOptions> = {},
): Promise<ScanRun> {
  const { value, events } = await digestsDuring(async () => {
    const rec = recording(await open());
    try {
      const scan = await scanImage(rec.source, { signal: signal(), ...opts });
      return { scan, fetched: rec.fetched };
    } finally {
      await rec.source.close?.();
    }
  });
  return { scan: value.scan, read: [value.scan.manifest, ...value.fetched], events };
}

function hashesOf(events: DigestComputed[], d: Descriptor): DigestComputed[] {
  return events.filter((e) => e.digest === d.digest);
}

/**
 * Every blob read was read once and hashed exactly once, with all its bytes; `unread` layers were
 * hashed `unreadHashes` times (0: nothing hashes what is not read; 1: a docker-archive's index pass).
 */
function assertHashedOnce(run: ScanRun, layers: Descriptor[], unreadHashes: 0 | 1, label: string): void {
  const digests = run.read.map((d) => d.digest);
  assert.equal(new Set(digests).size, digests.length, `${label}: a blob was fetched twice`);
  for (const d of run.read) {
    const hits = hashesOf(run.events, d);
    assert.equal(hits.length, 1, `${label}: ${d.mediaType} ${d.digest} hashed ${hits.length} times`);
    assert.equal(
      hits[0]!.bytes,
      d.size,
      `${label}: ${d.digest} hashed over ${hits[0]!.bytes} of ${d.size} bytes`,
    );
  }
  const readLayers = layers.filter((l) => digests.includes(l.digest));
  assert.ok(readLayers.length > 0, `${label}: no layer was read`);
  for (const l of layers.filter((x) => !digests.includes(x.digest)))
    assert.equal(hashesOf(run.events, l).length, unreadHashes, `${label}: unread layer ${l.digest}`);
}

function assertVerifiedRecipes(scan: ImageScan, n: number): void {
  assert.equal(scan.results.length, n);
  for (const r of scan.results) assert.ok(r.kind === 'recipe' && r.verified, `${r.kind}, verified`);
}

/**
 * With `maxDrainBytes: 0` the scan gives up on the rest of an early-stopped layer: that result says
 * `verified: false`, and (for sources that hash as they serve) the layer was never hashed.
 */
function assertEarlyStopUnverified(
  run: ScanRun,
  layers: Descriptor[],
  hashedAtOpen: boolean,
  label: string,
): void {
  const r = run.scan.results[0]!;
  assert.equal(r.kind, 'recipe', label);
  assert.equal(r.kind === 'recipe' && r.verified, false, `${label}: reported verified`);
  const readLayers = layers.filter((l) => run.read.some((d) => d.digest === l.digest));
  const unhashed = readLayers.filter((l) => hashesOf(run.events, l).length === 0);
  if (hashedAtOpen) assert.equal(unhashed.length, 0, `${label}: the index pass hashed every layer`);
  else assert.ok(unhashed.length > 0, `${label}: an abandoned layer cannot have been hashed`);
}

async function collect(s: Readable): Promise<{ bytes: number; error: unknown }> {
  let bytes = 0;
  try {
    for await (const c of s as AsyncIterable<Buffer>) bytes += c.length;
    return { bytes, error: undefined };
  } catch (error) {
    return { bytes, error };
  }
}

function assertCode(err: unknown, code: ErrorCode, label: string): void {
  assert.ok(isRecipeError(err), `${label}: expected ${code}, got ${String(err)}`);
  assert.equal(err.code, code, `${label}: ${err.message}`);
}

/**
 * A whole read of `desc` fails with `code`: while `streaming` (bytes were delivered first), at the
 * `start` (the fetch itself refuses), or `any` time.
 */
async function assertReadFails(
  source: ImageSource,
  desc: Descriptor,
  code: ErrorCode,
  label: string,
  at: 'streaming' | 'start' | 'any',
): Promise<void> {
  let got: { bytes: number; error: unknown };
  try {
    got = await collect(await source.fetch(desc, { signal: signal() }));
  } catch (error) {
    got = { bytes: -1, error };
  }
  assertCode(got.error, code, label);
  // The check fails at the stream's end; bytes still buffered then are dropped, so "some went by".
  if (at === 'streaming') assert.ok(got.bytes > 0, `${label}: failed before the first byte`);
  if (at === 'start') assert.equal(got.bytes, -1, `${label}: refused before the first byte`);
}

function layersOf(bytes: Uint8Array): Descriptor[] {
  const m = parseManifest(bytes, '');
  assert.equal(m.kind, 'image');
  return m.kind === 'image' ? m.layers : [];
}

/** Write a built image as an OCI layout directory, its manifest named `ref`. */
async function writeLayout(img: BuiltImage, dir: string, ref: string): Promise<void> {
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  for (const [digest, bytes] of img.blobs)
    await writeFile(join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length)), bytes);
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const entry = { ...img.manifest.descriptor, annotations: { 'org.opencontainers.image.ref.name': ref } };
  await writeFile(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [entry] }));
}

void describe('each blob of a scan is hashed exactly once', { timeout: 300_000 }, () => {
  let reg: RunningRegistry;
  let work: string;
  let archive: string;
  let pushed: PushedImage;
  let index: { digest: string; images: PushedImage[] };

  before(async () => {
    [reg, work] = await Promise.all([startRegistry(), tempDir()]);
    archive = await unpackFixture(FIXTURE, work);
    pushed = await pushArchive(archive, `${reg.host}/guix/${FIXTURE}:oci`, 'oci');
    const images = [
      await pushArchive(await unpackFixture('two-channels', work), `${reg.host}/guix/multi:amd64`, 'oci'),
      await pushArchive(await unpackFixture('multi-output', work), `${reg.host}/guix/multi:arm64`, 'v2s2'),
    ];
    const put = await pushIndex(reg.url, 'guix/multi', 'latest', [
      { image: images[0]!, platform: { os: 'linux', architecture: 'amd64' } },
      { image: images[1]!, platform: { os: 'linux', architecture: 'arm64' } },
    ]);
    index = { digest: put.digest, images };
    await skopeo(['copy', '-q', `docker-archive:${archive}`, `oci:${join(work, 'layout')}:${FIXTURE}`]);
  });
  after(async () => {
    await reg?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const fromRegistry = (ref: string) => () =>
    registrySource(`docker://${reg.host}/${ref}`, { tlsVerify: false, noAuthFiles: true });
  const fromArchive = () =>
    openDockerArchive(join(FIXTURES_DIR, FIXTURE, 'image.tar.gz'), { signal: signal() });
  const fromLayout = () => openOciLayout(join(work, 'layout'), FIXTURE, { signal: signal() });

  void test('registry: manifest, config and each layer read are hashed once; unread layers never', async () => {
    const run = await probedScan(fromRegistry(`guix/${FIXTURE}:oci`));
    assertVerifiedRecipes(run.scan, 1);
    assert.equal(run.scan.manifest.digest, pushed.digest);
    assertHashedOnce(run, pushed.manifest.layers as Descriptor[], 0, 'registry');
    assert.ok(run.read.length < 2 + pushed.manifest.layers.length, 'the bottom layers were not needed');
  });

  void test('registry: a two-platform index, its child manifests hashed once like any blob', async () => {
    const run = await probedScan(fromRegistry('guix/multi:latest'));
    assertVerifiedRecipes(run.scan, 2);
    assert.equal(run.scan.manifest.digest, index.digest);
    for (const img of index.images)
      assert.ok(
        run.read.some((d) => d.digest === img.digest),
        `child manifest ${img.digest} was read`,
      );
    assertHashedOnce(
      run,
      index.images.flatMap((i) => i.manifest.layers as Descriptor[]),
      0,
      'registry index',
    );
  });

  void test('docker-archive: layers and config hashed once while indexing, never again when read', async () => {
    const run = await probedScan(fromArchive);
    assertVerifiedRecipes(run.scan, 1);
    const top = await (await fromArchive()).manifest({ signal: signal() });
    assertHashedOnce(run, layersOf(top.bytes), 1, 'docker-archive');
  });

  void test('OCI layout: manifest (checked at open), config and each layer read hashed once', async () => {
    const run = await probedScan(fromLayout);
    assertVerifiedRecipes(run.scan, 1);
    const top = await (await fromLayout()).manifest({ signal: signal() });
    assertHashedOnce(run, layersOf(top.bytes), 0, 'layout');
  });

  void test('an early stop whose rest is not read is never reported verified; drained, it is hashed once', async () => {
    // The profile manifest first, then 4 MiB the scan does not need: the walk stops early.
    const layer = await tarOf([
      { name: `${PROFILE_DIR}/manifest`, content: SEED },
      { name: 'filler', content: randomBytes(4 * 1024 * 1024) },
    ]);
    const img = imageOf([layer], guixConfig());
    const dir = join(work, 'early');
    await writeLayout(img, dir, 'early');
    await skopeo([
      'copy',
      '--preserve-digests',
      '--dest-tls-verify=false',
      `oci:${dir}:early`,
      `docker://${reg.host}/guix/early:v1`,
    ]);
    const tarFile = join(work, 'early.tar');
    await skopeo(['copy', `oci:${dir}:early`, `docker-archive:${tarFile}`]);
    const sources: [string, () => Promise<ImageSource>, boolean][] = [
      ['registry', fromRegistry('guix/early:v1'), false],
      ['layout', () => openOciLayout(dir, 'early', { signal: signal() }), false],
      ['docker-archive', () => openDockerArchive(tarFile, { signal: signal() }), true],
    ];
    for (const [label, open, hashedAtOpen] of sources) {
      const stopped = await probedScan(open, { maxDrainBytes: 0 });
      const layers = stopped.read.filter((d) => d !== stopped.scan.manifest && d.size > 1024 * 1024);
      assert.equal(layers.length, 1, `${label}: the big layer was read`);
      assertEarlyStopUnverified(stopped, layers, hashedAtOpen, label);
      const drained = await probedScan(open);
      assertVerifiedRecipes(drained.scan, 1);
      assertHashedOnce(drained, layers, 0, `${label}, drained`);
    }
  });

  void test('OCI layout: a wrong digest fails at the end, a wrong size before the first byte', async () => {
    const dir = join(work, 'tampered');
    await skopeo(['copy', '-q', `docker-archive:${archive}`, `oci:${dir}:${FIXTURE}`]);
    const source = await openOciLayout(dir, FIXTURE, { signal: signal() });
    const layer = layersOf((await source.manifest({ signal: signal() })).bytes).at(-1)!;
    await assertReadFails(source, { ...layer, size: layer.size + 1 }, 'digest-mismatch', 'size + 1', 'start');
    await assertReadFails(source, { ...layer, size: layer.size - 1 }, 'digest-mismatch', 'size - 1', 'start');
    const file = join(dir, 'blobs/sha256', layer.digest.slice('sha256:'.length));
    const bytes = readFileSync(file);
    bytes[bytes.length >> 1]! ^= 0xff;
    writeFileSync(file, bytes);
    await assertReadFails(source, layer, 'digest-mismatch', 'flipped byte', 'streaming');
    truncateSync(file, layer.size - 100);
    await assertReadFails(source, layer, 'digest-mismatch', 'shorter file', 'start');
    await assert.rejects(scanImage(source, { signal: signal(), deepScan: true }), (e) =>
      isRecipeError(e, 'digest-mismatch'),
    );
  });

  void test('docker-archive: a wrong size is refused; an archive cut after indexing is truncated', async () => {
    const copy = join(work, 'cut.tar');
    writeFileSync(copy, readFileSync(archive));
    const source = await openDockerArchive(copy, { signal: signal() });
    const layers = layersOf((await source.manifest({ signal: signal() })).bytes);
    const layer = layers[0]!;
    await assertReadFails(source, { ...layer, size: layer.size + 1 }, 'digest-mismatch', 'size + 1', 'start');
    await assertReadFails(source, { ...layer, size: layer.size - 1 }, 'digest-mismatch', 'size - 1', 'start');
    // Members whose bytes now end early are counted short, so still caught (their digests are the
    // index pass's: see the docker-archive source's contract).
    truncateSync(copy, Math.floor(readFileSync(copy).length / 2));
    const reads = await Promise.all(
      layers.map(async (l) => collect(await source.fetch(l, { signal: signal() }))),
    );
    const failed = reads.filter((r) => r.error !== undefined);
    assert.ok(failed.length > 0, 'some layer lies past the cut');
    for (const r of failed) assertCode(r.error, 'truncated', 'cut archive');
  });

  void describe('registry: hostile answers (in-process fake)', () => {
    let fake: FakeRegistry;
    let img: ReturnType<typeof putTestImage>;
    let source: ImageSource;
    before(async () => {
      fake = await startFakeRegistry();
      img = putTestImage(fake, 'team/app', 'v1', randomBytes(300_000));
      source = await registrySource(`docker://${fake.host}/team/app:v1`, {
        registries: [registryEndpoint(`http://${fake.host}`)],
        noAuthFiles: true,
        settings: { retries: { max: 0 } },
      });
    });
    after(async () => {
      await source.close?.();
      await fake.close();
    });
    const blobs = (fn: (body: Buffer, res: ServerResponse) => void) => {
      fake.clearIntercepts();
      fake.intercept((req, res, url) => {
        if (!url.pathname.includes('/blobs/')) return false;
        fn(Buffer.from(img.layerBytes), res);
        return true;
      });
    };

    void test('the good blob is hashed once, all of it', async () => {
      fake.clearIntercepts();
      const { value, events } = await digestsDuring(async () =>
        collect(await source.fetch(img.layer, { signal: signal() })),
      );
      assert.equal(value.error, undefined);
      assert.deepEqual(
        events.filter((e) => e.digest === img.layer.digest),
        [{ digest: img.layer.digest, bytes: img.layer.size }],
      );
    });

    void test('a wrong digest fails at the end of the stream', async () => {
      blobs((body, res) => {
        body[body.length - 1]! ^= 0xff;
        res.writeHead(200, { 'content-length': body.length }).end(body);
      });
      await assertReadFails(source, img.layer, 'digest-mismatch', 'flipped byte', 'streaming');
    });

    void test('a body longer than the descriptor fails as soon as it is', async () => {
      blobs((body, res) => {
        res.writeHead(200, { 'transfer-encoding': 'chunked' });
        res.end(Buffer.concat([body, Buffer.from('extra')]));
      });
      await assertReadFails(source, img.layer, 'digest-mismatch', 'longer body', 'any');
    });

    void test('a body shorter than the descriptor is truncated', async () => {
      blobs((body, res) => {
        res.writeHead(200, { 'transfer-encoding': 'chunked' });
        res.end(body.subarray(0, body.length - 10));
      });
      await assertReadFails(source, img.layer, 'truncated', 'shorter body', 'any');
    });

    void test('an announced length or digest that differs is refused before the first byte', async () => {
      blobs(
        (body, res) => void res.writeHead(200, { 'content-length': body.length - 1 }).end(body.subarray(1)),
      );
      await assertReadFails(source, img.layer, 'digest-mismatch', 'Content-Length', 'start');
      blobs((body, res) => {
        res.writeHead(200, {
          'content-length': body.length,
          'docker-content-digest': `sha256:${'3'.repeat(64)}`,
        });
        res.end(body);
      });
      await assertReadFails(source, img.layer, 'digest-mismatch', 'Docker-Content-Digest', 'start');
    });

    void test('a top manifest that does not hash to what the registry names fails', async () => {
      fake.clearIntercepts();
      fake.intercept((req, res, url) => {
        if (!url.pathname.includes('/manifests/')) return false;
        res
          .writeHead(200, {
            'content-type': img.manifest.mediaType,
            'docker-content-digest': `sha256:${'4'.repeat(64)}`,
          })
          .end(img.manifestBytes);
        return true;
      });
      await assert.rejects(source.manifest({ signal: signal() }), (e) => isRecipeError(e, 'digest-mismatch'));
      fake.clearIntercepts();
    });
  });
});
