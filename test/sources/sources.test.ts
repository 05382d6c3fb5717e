// The on-disk sources serve what they announce, verified: synthesised docker-archive descriptors,
// tampered blobs refused at the end of their stream, ranges, missing files.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { isRecipeError } from '../../shared/errors.js';
import { sha256Digest } from '../../shared/content/digest.js';
import { MediaType } from '../../shared/content/media-types.js';
import { openDockerArchive } from '../../shared/oci/sources/docker-archive-source.js';
import { openOciLayout } from '../../shared/oci/sources/oci-layout-source.js';
import { openDockerArchiveTransport } from '../../shared/oci/sources/local-transports.js';

const FIX = 'test/fixtures/guix-images';
const tmp = mkdtempSync(join(tmpdir(), 'sources-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const signal = () => AbortSignal.timeout(30_000);

async function bytesOf(s: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

void test('docker-archive: synthesised OCI manifest; layer digests are the diff_ids of the layer tars', async () => {
  for (const d of ['seed-python-numpy', 'layered']) {
    const src = await openDockerArchive(join(FIX, d, 'image.tar.gz'), { signal: signal() });
    const { descriptor, bytes } = await src.manifest({ signal: signal() });
    assert.equal(descriptor.digest, sha256Digest(bytes));
    const m = JSON.parse(Buffer.from(bytes).toString()) as {
      config: { digest: string };
      layers: { mediaType: string; digest: string; size: number }[];
    };
    const config = JSON.parse(
      (await bytesOf(await src.fetch(m.config as never, { signal: signal() }))).toString(),
    ) as {
      rootfs: { diff_ids: string[] };
    };
    assert.deepEqual(
      m.layers.map((l) => l.digest),
      config.rootfs.diff_ids,
    );
    assert.ok(m.layers.every((l) => l.mediaType === MediaType.OciLayer));
    const layer = await bytesOf(await src.fetch(m.layers[0] as never, { signal: signal() }));
    assert.equal(sha256Digest(layer), m.layers[0]!.digest);
    // A ranged read is the asked slice.
    const part = await bytesOf(
      await src.fetch(m.layers[0] as never, { signal: signal(), range: { start: 100, end: 611 } }),
    );
    assert.deepEqual(part, layer.subarray(100, 612));
  }
});

void test('docker-archive: a descriptor with another size or an unknown digest is refused', async () => {
  const src = await openDockerArchive(join(FIX, 'v3', 'image.tar.gz'), { signal: signal() });
  const m = JSON.parse(Buffer.from((await src.manifest({ signal: signal() })).bytes).toString()) as {
    layers: { mediaType: string; digest: `sha256:${string}`; size: number }[];
  };
  const l = m.layers[0]!;
  await assert.rejects(src.fetch({ ...l, size: l.size + 1 }, { signal: signal() }), (e) =>
    isRecipeError(e, 'digest-mismatch'),
  );
  await assert.rejects(src.fetch({ ...l, digest: sha256Digest('nope') }, { signal: signal() }), (e) =>
    isRecipeError(e, 'not-found'),
  );
});

void test('docker-archive: missing files and non-archives are clear errors', async () => {
  await assert.rejects(
    openDockerArchiveTransport('does/not/exist.tar', { signal: signal(), cwd: tmp }),
    (e) => isRecipeError(e, 'not-found'),
  );
  const junk = join(tmp, 'junk.tar');
  writeFileSync(junk, Buffer.alloc(3000, 0x41));
  await assert.rejects(openDockerArchive(junk, { signal: signal() }), (e) =>
    isRecipeError(e, 'invalid-image'),
  );
});

void test('docker-archive:PATH:REF takes a REF with a colon (name:tag), as skopeo does', async () => {
  const path = join(process.cwd(), FIX, 'seed-python-numpy', 'image.tar.gz');
  const src = await openDockerArchiveTransport(`${path}:python-python-numpy:latest`, { signal: signal() });
  assert.match((await src.manifest({ signal: signal() })).descriptor.digest, /^sha256:/);
  await assert.rejects(
    openDockerArchiveTransport(`${path}:python-python-numpy:other`, { signal: signal() }),
    (e) => isRecipeError(e, 'not-found') && /no image tagged python-python-numpy:other/.test(e.message),
  );
});

void test('oci layout: a tampered blob fails at the end of its stream with digest-mismatch', async () => {
  const tar = join(tmp, 'v3.tar');
  cpSync(join(FIX, 'v3', 'image.tar.gz'), `${tar}.gz`);
  execFileSync('gunzip', ['-k', `${tar}.gz`]);
  const dir = join(tmp, 'v3.oci');
  execFileSync('skopeo', ['copy', '-q', `docker-archive:${tar}`, `oci:${dir}:v3`]);
  const src = await openOciLayout(dir, 'v3', { signal: signal() });
  const m = JSON.parse(Buffer.from((await src.manifest({ signal: signal() })).bytes).toString()) as {
    layers: { mediaType: string; digest: `sha256:${string}`; size: number }[];
  };
  const l = m.layers[0]!;
  assert.equal(sha256Digest(await bytesOf(await src.fetch(l, { signal: signal() }))), l.digest);
  const file = join(dir, 'blobs/sha256', l.digest.slice(7));
  const bytes = readFileSync(file);
  bytes[bytes.length >> 1]! ^= 0xff;
  writeFileSync(file, bytes);
  await assert.rejects(bytesOf(await src.fetch(l, { signal: signal() })), (e) =>
    isRecipeError(e, 'digest-mismatch'),
  );
  assert.ok(readdirSync(join(dir, 'blobs/sha256')).length >= 3);
  // Not a layout at all.
  await assert.rejects(openOciLayout(tmp, undefined, { signal: signal() }), (e) =>
    isRecipeError(e, 'invalid-image'),
  );
});

void test('docker-archive: members after the end-of-archive marker are not read (as docker load would not)', async () => {
  const plain = join(tmp, 'eof.tar');
  writeFileSync(plain, execFileSync('gzip', ['-dc', join(FIX, 'seed-python-numpy', 'image.tar.gz')]));
  const dir = mkdtempSync(join(tmp, 'appended-'));
  writeFileSync(join(dir, 'manifest.json'), '[]'); // would replace the real one if it were read
  const appended = execFileSync('tar', ['-cf', '-', '-C', dir, 'manifest.json']);
  const archive = join(tmp, 'appended.tar');
  writeFileSync(archive, Buffer.concat([readFileSync(plain), appended]));
  assert.deepEqual(
    execFileSync('tar', ['-tf', archive]).toString().split('\n').filter(Boolean).sort(),
    execFileSync('tar', ['-tf', plain]).toString().split('\n').filter(Boolean).sort(),
    'GNU tar stops at the marker too',
  );
  const src = await openDockerArchive(archive, { signal: signal() });
  const ref = await openDockerArchive(plain, { signal: signal() });
  assert.deepEqual(
    (await src.manifest({ signal: signal() })).descriptor,
    (await ref.manifest({ signal: signal() })).descriptor,
  );
});
