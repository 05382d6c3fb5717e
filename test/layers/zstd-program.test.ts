// zstd layers through the `zstd` program (shared/archive/zstd-program.ts): the bytes back (several
// frames), the cap on inflated bytes, corrupt and truncated input refused, frame checksums left to
// the blob digest, an early stop ending the child, and read-layer's zstd layers taking this path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { inflate, zstdLayerDecoder } from '../../shared/archive/inflate.js';
import { ZstdProgramStream, zstdProgram } from '../../shared/archive/zstd-program.js';
import { readLayer } from '../../shared/archive/read-layer.js';
import { isRecipeError, type ErrorCode } from '../../shared/errors.js';
import { sha256Digest } from '../../shared/content/digest.js';
import { tarOf, signal } from '../scan/image-builder.js';

const rejectsWith = (code: ErrorCode) => (e: unknown) => isRecipeError(e, code);
const zstd = (b: Buffer, level = '-3'): Buffer => execFileSync('zstd', [level, '-c', '-q'], { input: b });
const data = Buffer.from(Array.from({ length: 3_000_000 }, (_, i) => (i * 7919) % 251));

async function collect(src: Buffer, t: NodeJS.ReadWriteStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  await pipeline(Readable.from([src]), t, async (s: AsyncIterable<Buffer | string>) => {
    for await (const c of s) chunks.push(Buffer.from(c));
  });
  return Buffer.concat(chunks);
}

const program = zstdProgram();

void test('the zstd program is found on PATH (bin/setup installs it) and layers use it', () => {
  assert.ok(program !== null, 'zstd is not installed');
  assert.equal(zstdLayerDecoder(), 'zstd program');
});

const opts = (cap = 1e12) => ({
  cap,
  what: 'layer x',
  readableHighWaterMark: 1 << 20,
  writableHighWaterMark: 1 << 20,
});

void test('zstd program: the bytes back, one frame or several', async () => {
  assert.deepEqual(await collect(zstd(data), new ZstdProgramStream(program!, opts())), data);
  const two = Buffer.concat([zstd(data.subarray(0, 1000)), zstd(data.subarray(1000))]);
  assert.deepEqual(await collect(two, inflate('zstd', { zstd: 'program' })), data);
});

void test('zstd program: the cap on inflated bytes stops a bomb', async () => {
  const bomb = zstd(Buffer.alloc(64 * 1024 * 1024), '-19');
  assert.ok(bomb.length < 64 * 1024);
  await assert.rejects(
    collect(bomb, inflate('zstd', { zstd: 'program', maxInflatedBytes: 1024 * 1024 })),
    rejectsWith('size-limit'),
  );
});

void test('zstd program: corrupt and truncated input is invalid-image', async () => {
  const z = zstd(data);
  await assert.rejects(
    collect(z.subarray(0, z.length - 10), new ZstdProgramStream(program!, opts())),
    (e) => {
      assert.ok(isRecipeError(e, 'invalid-image'));
      assert.match(e.message, /^layer x: corrupt zstd data/);
      return true;
    },
  );
  await assert.rejects(
    collect(Buffer.alloc(100, 9), new ZstdProgramStream(program!, opts())),
    rejectsWith('invalid-image'),
  );
});

void test('zstd program: destroying the stream (an early stop) ends the child', async () => {
  const s = new ZstdProgramStream(program!, opts());
  const pid = s.pid!;
  s.write(zstd(data).subarray(0, 1000));
  await new Promise((r) => setTimeout(r, 50));
  process.kill(pid, 0); // running, waiting for more input
  s.destroy();
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  for (let i = 0; i < 100 && alive(); i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(alive(), false);
});

void test('read-layer: a zstd layer through the program, early stop still verified', async () => {
  const tar = await tarOf([
    { name: 'gnu/store/x/manifest', content: 'hello' },
    { name: 'big', content: data.toString('latin1') },
  ]);
  const blob = zstd(tar);
  const desc = { mediaType: 'x', digest: sha256Digest(blob), size: blob.length };
  const seen: string[] = [];
  const r = await readLayer(
    Readable.from([blob.subarray(0, 10), blob.subarray(10)]),
    desc,
    (e) => {
      seen.push(e.path);
      return 'stop';
    },
    { signal: signal(), compression: 'detect' },
  );
  assert.deepEqual(seen, ['gnu/store/x/manifest']);
  assert.equal(r.verified, true);
  assert.equal(r.stopped, true);
  assert.equal(r.bytesRead, blob.length);
});

void test('zstd program: a damaged frame checksum is left to the digest, which refuses the blob', async () => {
  const tar = await tarOf([{ name: 'gnu/store/x/manifest', content: 'hello' }]);
  const good = zstd(tar); // the zstd program writes a content checksum: the frame's last 4 bytes
  const bad = Buffer.from(good);
  bad[bad.length - 1]! ^= 0xff;
  // The program no longer checks it (a tenth of its time): the bytes come back whole.
  assert.deepEqual(await collect(bad, new ZstdProgramStream(program!, opts())), tar);
  // A layer read checks the blob against its digest, which the damaged byte cannot pass.
  const desc = { mediaType: 'x', digest: sha256Digest(good), size: good.length };
  await assert.rejects(
    readLayer(Readable.from([bad]), desc, () => undefined, { signal: signal(), compression: 'zstd' }),
    rejectsWith('digest-mismatch'),
  );
  const fine = await readLayer(Readable.from([good]), desc, () => undefined, {
    signal: signal(),
    compression: 'zstd',
  });
  assert.equal(fine.verified, true);
});
