// inflate (gzip, zstd, none; the cap), verify (size, digest, oversize), tar walk (names, whiteouts,
// links, early stop), read-layer (an early stop still verifies the whole blob).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';
import { inflate } from '../../shared/archive/inflate.js';
import { VerifyStream } from '../../shared/content/verify-stream.js';
import { normaliseMemberPath, walkTar, type TarEntry } from '../../shared/archive/tar-walk.js';
import { readLayer } from '../../shared/archive/read-layer.js';
import { isRecipeError, type ErrorCode } from '../../shared/errors.js';
import { sha256Digest } from '../../shared/content/digest.js';
import { tarOf, signal } from '../scan/image-builder.js';

const rejectsWith = (code: ErrorCode) => (e: unknown) => isRecipeError(e, code);

async function collect(src: Readable | Buffer, t: NodeJS.ReadWriteStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  await pipeline(
    Buffer.isBuffer(src) ? Readable.from([src]) : src,
    t,
    async (s: AsyncIterable<Buffer | string>) => {
      for await (const c of s) chunks.push(Buffer.from(c));
    },
  );
  return Buffer.concat(chunks);
}

const zstd = (b: Buffer, level = '-3'): Buffer => execFileSync('zstd', [level, '-c', '-q'], { input: b });
const data = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7919) % 251));

void test('inflate: gzip, zstd (several frames) and none give the bytes back', async () => {
  assert.deepEqual(await collect(gzipSync(data), inflate('gzip')), data);
  assert.deepEqual(await collect(zstd(data), inflate('zstd')), data);
  const twoFrames = Buffer.concat([zstd(data.subarray(0, 1000)), zstd(data.subarray(1000))]);
  assert.deepEqual(await collect(twoFrames, inflate('zstd')), data);
  assert.deepEqual(await collect(data, inflate('none')), data);
});

void test('inflate: the cap on inflated bytes stops bombs (gzip and zstd)', async () => {
  const zeros = Buffer.alloc(32 * 1024 * 1024);
  for (const [c, bytes] of [
    ['gzip', gzipSync(zeros)],
    ['zstd', zstd(zeros, '-19')],
    ['none', zeros],
  ] as const) {
    assert.ok(bytes.length < 2 * 1024 * 1024 || c === 'none');
    await assert.rejects(
      collect(bytes, inflate(c, { maxInflatedBytes: 1024 * 1024 })),
      rejectsWith('size-limit'),
      c,
    );
  }
});

void test('inflate: corrupt and truncated zstd is refused', async () => {
  const z = zstd(data);
  await assert.rejects(collect(z.subarray(0, z.length - 10), inflate('zstd')), (e) =>
    isRecipeError(e, 'invalid-image'),
  );
  await assert.rejects(collect(Buffer.alloc(100, 9), inflate('zstd')), (e) =>
    isRecipeError(e, 'invalid-image'),
  );
});

void test('verify: size and digest at the end, too many bytes at once', async () => {
  const digest = sha256Digest(data);
  const ok = new VerifyStream({ digest, size: data.length });
  assert.deepEqual(await collect(data, ok), data);
  assert.equal(ok.verified, true);
  await assert.rejects(
    collect(data.subarray(1), new VerifyStream({ digest, size: data.length })),
    rejectsWith('truncated'),
  );
  const other = Buffer.from(data);
  other[5]! ^= 1;
  await assert.rejects(
    collect(other, new VerifyStream({ digest, size: data.length })),
    rejectsWith('digest-mismatch'),
  );
  const passed: Buffer[] = [];
  const v = new VerifyStream({ digest, size: 10 });
  v.on('data', (c: Buffer) => passed.push(c));
  await assert.rejects(
    pipeline(Readable.from([data.subarray(0, 8), data.subarray(8, 16)]), v),
    rejectsWith('digest-mismatch'),
  );
  assert.ok(Buffer.concat(passed).length <= 10, 'never more than size bytes pass');
  assert.equal(v.verified, false);
});

void test('tar walk: names normalised, .. dropped, whiteouts, opaque dirs, links', async () => {
  const t = await tarOf([
    { name: './gnu/store/x/manifest', content: 'm' },
    { name: '/abs/file', content: 'a' },
    { name: '../../etc/evil', content: 'e' },
    { name: 'a/../../b', content: 'e' },
    { name: 'dir/.wh.gone' },
    { name: 'dir/.wh..wh..opq' },
    { name: 'l', type: 'symlink', linkname: '/etc/passwd' },
    { name: 'h', type: 'link', linkname: './gnu/store/x/manifest' },
    { name: 'h2', type: 'link', linkname: '../outside' },
  ]);
  const seen: TarEntry[] = [];
  const r = await walkTar(Readable.from([t]), (e) => void seen.push(e), { signal: signal() });
  assert.deepEqual(
    seen.map((e) => [e.path, e.type, e.linkname]),
    [
      ['gnu/store/x/manifest', 'file', undefined],
      ['abs/file', 'file', undefined],
      ['dir/gone', 'whiteout', undefined],
      ['dir', 'opaque', undefined],
      ['l', 'symlink', '/etc/passwd'],
      ['h', 'hardlink', 'gnu/store/x/manifest'],
    ],
  );
  assert.equal(r.unsafe, 3);
  assert.equal(r.entries, 9);
  assert.equal(normaliseMemberPath('./a/./b//c/'), 'a/b/c');
  assert.equal(normaliseMemberPath('a/../b'), null);
});

void test('tar walk: member count cap, garbage refused', async () => {
  const t = await tarOf(Array.from({ length: 20 }, (_, i) => ({ name: `f${i}`, content: 'x' })));
  await assert.rejects(
    walkTar(Readable.from([t]), () => {}, { signal: signal(), maxEntries: 10 }),
    rejectsWith('size-limit'),
  );
  await assert.rejects(
    walkTar(Readable.from([Buffer.alloc(2048, 0x41)]), () => {}, { signal: signal() }),
    rejectsWith('invalid-image'),
  );
});

void test('read-layer: an early stop still reads and verifies the whole blob; a bad digest after the stop fails', async () => {
  const members = [
    { name: 'first', content: 'stop here' },
    // More than the inflater buffers ahead (a few MiB), so that a stop is seen before the end.
    ...Array.from({ length: 200 }, (_, i) => ({ name: `f${i}`, content: randomBytes(20_000) })),
  ];
  const blob = gzipSync(await tarOf(members));
  const desc = {
    mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
    digest: sha256Digest(blob),
    size: blob.length,
  };
  let visited = 0;
  const chunks = (b: Buffer) =>
    Readable.from(
      Array.from({ length: Math.ceil(b.length / 1000) }, (_, i) => b.subarray(i * 1000, i * 1000 + 1000)),
    );
  const r = await readLayer(chunks(blob), desc, () => (visited++, 'stop'), {
    signal: signal(),
    compression: 'detect',
  });
  assert.deepEqual(r, { bytesRead: blob.length, verified: true, stopped: true, unsafe: 0 });
  assert.equal(visited, 1);
  // Corrupt the tail (after the stop point): the early stop must not hide it.
  const bad = Buffer.from(blob);
  bad[bad.length - 20]! ^= 0xff;
  await assert.rejects(
    readLayer(chunks(bad), desc, () => 'stop', { signal: signal(), compression: 'detect' }),
    rejectsWith('digest-mismatch'),
  );
  // With a drain budget too small for the rest: aborted, and said so.
  const r2 = await readLayer(chunks(blob), desc, () => 'stop', {
    signal: signal(),
    compression: 'detect',
    maxDrainBytes: 10,
  });
  assert.equal(r2.verified, false);
  assert.ok(r2.bytesRead < blob.length);
});

void test('read-layer: zstd layers are detected and read', async () => {
  const blob = zstd(await tarOf([{ name: 'gnu/store/x/manifest', content: 'hello' }]));
  const desc = {
    mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd',
    digest: sha256Digest(blob),
    size: blob.length,
  };
  const names: string[] = [];
  const r = await readLayer(Readable.from([blob]), desc, (e) => void names.push(e.path), {
    signal: signal(),
    compression: 'detect',
  });
  assert.deepEqual(names, ['gnu/store/x/manifest']);
  assert.equal(r.verified, true);
});

void test('read-layer: an aborted signal stops the read with aborted', async () => {
  const blob = gzipSync(await tarOf([{ name: 'a', content: 'x'.repeat(100_000) }]));
  const desc = {
    mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
    digest: sha256Digest(blob),
    size: blob.length,
  };
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(
    readLayer(Readable.from([blob]), desc, () => {}, { signal: ac.signal, compression: 'gzip' }),
    (e) => isRecipeError(e) || (e as Error).name === 'AbortError',
  );
});

void test('tar walk: the walk ends at the end-of-archive marker, as runtimes do (an appended tar is not read)', async () => {
  const first = await tarOf([{ name: 'gnu/store/x/manifest', content: 'first' }]);
  const second = await tarOf([
    { name: 'gnu/store/x/manifest', content: 'second' },
    { name: 'extra', content: 'after the end' },
  ]);
  const seen: string[] = [];
  const r = await walkTar(
    Readable.from([Buffer.concat([first, second])]),
    async (e, body) => void seen.push(`${e.path}=${(await body.all(100)).toString()}`),
    { signal: signal() },
  );
  assert.deepEqual(seen, ['gnu/store/x/manifest=first']);
  assert.equal(r.stopped, false);
  // GNU tar agrees: it lists only the first archive's member.
  const listed = execFileSync('tar', ['-tf', '-'], { input: Buffer.concat([first, second]) }).toString();
  assert.equal(listed.trim(), 'gnu/store/x/manifest');
});

void test('read-layer: a second gzip member after the end of the tar is hashed, never parsed', async () => {
  const first = await tarOf([{ name: 'gnu/store/x/manifest', content: 'first' }]);
  const second = await tarOf([{ name: 'gnu/store/x/manifest', content: 'second' }]);
  const blob = Buffer.concat([gzipSync(first), gzipSync(Buffer.concat([second, randomBytes(300_000)]))]);
  const desc = {
    mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
    digest: sha256Digest(blob),
    size: blob.length,
  };
  const seen: string[] = [];
  const chunks = Array.from({ length: Math.ceil(blob.length / 4096) }, (_, i) =>
    blob.subarray(i * 4096, i * 4096 + 4096),
  );
  const r = await readLayer(
    Readable.from(chunks),
    desc,
    async (e, body) => void seen.push(`${e.path}=${(await body.all(100)).toString()}`),
    { signal: signal(), compression: 'detect' },
  );
  assert.deepEqual(seen, ['gnu/store/x/manifest=first']);
  assert.deepEqual(r, { bytesRead: blob.length, verified: true, stopped: false, unsafe: 0 });
  // The tail is still verified: a flipped byte in it fails the read.
  const bad = Buffer.from(blob);
  bad[bad.length - 30]! ^= 0xff;
  await assert.rejects(
    readLayer(Readable.from([bad]), desc, () => {}, { signal: signal(), compression: 'detect' }),
    rejectsWith('digest-mismatch'),
  );
});

void test('read-layer: after the end of the tar, the rest of the blob is only counted (nothing piles up)', async () => {
  const tarBytes = await tarOf([{ name: 'gnu/store/x/manifest', content: 'first' }]);
  const blob = Buffer.concat([tarBytes, randomBytes(8 * 1024 * 1024)]); // trailing bytes no runtime reads
  const desc = {
    mediaType: 'application/vnd.oci.image.layer.v1.tar',
    digest: sha256Digest(blob),
    size: blob.length,
  };
  const warnings: Error[] = [];
  const onWarning = (w: Error) => void warnings.push(w);
  process.on('warning', onWarning);
  try {
    const chunks = Array.from({ length: Math.ceil(blob.length / 65536) }, (_, i) =>
      blob.subarray(i * 65536, (i + 1) * 65536),
    );
    const names: string[] = [];
    const r = await readLayer(Readable.from(chunks), desc, (e) => void names.push(e.path), {
      signal: signal(),
      compression: 'detect',
    });
    assert.deepEqual(names, ['gnu/store/x/manifest']);
    assert.deepEqual(r, { bytesRead: blob.length, verified: true, stopped: false, unsafe: 0 });
    await new Promise((res) => setImmediate(res));
    assert.deepEqual(
      warnings.map((w) => w.message),
      [],
    );
  } finally {
    process.off('warning', onWarning);
  }
});
