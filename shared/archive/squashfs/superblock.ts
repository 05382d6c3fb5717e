/**
 * The squashfs 4.0 superblock: 96 bytes at offset 0, little-endian.
 *
 *   0 magic "hsqs"      12 block size u32    20 compression u16   24 flags u16   28 version 4.0
 *   4 inode count u32   16 fragment count    22 block log u16     26 id count    32 root inode ref u64
 *   8 mkfs time u32     40 bytes used u64, then the u64 starts of the id, xattr, inode, directory,
 *                       fragment and export tables (all bits set: absent)
 *
 * Checked here: magic, version, block size (a power of two, 4 KiB..1 MiB, agreeing with block log),
 * a compression we read (gzip, xz, zstd), `bytes used` within the image, and the inode and directory
 * tables in order inside it. What the tables hold is checked as they are read.
 */
import { RecipeError } from '../../errors.js';
import { readRange } from '../random-access.js';
import type { RandomAccessReader, ReadOptions } from '../random-access.js';

export const SUPERBLOCK_SIZE = 96;
/** The size of a metadata block's uncompressed content (fixed by the format). */
export const METADATA_BLOCK_SIZE = 8192;
/** u64 "absent" for optional tables. */
const ABSENT = 0xffffffffffffffffn;

/** Compressions a squashfs superblock can name; only gzip, xz and zstd are read. */
export type SquashfsCompression = 'gzip' | 'lzma' | 'lzo' | 'xz' | 'lz4' | 'zstd';
const COMPRESSIONS: Record<number, SquashfsCompression> = {
  1: 'gzip',
  2: 'lzma',
  3: 'lzo',
  4: 'xz',
  5: 'lz4',
  6: 'zstd',
};
const READ_COMPRESSIONS: readonly SquashfsCompression[] = ['gzip', 'xz', 'zstd'];

/** Superblock flag bits and the names reported for them. */
const FLAGS: [number, string][] = [
  [0x0001, 'inodes-uncompressed'],
  [0x0002, 'data-uncompressed'],
  [0x0008, 'fragments-uncompressed'],
  [0x0010, 'no-fragments'],
  [0x0020, 'always-fragments'],
  [0x0040, 'duplicates-removed'],
  [0x0080, 'exportable'],
  [0x0100, 'xattrs-uncompressed'],
  [0x0200, 'no-xattrs'],
  [0x0400, 'compressor-options'],
  [0x0800, 'ids-uncompressed'],
];

export interface Superblock {
  inodeCount: number;
  /** Unix seconds. */
  modificationTime: number;
  blockSize: number;
  fragmentCount: number;
  compression: SquashfsCompression;
  /** Raw flag bits, and their names. */
  flags: number;
  flagNames: string[];
  idCount: number;
  /** Root directory inode reference: metadata block start (relative to the inode table) << 16 | offset. */
  rootInode: { block: number; offset: number };
  bytesUsed: number;
  idTableStart: number | null;
  xattrTableStart: number | null;
  inodeTableStart: number;
  directoryTableStart: number;
  fragmentTableStart: number | null;
  exportTableStart: number | null;
}

/** Read and check the superblock of the squashfs image `reader` holds. Throws RecipeError. */
export async function readSuperblock(reader: RandomAccessReader, opts: ReadOptions): Promise<Superblock> {
  if (reader.size < SUPERBLOCK_SIZE)
    throw new RecipeError(
      'invalid-image',
      `not a squashfs image: ${reader.size} bytes, shorter than a superblock`,
    );
  const b = await readRange(reader, 0, SUPERBLOCK_SIZE, { ...opts, what: 'squashfs superblock' });
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (v.getUint32(0, true) !== 0x73717368)
    throw new RecipeError('invalid-image', 'not a squashfs image: bad magic');
  const major = v.getUint16(28, true);
  const minor = v.getUint16(30, true);
  if (major !== 4 || minor !== 0)
    throw new RecipeError('invalid-image', `squashfs version ${major}.${minor} is not read (only 4.0)`);
  const blockSize = v.getUint32(12, true);
  const blockLog = v.getUint16(22, true);
  if (
    blockSize < 4096 ||
    blockSize > 1024 * 1024 ||
    (blockSize & (blockSize - 1)) !== 0 ||
    1 << blockLog !== blockSize
  )
    throw new RecipeError('invalid-image', `squashfs block size ${blockSize} (log ${blockLog}) is not valid`);
  const code = v.getUint16(20, true);
  const compression = COMPRESSIONS[code];
  if (compression === undefined)
    throw new RecipeError('invalid-image', `squashfs compression id ${code} is not valid`);
  if (!READ_COMPRESSIONS.includes(compression))
    throw new RecipeError(
      'invalid-image',
      `squashfs compression ${compression} is not read (only gzip, xz and zstd, the ones Guix packs use)`,
    );
  const flags = v.getUint16(24, true);
  const rootRef = v.getBigUint64(32, true);
  const sb: Superblock = {
    inodeCount: v.getUint32(4, true),
    modificationTime: v.getUint32(8, true),
    blockSize,
    fragmentCount: v.getUint32(16, true),
    compression,
    flags,
    flagNames: FLAGS.filter(([bit]) => (flags & bit) !== 0).map(([, name]) => name),
    idCount: v.getUint16(26, true),
    rootInode: { block: Number(rootRef >> 16n), offset: Number(rootRef & 0xffffn) },
    bytesUsed: offset(v, 40, 'bytes used', reader.size),
    idTableStart: optionalOffset(v, 48, 'id table', reader.size),
    xattrTableStart: optionalOffset(v, 56, 'xattr table', reader.size),
    inodeTableStart: offset(v, 64, 'inode table', reader.size),
    directoryTableStart: offset(v, 72, 'directory table', reader.size),
    fragmentTableStart: optionalOffset(v, 80, 'fragment table', reader.size),
    exportTableStart: optionalOffset(v, 88, 'export table', reader.size),
  };
  if (
    sb.inodeTableStart < SUPERBLOCK_SIZE ||
    sb.directoryTableStart <= sb.inodeTableStart ||
    sb.directoryTableStart >= sb.bytesUsed
  )
    throw new RecipeError(
      'invalid-image',
      `squashfs inode table (${sb.inodeTableStart}) and directory table (${sb.directoryTableStart}) are out of order or outside the ${sb.bytesUsed} bytes used`,
    );
  if (sb.rootInode.offset >= METADATA_BLOCK_SIZE)
    throw new RecipeError(
      'invalid-image',
      `squashfs root inode offset ${sb.rootInode.offset} is past a metadata block`,
    );
  if (sb.inodeCount === 0) throw new RecipeError('invalid-image', 'squashfs inode count is 0');
  return sb;
}

/** Where a table of the image ends: the next table start after `start`, or `bytes used`. */
export function tableEnd(sb: Superblock, start: number): number {
  let end = sb.bytesUsed;
  for (const t of [
    sb.idTableStart,
    sb.xattrTableStart,
    sb.inodeTableStart,
    sb.directoryTableStart,
    sb.fragmentTableStart,
    sb.exportTableStart,
  ]) {
    if (t !== null && t > start && t < end) end = t;
  }
  return end;
}

function offset(v: DataView, at: number, what: string, size: number): number {
  const n = v.getBigUint64(at, true);
  if (n > BigInt(size))
    throw new RecipeError('invalid-image', `squashfs ${what} (${n}) lies beyond the ${size}-byte image`);
  return Number(n);
}

function optionalOffset(v: DataView, at: number, what: string, size: number): number | null {
  return v.getBigUint64(at, true) === ABSENT ? null : offset(v, at, what, size);
}
