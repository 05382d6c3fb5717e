/**
 * The squashfs fragment table: where each fragment block (tails of several files packed together)
 * lies. A lookup table: the superblock points at a list of u64 positions, one per metadata block of
 * 16-byte entries (start u64, stored size u32 with bit 24 meaning "stored uncompressed", unused u32).
 * Only the one entry asked for is read: 8 bytes of the list, then one metadata block.
 */
import { RecipeError } from '../../errors.js';
import { readRange } from '../random-access.js';
import type { RandomAccessReader } from '../random-access.js';
import type { MetadataReader } from './metadata-block.js';
import { METADATA_BLOCK_SIZE } from './superblock.js';
import type { Superblock } from './superblock.js';

/** Where a stored block is (data or fragment). */
export interface StoredBlock {
  start: number;
  /** Bytes on disk. */
  size: number;
  compressed: boolean;
}

/** Bit 24 of a stored block size: the block is stored uncompressed. */
export const BLOCK_UNCOMPRESSED = 1 << 24;
const ENTRY_SIZE = 16;

/** The fragment block `index` refers to. */
export async function fragmentBlock(
  src: RandomAccessReader,
  sb: Superblock,
  meta: MetadataReader,
  index: number,
  signal: AbortSignal,
): Promise<StoredBlock> {
  if (sb.fragmentTableStart === null || index >= sb.fragmentCount)
    throw new RecipeError(
      'invalid-image',
      `squashfs fragment ${index} does not exist (${sb.fragmentCount} fragments)`,
    );
  const perBlock = METADATA_BLOCK_SIZE / ENTRY_SIZE;
  const listAt = sb.fragmentTableStart + 8 * Math.floor(index / perBlock);
  const loc = await readRange(src, listAt, 8, { signal, what: 'squashfs fragment table' });
  const blockPos = new DataView(loc.buffer, loc.byteOffset, 8).getBigUint64(0, true);
  // The table's metadata blocks come before its location list.
  if (blockPos >= BigInt(sb.fragmentTableStart))
    throw new RecipeError(
      'invalid-image',
      `squashfs fragment table block at ${blockPos} lies past its location list`,
    );
  const c = meta.cursor(
    Number(blockPos),
    (index % perBlock) * ENTRY_SIZE,
    sb.fragmentTableStart,
    'squashfs fragment table',
  );
  const e = await c.read(ENTRY_SIZE);
  const v = new DataView(e.buffer, e.byteOffset, e.byteLength);
  const start = v.getBigUint64(0, true);
  const raw = v.getUint32(8, true);
  const block = {
    start: Number(start),
    size: raw & (BLOCK_UNCOMPRESSED - 1),
    compressed: (raw & BLOCK_UNCOMPRESSED) === 0,
  };
  if (
    (raw & ~(BLOCK_UNCOMPRESSED | (BLOCK_UNCOMPRESSED - 1))) !== 0 ||
    block.size > sb.blockSize ||
    start + BigInt(block.size) > BigInt(sb.bytesUsed)
  )
    throw new RecipeError(
      'invalid-image',
      `squashfs fragment ${index} (at ${start}, ${raw} bytes) is not valid`,
    );
  return block;
}
