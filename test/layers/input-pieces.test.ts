// InputPieces: compressed bytes gathered into fixed-size pieces, buffers used again only when allowed;
// read-layer over many pieces gives the layer's bytes exactly (a buffer used again too early would not).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { InputPieces } from '../../shared/archive/input-pieces.js';
import { readLayer } from '../../shared/archive/read-layer.js';
import { sha256Digest } from '../../shared/content/digest.js';
import { tarOf, signal } from '../scan/image-builder.js';

void test('pieces: chunks of any size come out as whole pieces, in order, and a shorter rest', () => {
  const p = new InputPieces(10, false);
  const input = Buffer.from(Array.from({ length: 37 }, (_, i) => i));
  const out: Buffer[] = [];
  for (const [a, b] of [
    [0, 3],
    [3, 4],
    [4, 25],
    [25, 37],
  ] as const)
    out.push(...p.add(input.subarray(a, b)).map((x) => Buffer.from(x)));
  assert.deepEqual(
    out.map((b) => b.length),
    [10, 10, 10],
  );
  assert.equal(p.gathered, 7);
  const rest = p.rest();
  assert.deepEqual(Buffer.concat([...out, rest]), input);
  assert.equal(p.gathered, 0);
  assert.equal(p.rest().length, 0);
});

void test('pieces: a released buffer holds a later piece only when reuse is allowed', () => {
  const reusing = new InputPieces(4, true);
  const [first] = reusing.add(Buffer.from('abcd'));
  reusing.release(first!);
  const [second] = reusing.add(Buffer.from('efgh'));
  assert.equal(second!.buffer, first!.buffer, 'the released buffer is used again');
  assert.equal(second!.toString(), 'efgh');

  const copying = new InputPieces(4, false);
  const [a] = copying.add(Buffer.from('abcd'));
  copying.release(a!);
  const [b] = copying.add(Buffer.from('efgh'));
  assert.notEqual(b!.buffer, a!.buffer, 'without reuse every piece is a new buffer');
  assert.equal(a!.toString(), 'abcd', 'and the first piece is left as it was');

  // A rest (shorter than a piece) is never taken back: it may be a view the inflater still holds.
  const r = new InputPieces(4, true);
  r.add(Buffer.from('xy'));
  const rest = r.rest();
  r.release(rest);
  const [next] = r.add(Buffer.from('1234'));
  assert.notEqual(next!.buffer, rest.buffer);
});

void test('pieces: sizes must be positive whole numbers', () => {
  assert.throws(() => new InputPieces(0, true), RangeError);
  assert.throws(() => new InputPieces(1.5, true), RangeError);
});

// A layer of several pieces (1 MiB each), fed in uneven small chunks: every file's bytes must come
// out exactly, whatever the compression, and the blob verified.
const zstd = (b: Buffer): Buffer =>
  execFileSync('zstd', ['-3', '-c', '-q'], { input: b, maxBuffer: 64 * 1024 * 1024 });

for (const [name, compress] of [
  ['gzip', (b: Buffer) => gzipSync(b, { level: 1 })],
  ['zstd', zstd],
  ['none', (b: Buffer) => b],
] as const)
  void test(`read-layer: a ${name} layer of many pieces, fed in small uneven chunks, reads back exactly`, async () => {
    // Incompressible file bodies, so that the compressed blob spans several pieces too.
    const files = [3, 1, 5].map((mib, i) => ({ name: `gnu/store/f${i}/data`, body: randomBytes(mib << 20) }));
    const blob = compress(await tarOf(files.map((f) => ({ name: f.name, content: f.body }))));
    assert.ok(blob.length > 4 << 20, 'the blob spans several pieces');
    const desc = {
      mediaType: 'application/vnd.oci.image.layer.v1.tar',
      digest: sha256Digest(blob),
      size: blob.length,
    };
    const chunks: Buffer[] = [];
    for (let off = 0, i = 0; off < blob.length; i++) {
      const n = 1 + ((i * 7919) % 70_000);
      chunks.push(blob.subarray(off, off + n));
      off += n;
    }
    const seen = new Map<string, Buffer>();
    const r = await readLayer(
      Readable.from(chunks),
      desc,
      async (e, body) => {
        if (e.type === 'file') seen.set(e.path, await body.all(8 << 20));
      },
      { signal: signal(), compression: 'detect' },
    );
    assert.equal(r.verified, true);
    assert.equal(r.bytesRead, blob.length);
    for (const f of files) assert.ok(seen.get(f.name)?.equals(f.body), `${f.name} reads back byte for byte`);
  });
