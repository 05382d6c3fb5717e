// The parts under the SIF and squashfs readers: bounded random access, the block decompressors and
// their caps, metadata blocks, the path walk's lexical rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { isRecipeError } from '../../shared/errors.js';
import type { ErrorCode } from '../../shared/errors.js';
import {
  CountingReader,
  MAX_READ_BYTES,
  memoryReader,
  openFileReader,
  readRange,
  sliceReader,
} from '../../shared/archive/random-access.js';
import { blockDecompressor } from '../../shared/archive/squashfs/block-decompressor.js';
import { MetadataReader } from '../../shared/archive/squashfs/metadata-block.js';
import { normalize } from '../../shared/archive/squashfs/path-walk.js';
import { squashfsPackRebuild } from '../../shared/scan/squashfs-pack-options.js';
import { shellQuote } from '../../shared/scan/rebuild.js';

const signal = new AbortController().signal;

async function rejects(p: Promise<unknown>, code: ErrorCode, message: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(isRecipeError(err), String(err));
    assert.equal(err.code, code, err.message);
    assert.match(err.message, message);
    return true;
  });
}

void test('readRange: exact bytes inside the source; outside, too long or short answers refused', async () => {
  const bytes = Uint8Array.from({ length: 100 }, (_, i) => i);
  const r = memoryReader(bytes);
  assert.deepEqual([...(await readRange(r, 10, 3, { signal, what: 't' }))], [10, 11, 12]);
  await rejects(
    readRange(r, 98, 3, { signal, what: 'the thing' }),
    'invalid-image',
    /^the thing: bytes 98\.\.101 are outside the 100-byte artifact$/,
  );
  await rejects(readRange(r, -1, 3, { signal, what: 't' }), 'invalid-image', /invalid offset/);
  const big = { size: 10 * MAX_READ_BYTES, read: async () => new Uint8Array(0) };
  await rejects(
    readRange(big, 0, MAX_READ_BYTES + 1, { signal, what: 't' }),
    'size-limit',
    /over the 1048576-byte cap/,
  );
  await rejects(readRange(big, 0, 10, { signal, what: 't' }), 'truncated', /read 0 of 10 bytes/);
  const aborted = AbortSignal.abort();
  await assert.rejects(readRange(r, 0, 1, { signal: aborted, what: 't' }), { name: 'AbortError' });
});

void test('sliceReader and CountingReader: a window addressed from 0, bytes counted', async () => {
  const bytes = Uint8Array.from({ length: 100 }, (_, i) => i);
  const counted = new CountingReader(memoryReader(bytes));
  const w = sliceReader(counted, 40, 20);
  assert.equal(w.size, 20);
  assert.deepEqual([...(await readRange(w, 0, 2, { signal, what: 't' }))], [40, 41]);
  await rejects(readRange(w, 19, 2, { signal, what: 't' }), 'invalid-image', /outside the 20-byte artifact/);
  assert.equal(counted.bytesRead, 2);
  assert.equal(counted.reads, 1);
  assert.throws(() => sliceReader(counted, 90, 20), /outside a 100-byte artifact/);
});

void test('openFileReader: a regular file read at offsets; a file that shrinks is truncated', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'guix-recipes-ra-'));
  try {
    const p = join(tmp, 'f');
    writeFileSync(p, Buffer.from('0123456789'));
    const r = await openFileReader(p, { signal });
    assert.equal(r.size, 10);
    assert.equal(Buffer.from(await readRange(r, 3, 4, { signal, what: 't' })).toString(), '3456');
    writeFileSync(p, Buffer.from('0123'));
    await rejects(
      readRange(r, 2, 4, { signal, what: 't' }),
      'truncated',
      /the file ended at 4, 2 bytes early/,
    );
    await r.close();
    await rejects(openFileReader(join(tmp, 'none'), { signal }), 'not-found', /no such file/);
    await rejects(openFileReader(tmp, { signal }), 'invalid-image', /a directory, not an image file/);
    await rejects(openFileReader('/dev/null', { signal }), 'invalid-image', /not a regular file/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

/** Compressed `data` as squashfs stores it for `compression` (zlib for "gzip"). */
function compress(compression: 'gzip' | 'xz' | 'zstd', data: Uint8Array): Buffer {
  if (compression === 'gzip') return deflateSync(data);
  const r = spawnSync(compression === 'xz' ? 'xz' : 'zstd', ['-c', '-q'], { input: data });
  assert.equal(r.status, 0);
  return r.stdout;
}

for (const compression of ['gzip', 'xz', 'zstd'] as const) {
  void test(`block decompressor (${compression}): round trip, exact cap, over the cap, corrupt data`, async () => {
    const inflate = blockDecompressor(compression);
    const data = Buffer.from('guix '.repeat(2000));
    const packed = compress(compression, data);
    const out = await inflate(packed, { signal, maxOutput: data.length, what: 'block' });
    assert.ok(Buffer.from(out).equals(data));
    await rejects(
      inflate(packed, { signal, maxOutput: data.length - 1, what: 'the block' }),
      'size-limit',
      new RegExp(`^the block inflates to more than ${data.length - 1} bytes$`),
    );
    const corrupt = Buffer.from(packed);
    corrupt.fill(0x55, Math.floor(corrupt.length / 3));
    await rejects(
      inflate(corrupt, { signal, maxOutput: 1 << 20, what: 'the block' }),
      'invalid-image',
      /^the block: corrupt/,
    );
    await rejects(
      inflate(Buffer.from('not compressed at all'), { signal, maxOutput: 8192, what: 'b' }),
      'invalid-image',
      /corrupt/,
    );
    // The decoder is released after each failure: the next block still inflates.
    assert.equal(
      (await inflate(packed, { signal, maxOutput: data.length, what: 'block' })).length,
      data.length,
    );
  });
}

void test('a metadata block that inflates past 8 KiB, or claims more than 8 KiB stored: refused', async () => {
  const packed = deflateSync(Buffer.alloc(1 << 20));
  const block = Buffer.alloc(2 + packed.length);
  block.writeUInt16LE(packed.length, 0);
  block.set(packed, 2);
  const meta = new MetadataReader(memoryReader(block), blockDecompressor('gzip'), {
    signal,
    maxMetadataBytes: 1 << 20,
  });
  await rejects(
    meta.block(0, block.length, 'inode table'),
    'size-limit',
    /inode table metadata block at 0 inflates to more than 8192 bytes/,
  );
  const claims = Buffer.alloc(10000);
  claims.writeUInt16LE(0x8000 | 9000, 0);
  const meta2 = new MetadataReader(memoryReader(claims), blockDecompressor('gzip'), {
    signal,
    maxMetadataBytes: 1 << 20,
  });
  await rejects(meta2.block(0, claims.length, 'directory table'), 'invalid-image', /invalid size 9000/);
});

void test('the metadata budget of an image: past it, size-limit', async () => {
  // Ten uncompressed 8 KiB blocks back to back; a budget of 3 blocks.
  const blocks = Buffer.alloc(10 * 8194);
  for (let i = 0; i < 10; i++) blocks.writeUInt16LE(0x8000 | 8192, i * 8194);
  const meta = new MetadataReader(memoryReader(blocks), blockDecompressor('gzip'), {
    signal,
    maxMetadataBytes: 3 * 8192,
  });
  const c = meta.cursor(0, 0, blocks.length, 'directory table');
  await c.read(3 * 8192);
  await rejects(c.read(1), 'size-limit', /passed 24576 bytes decoded/);
});

void test('normalize: `..` never climbs above the root', () => {
  assert.equal(normalize('/a/b/../c'), '/a/c');
  assert.equal(normalize('../../x'), '/x');
  assert.equal(normalize('/./a//b/'), '/a/b');
  assert.equal(normalize('/..'), '/');
});

void test('the rebuild command: argv and one shell line, quoted where needed', () => {
  const r = squashfsPackRebuild(
    { channels: [{ name: 'guix' } as never], packages: [] },
    { compression: 'zstd' },
    { entryPoint: "bin/it's", symlinks: [{ source: '/opt/my app', target: '' }], localstatedir: false },
    'arm64',
  );
  assert.deepEqual(r.command, [
    'guix',
    'time-machine',
    '-C',
    'channels.scm',
    '--',
    'pack',
    '-f',
    'squashfs',
    '-C',
    'zstd',
    "--entry-point=bin/it's",
    '-S',
    '/opt/my app=',
    '--save-provenance',
    '-m',
    'manifest.scm',
  ]);
  assert.equal(
    r.text,
    `guix time-machine -C channels.scm -- pack -f squashfs -C zstd '--entry-point=bin/it'\\''s' -S '/opt/my app=' --save-provenance -m manifest.scm`,
  );
  assert.equal(shellQuote(''), "''");
  assert.match(r.unknown.map((u) => u.reason).join('\n'), /the SIF header says arm64/);
});
