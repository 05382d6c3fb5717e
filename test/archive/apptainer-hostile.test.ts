// Hostile SIF and squashfs files, made here: each gets the right answer or one clear error (a
// RecipeError with a stable code, one line from the CLI), fast and within bounded memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDeflate } from 'node:zlib';
import { cli } from '../cli/capture.js';
import { isRecipeError } from '../../shared/errors.js';
import type { ErrorCode } from '../../shared/errors.js';
import { memoryReader } from '../../shared/archive/random-access.js';
import { scanSif, scanSquashfs } from '../../shared/scan/scan-apptainer.js';
import {
  DATA_DEFFILE,
  DATA_PARTITION,
  FS_EXT3,
  FS_SQUASHFS,
  PART_DATA,
  PART_PRIMARY,
  wrapSquashfs,
  writeSif,
} from './sif-writer.js';
import { buildSquashfs, findUnique, guixPackTree, PROFILE } from './squashfs-build.js';

const FIXTURE = 'test/fixtures/apptainer/seed-python-numpy';
const SEED = readFileSync('test/fixtures/guix-images/seed-python-numpy/profile-manifest', 'utf8');
const SEED_CHANNELS = readFileSync(join(FIXTURE, 'expected-channels.scm'), 'utf8');
const GZ = readFileSync(join(FIXTURE, 'squashfs/python-python-numpy-squashfs-pack.gz.squashfs'));
const signal = new AbortController().signal;

const tmp = mkdtempSync(join(tmpdir(), 'guix-recipes-hostile-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
function file(bytes: Uint8Array): string {
  const p = join(tmp, String(n++));
  writeFileSync(p, bytes);
  return p;
}

/** The CLI refuses `source` with exit `code` and one line matching `message`, within `ms`. */
async function refused(source: string, code: number, message: RegExp, ms = 3000): Promise<void> {
  const started = Date.now();
  const r = await cli(['inspect', source, '--output', 'channels']);
  const took = Date.now() - started;
  assert.equal(r.stdout, '');
  assert.equal(r.code, code, r.stderr);
  assert.match(r.stderr, /^guix-recipes: [^\n]+\n$/, 'exactly one line');
  assert.match(r.stderr, message);
  assert.ok(took < ms, `took ${took} ms`);
}

/** The scan throws a RecipeError with `code` and a message matching `message`. */
async function rejects(p: Promise<unknown>, code: ErrorCode, message: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(isRecipeError(err), `a RecipeError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.match(err.message, message);
    return true;
  });
}

function partition(data: Uint8Array, partType = PART_PRIMARY, fsType = FS_SQUASHFS) {
  return { dataType: DATA_PARTITION, data, partition: { fsType, partType, arch: '02\0' } };
}

void test('SIF: bad magic, too short, or a squashfs given as a SIF', async () => {
  await refused(
    `sif:${file(writeSif({ magic: 'NOT_MAGIC\0', objects: [partition(GZ)] }))}`,
    1,
    /not a SIF file: bad magic/,
  );
  await refused(
    `sif:${file(new Uint8Array(100))}`,
    1,
    /not a SIF file: 100 bytes, shorter than a SIF header/,
  );
  await refused(
    `sif:${join(FIXTURE, 'squashfs/python-python-numpy-squashfs-pack.gz.squashfs')}`,
    1,
    /not a SIF file: bad magic/,
  );
});

void test('SIF: descriptors pointing outside the file, or into the header and descriptor table', async () => {
  const outside = writeSif({ objects: [{ ...partition(GZ), rawSize: GZ.length + 1_000_000 }] });
  await refused(`sif:${file(outside)}`, 1, /SIF descriptor 1 \(FS\) points outside the file/);
  const huge = writeSif({ objects: [{ ...partition(GZ), rawOffset: 2 ** 62 }] });
  await refused(`sif:${file(huge)}`, 1, /SIF descriptor 1 offset is out of range/);
  const negative = writeSif({ objects: [{ ...partition(GZ), rawSize: -1 }] });
  await refused(`sif:${file(negative)}`, 1, /SIF descriptor 1 size is out of range/);
  const intoTable = writeSif({ objects: [{ ...partition(GZ), rawOffset: 4096 }] });
  await refused(
    `sif:${file(intoTable)}`,
    1,
    /SIF descriptor 1 \(FS\) overlaps the SIF header or descriptor table/,
  );
  const manySlots = writeSif({ objects: [partition(GZ)] });
  new DataView(manySlots.buffer).setBigInt64(88, 1_000_000n, true);
  await refused(`sif:${file(manySlots)}`, 1, /claims 1000000 descriptors/);
  const tableOutside = writeSif({ objects: [partition(GZ)] });
  new DataView(tableOutside.buffer).setBigInt64(96, BigInt(tableOutside.length), true);
  await refused(`sif:${file(tableOutside)}`, 1, /descriptor table .* lies outside the/);
});

void test('SIF: overlapping descriptors', async () => {
  // The definition file's object claims the first bytes of the partition.
  const sif = writeSif({ objects: [{ dataType: DATA_DEFFILE, data: Buffer.from('x') }, partition(GZ)] });
  const v = new DataView(sif.buffer);
  v.setBigInt64(4096 + 25, 4096n, true); // descriptor 1's size now runs into the partition at 32768
  await refused(`sif:${file(sif)}`, 1, /SIF descriptors 1 \(Def\.FILE\) and 2 \(FS\) overlap/);
  await rejects(scanSif(memoryReader(sif), { signal }), 'invalid-image', /overlap/);
});

void test('SIF: a partition of the wrong type, none, two, or one that is not squashfs', async () => {
  await refused(
    `sif:${file(writeSif({ objects: [partition(GZ, PART_PRIMARY, FS_EXT3)] }))}`,
    1,
    /the SIF primary system partition \(descriptor 1\) is Ext3, not squashfs/,
  );
  await refused(
    `sif:${file(writeSif({ objects: [partition(GZ, PART_DATA)] }))}`,
    1,
    /the SIF file has no primary system partition \(partitions 1: Data Squashfs\)/,
  );
  await refused(
    `sif:${file(writeSif({ objects: [] }))}`,
    1,
    /no primary system partition \(no partition at all\)/,
  );
  await refused(
    `sif:${file(writeSif({ objects: [partition(GZ), partition(GZ)] }))}`,
    1,
    /the SIF file has 2 primary system partitions \(descriptors 1, 2\)/,
  );
  await refused(
    `sif:${file(wrapSquashfs(new Uint8Array(8192).fill(7)))}`,
    1,
    /not a squashfs image: bad magic/,
  );
  // A squashfs longer than its partition: its tables would lie in the next object.
  await refused(
    `sif:${file(wrapSquashfs(GZ.subarray(0, 100_000)))}`,
    1,
    /squashfs bytes used \(\d+\) lies beyond the 100000-byte image/,
  );
});

void test('squashfs: bad magic, a version we do not read, a truncated image', async () => {
  await refused(
    `squashfs:${join(FIXTURE, 'sif/python-numpy.gz-wrap.sif')}`,
    1,
    /not a squashfs image: bad magic/,
  );
  const v3 = Buffer.from(GZ);
  v3.writeUInt16LE(3, 28);
  await refused(`squashfs:${file(v3)}`, 1, /squashfs version 3\.0 is not read/);
  const lz4 = Buffer.from(GZ);
  lz4.writeUInt16LE(5, 20);
  await refused(`squashfs:${file(lz4)}`, 1, /squashfs compression lz4 is not read/);
  await refused(
    `squashfs:${file(GZ.subarray(0, 60_000))}`,
    1,
    /squashfs bytes used .* lies beyond the 60000-byte image/,
  );
  const tables = Buffer.from(GZ);
  tables.writeBigUInt64LE(BigInt(GZ.readBigUInt64LE(72)) + 1_000_000n, 72);
  await refused(`squashfs:${file(tables)}`, 1, /squashfs directory table \(\d+\) lies beyond/);
});

/** An image with uncompressed tables, so a test can patch them, and its superblock facts. */
function patchable(tree = guixPackTree({ manifest: SEED })) {
  const image = buildSquashfs(tree, { uncompressed: true, noFragments: true });
  return {
    image,
    inodeTable: Number(image.readBigUInt64LE(64)),
    dirTable: Number(image.readBigUInt64LE(72)),
    root: {
      block: Number(image.readBigUInt64LE(32) >> 16n),
      offset: Number(image.readBigUInt64LE(32) & 0xffffn),
    },
  };
}

void test('squashfs: a directory table that loops (an entry leading back to an ancestor) is refused at once', async () => {
  const p = patchable();
  const image = Buffer.from(p.image);
  // /gnu holds one entry, `store`: make it name the root directory's inode.
  const entry = findUnique(image, Buffer.from([1, 0, 4, 0, ...Buffer.from('store')]), p.dirTable) - 4;
  const header = entry - 12;
  assert.equal(image.readUInt32LE(header), 0, 'a header of one entry');
  assert.equal(image.readUInt32LE(header + 4), p.root.block, 'root inode in the same inode block');
  // Uncompressed metadata: the block's data follows its 2-byte header.
  const rootNumber = image.readUInt32LE(p.inodeTable + p.root.block + 2 + p.root.offset + 12);
  image.writeUInt16LE(p.root.offset, entry);
  image.writeInt16LE(rootNumber - image.readUInt32LE(header + 8), entry + 2);
  await refused(`squashfs:${file(image)}`, 1, /squashfs directory loop: \/gnu\/store is its own ancestor/);
});

void test('squashfs: an inode count that lies', async () => {
  const small = Buffer.from(GZ);
  small.writeUInt32LE(3, 4);
  await refused(
    `squashfs:${file(small)}`,
    1,
    /squashfs inode number \d+ is outside 1\.\.3 \(the superblock's inode count\)/,
  );
  // A count larger than the image holds allocates nothing: the right answer.
  const large = Buffer.from(GZ);
  large.writeUInt32LE(0xffffffff, 4);
  const r = await cli(['inspect', `squashfs:${file(large)}`, '--output', 'channels']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, SEED_CHANNELS);
});

/**
 * Bytes that inflate to `size` zero bytes in `compression`, made without ever holding `size` bytes
 * here (the test measures this process's peak memory).
 */
async function bomb(compression: 'gzip' | 'xz' | 'zstd', size: number): Promise<Buffer> {
  if (compression === 'gzip') {
    const z = createDeflate({ level: 9 });
    const out: Buffer[] = [];
    z.on('data', (c: Buffer) => out.push(c));
    const done = new Promise((resolve) => z.on('end', resolve));
    const mib = Buffer.alloc(1 << 20);
    for (let i = 0; i < size >> 20; i++)
      if (!z.write(mib)) await new Promise((resolve) => z.once('drain', resolve));
    z.end();
    await done;
    return Buffer.concat(out);
  }
  const tool = compression === 'xz' ? 'xz -1 -T1 -c' : 'zstd -19 -c -q';
  const r = spawnSync('sh', ['-c', `head -c ${size} /dev/zero | ${tool}`], { maxBuffer: 1 << 24 });
  assert.equal(r.status, 0);
  return r.stdout;
}

for (const compression of ['gzip', 'xz', 'zstd'] as const) {
  void test(`squashfs (${compression}): the manifest's data block is a decompression bomb: size-limit, fast, bounded memory`, async () => {
    // A manifest of exactly one 128 KiB block, stored uncompressed; then its bytes become a bomb.
    const manifest = 'x'.repeat(131072);
    const image = Buffer.from(
      buildSquashfs(guixPackTree({ manifest }), { uncompressed: true, noFragments: true, compression }),
    );
    const b = await bomb(compression, compression === 'gzip' ? 120 * 1024 * 1024 : 256 * 1024 * 1024);
    assert.ok(b.length <= 131072, `bomb of ${b.length} bytes`);
    // The file inode's block list: frag none, offset 0, size 131072, one block stored uncompressed.
    const sizes = Buffer.alloc(16);
    sizes.writeUInt32LE(0xffffffff, 0);
    sizes.writeUInt32LE(131072, 8);
    sizes.writeUInt32LE(131072 | (1 << 24), 12);
    const at = findUnique(image, sizes, Number(image.readBigUInt64LE(64)));
    const blocksStart = image.readUInt32LE(at - 4);
    image.set(b, blocksStart);
    image.writeUInt32LE(b.length, at + 12); // now a compressed block of b.length bytes
    const before = process.resourceUsage().maxRSS;
    const started = Date.now();
    await rejects(
      scanSquashfs(memoryReader(image), { signal }),
      'size-limit',
      new RegExp(`${PROFILE}/manifest: data block 0 inflates to more than 131072 bytes`),
    );
    const took = Date.now() - started;
    const grewMiB = (process.resourceUsage().maxRSS - before) / 1024;
    assert.ok(took < 3000, `took ${took} ms`);
    assert.ok(grewMiB < 64, `peak memory grew by ${grewMiB.toFixed(1)} MiB`);
    await refused(`squashfs:${file(image)}`, 1, /inflates to more than 131072 bytes/);
  });
}

void test('squashfs: symlink chains that never end (1000 links, a cycle) fail fast as ELOOP', async () => {
  const chain: Record<string, { symlink: string }> = { bin: { symlink: 'l/0' } };
  for (let i = 0; i < 1000; i++)
    chain[`l/${i}`] = { symlink: i === 999 ? `../${PROFILE}/bin` : String(i + 1) };
  const long = buildSquashfs(guixPackTree({ manifest: SEED, extra: chain }));
  const started = Date.now();
  await rejects(
    scanSquashfs(memoryReader(long), { signal }),
    'invalid-image',
    /too many levels of symbolic links from \/bin \(more than 40\)/,
  );
  assert.ok(Date.now() - started < 3000);
  await refused(`squashfs:${file(long)}`, 1, /too many levels of symbolic links/);

  const cycle = buildSquashfs(
    guixPackTree({
      manifest: SEED,
      extra: { bin: { symlink: 'a' }, a: { symlink: '/b' }, b: { symlink: './a' } },
    }),
  );
  await refused(`squashfs:${file(cycle)}`, 1, /too many levels of symbolic links from \/bin/);

  const self = buildSquashfs(
    guixPackTree({
      manifest: SEED,
      noBin: true,
      extra: { '.singularity.d/env/90-environment.sh': { symlink: '90-environment.sh' } },
    }),
  );
  await refused(
    `squashfs:${file(self)}`,
    1,
    /too many levels of symbolic links resolving \/\.singularity\.d\/env\/90-environment\.sh/,
  );
});

void test('squashfs: `..` and absolute links never leave the image: the right answer', async () => {
  const image = buildSquashfs(
    guixPackTree({
      manifest: SEED,
      extra: { bin: { symlink: `../../../../${PROFILE}/bin` }, 'x/y': { symlink: `/../../${PROFILE}` } },
    }),
  );
  const scan = await scanSquashfs(memoryReader(image), { signal });
  assert.equal(scan.recipe.texts.channels, SEED_CHANNELS);
  assert.deepEqual(
    scan.artifact.pack.symlinks.map((s) => `${s.source}=${s.target}`),
    ['/bin=bin', '/x/y='],
  );
});

void test('inspect on a FIFO, a device or a directory: refused at once', () => {
  const fifo = join(tmp, 'fifo');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  for (const [source, message] of [
    [`sif:${fifo}`, /: not a regular file, not an image file\n$/],
    [`squashfs:/dev/zero`, /: not a regular file, not an image file\n$/],
    [`squashfs:${tmp}`, /: a directory, not an image file\n$/],
    [`sif:${join(tmp, 'missing')}`, /: no such file\n$/],
  ] as const) {
    const r = spawnSync(process.execPath, ['bin/guix-recipes', 'inspect', source], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(r.signal, null, 'ended by itself');
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /^guix-recipes: [^\n]+\n$/);
    assert.match(r.stderr, message);
  }
});
