/**
 * The content of regular files: their data blocks (stored back to back from `blocks start`, each
 * size in the inode's block list: bit 24 set when stored uncompressed, 0 for a sparse block of
 * zeros) and, for a tail packed with others, a slice of one fragment block. Only the blocks of these
 * files are read; each inflates to at most the block size.
 *
 * Several files are read together in one plan: every block they need (a fragment block they share
 * only once) is read in ascending order of its place in the image, so a source that can only stream
 * forward (a registry that ignores Range) passes over the image once for all of them.
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

/** One file of a plan: the inode, its cap and its name for messages. */
export interface FileRequest {
  file: FileInode;
  maxBytes: number;
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

/** Where the bytes of one stored block go: a slice of its inflated data into one file's output. */
interface Placement {
  out: number;
  /** Bytes of the inflated block taken, from `from`, written at `at` of the output. */
  from: number;
  length: number;
  at: number;
  /** For a fragment tail: the check that it lies inside the fragment. */
  what: string;
}

interface PlannedBlock extends StoredBlock {
  what: string;
  /** Fragment blocks: their index (for the shared-fragment cache). */
  fragment?: number;
  placements: Placement[];
}

/** Read the whole content of `file`. */
export async function readFileData(
  parts: ImageParts,
  file: FileInode,
  opts: FileDataOptions,
): Promise<Uint8Array> {
  const [out] = await readFilesData(parts, [{ file, maxBytes: opts.maxBytes, what: opts.what }], opts.signal);
  return out!;
}

/** Read the whole content of each file, in the order given; blocks are read in image order. */
export async function readFilesData(
  parts: ImageParts,
  files: readonly FileRequest[],
  signal: AbortSignal,
): Promise<Uint8Array[]> {
  for (const f of files)
    if (f.file.size > f.maxBytes)
      throw new RecipeError(
        'size-limit',
        `${f.what} is ${f.file.size} bytes, more than the ${f.maxBytes} read`,
        {
          details: { limit: f.maxBytes },
        },
      );
  const outs = files.map((f) => new Uint8Array(f.file.size));
  const blocks: PlannedBlock[] = [];
  const fragments = new Map<number, PlannedBlock>();
  for (let n = 0; n < files.length; n++) {
    const req = files[n]!;
    blocks.push(...(await dataBlocks(parts, req, n)));
    const { file } = req;
    if (file.fragment === null) continue;
    const tail = file.size - file.blockCount * parts.sb.blockSize;
    const index = file.fragment.index;
    let planned = fragments.get(index);
    if (planned === undefined) {
      const at =
        parts.lastFragment?.index === index
          ? { start: -1, size: 0, compressed: false } // decoded already: no read
          : await fragmentBlock(parts.src, parts.sb, parts.meta, index, signal);
      planned = { ...at, what: `${req.what}: fragment ${index}`, fragment: index, placements: [] };
      fragments.set(index, planned);
      blocks.push(planned);
    }
    planned.placements.push({
      out: n,
      from: file.fragment.offset,
      length: tail,
      at: file.blockCount * parts.sb.blockSize,
      what: `${req.what}: its tail (${tail} bytes at ${file.fragment.offset})`,
    });
  }
  blocks.sort((a, b) => a.start - b.start);
  for (const block of blocks) {
    let data: Uint8Array;
    if (block.fragment !== undefined && parts.lastFragment?.index === block.fragment)
      data = parts.lastFragment.data;
    else {
      data = await readBlock(parts, block, block.what, signal);
      if (block.fragment !== undefined) parts.lastFragment = { index: block.fragment, data };
    }
    for (const p of block.placements) {
      if (block.fragment !== undefined && p.from + p.length > data.length)
        throw new RecipeError('invalid-image', `${p.what} is outside its ${data.length}-byte fragment`);
      // Data blocks: shorter than wanted, the rest is zeros (the format's sparse tail); longer, only
      // `length` counts.
      outs[p.out]!.set(data.subarray(p.from, p.from + p.length), p.at);
    }
  }
  return outs;
}

/** The stored (non-sparse) full blocks of one file, from its block list. */
async function dataBlocks(parts: ImageParts, req: FileRequest, out: number): Promise<PlannedBlock[]> {
  const { sb } = parts;
  const { file, what } = req;
  // The block list: one u32 per full block, right after the inode.
  const listCursor = parts.meta.cursor(
    file.blockList.pos,
    file.blockList.offset,
    tableEnd(sb, sb.inodeTableStart),
    'squashfs inode table',
  );
  const list = await listCursor.read(4 * file.blockCount);
  const sizes = new DataView(list.buffer, list.byteOffset, list.byteLength);
  const blocks: PlannedBlock[] = [];
  let at = file.blocksStart;
  for (let i = 0; i < file.blockCount; i++) {
    const raw = sizes.getUint32(4 * i, true);
    const want = Math.min(sb.blockSize, file.size - i * sb.blockSize);
    const stored = raw & (BLOCK_UNCOMPRESSED - 1);
    if ((raw & ~(BLOCK_UNCOMPRESSED | (BLOCK_UNCOMPRESSED - 1))) !== 0 || stored > sb.blockSize)
      throw new RecipeError('invalid-image', `${what}: data block ${i} has an invalid size ${raw}`);
    if (stored !== 0) {
      blocks.push({
        start: at,
        size: stored,
        compressed: (raw & BLOCK_UNCOMPRESSED) === 0,
        what: `${what}: data block ${i}`,
        placements: [{ out, from: 0, length: want, at: i * sb.blockSize, what }],
      });
      at += stored;
    }
  }
  return blocks;
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
