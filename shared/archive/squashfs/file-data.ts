/**
 * The content of one regular file: its data blocks (stored back to back from `blocks start`, each
 * size in the inode's block list: bit 24 set when stored uncompressed, 0 for a sparse block of
 * zeros) and, for a tail packed with others, a slice of one fragment block. Only the blocks of this
 * file are read; each inflates to at most the block size.
 */
import { RecipeError } from '../../errors.js';
import { readRange } from '../random-access.js';
import type { RandomAccessReader } from '../random-access.js';
import type { BlockDecompressor } from './block-decompressor.js';
import { BLOCK_UNCOMPRESSED, fragmentBlock } from './fragment-table.js';
import type { StoredBlock } from './fragment-table.js';
import type { FileInode } from './inode-table.js';
import type { MetadataReader } from './metadata-block.js';
import { tableEnd } from './superblock.js';
import type { Superblock } from './superblock.js';

export interface FileDataOptions {
  signal: AbortSignal;
  /** Most bytes of file content read; a larger file is a `size-limit` RecipeError before any read. */
  maxBytes: number;
  /** What the file is, for messages (its path). */
  what: string;
}

/** Everything the reader of one image shares. */
export interface ImageParts {
  src: RandomAccessReader;
  sb: Superblock;
  meta: MetadataReader;
  decompress: BlockDecompressor;
  /** The last fragment block decoded: files read one after another often share it. */
  lastFragment?: { index: number; data: Uint8Array };
}

/** Read the whole content of `file`. */
export async function readFileData(
  parts: ImageParts,
  file: FileInode,
  opts: FileDataOptions,
): Promise<Uint8Array> {
  const { sb } = parts;
  if (file.size > opts.maxBytes)
    throw new RecipeError(
      'size-limit',
      `${opts.what} is ${file.size} bytes, more than the ${opts.maxBytes} read`,
      {
        details: { limit: opts.maxBytes },
      },
    );
  const out = new Uint8Array(file.size);
  // The block list: one u32 per full block, right after the inode.
  const listCursor = parts.meta.cursor(
    file.blockList.pos,
    file.blockList.offset,
    tableEnd(sb, sb.inodeTableStart),
    'squashfs inode table',
  );
  const list = await listCursor.read(4 * file.blockCount);
  const sizes = new DataView(list.buffer, list.byteOffset, list.byteLength);
  let at = file.blocksStart;
  for (let i = 0; i < file.blockCount; i++) {
    const raw = sizes.getUint32(4 * i, true);
    const want = Math.min(sb.blockSize, file.size - i * sb.blockSize);
    const stored = raw & (BLOCK_UNCOMPRESSED - 1);
    if ((raw & ~(BLOCK_UNCOMPRESSED | (BLOCK_UNCOMPRESSED - 1))) !== 0 || stored > sb.blockSize)
      throw new RecipeError('invalid-image', `${opts.what}: data block ${i} has an invalid size ${raw}`);
    if (stored !== 0) {
      const block = { start: at, size: stored, compressed: (raw & BLOCK_UNCOMPRESSED) === 0 };
      const data = await readBlock(parts, block, `${opts.what}: data block ${i}`, opts.signal);
      // Shorter than wanted: the rest is zeros (the format's sparse tail); longer: only `want` counts.
      out.set(data.subarray(0, want), i * sb.blockSize);
      at += stored;
    }
  }
  if (file.fragment !== null) {
    const tail = file.size - file.blockCount * sb.blockSize;
    const index = file.fragment.index;
    let data = parts.lastFragment?.index === index ? parts.lastFragment.data : undefined;
    if (data === undefined) {
      const frag = await fragmentBlock(parts.src, sb, parts.meta, index, opts.signal);
      data = await readBlock(parts, frag, `${opts.what}: fragment ${index}`, opts.signal);
      parts.lastFragment = { index, data };
    }
    if (file.fragment.offset + tail > data.length)
      throw new RecipeError(
        'invalid-image',
        `${opts.what}: its tail (${tail} bytes at ${file.fragment.offset}) is outside its ${data.length}-byte fragment`,
      );
    out.set(data.subarray(file.fragment.offset, file.fragment.offset + tail), file.blockCount * sb.blockSize);
  }
  return out;
}

/** One data or fragment block, read and inflated to at most the block size. */
async function readBlock(
  parts: ImageParts,
  block: StoredBlock,
  what: string,
  signal: AbortSignal,
): Promise<Uint8Array> {
  if (block.start + block.size > parts.sb.bytesUsed)
    throw new RecipeError(
      'invalid-image',
      `${what} (bytes ${block.start}..${block.start + block.size}) lies past the image`,
    );
  const bytes = await readRange(parts.src, block.start, block.size, { signal, what });
  if (!block.compressed) return bytes;
  return parts.decompress(bytes, { signal, maxOutput: parts.sb.blockSize, what });
}
