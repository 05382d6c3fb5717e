/**
 * Squashfs inodes, read from the inode table by reference (metadata block start relative to the
 * table, and offset into the decoded block). Every inode starts with a 16-byte header: type u16,
 * permissions u16, uid u16, gid u16, mtime u32, inode number u32. Read here: directories (basic 1,
 * extended 8), regular files (2, 9) and symlinks (3, 10); other types are only named.
 *
 * Checked: the type, the inode number (1..inode count: a count that lies is caught on the first inode
 * past it), offsets inside metadata blocks, a file's fragment index and size, a symlink's length.
 */
import { RecipeError } from '../../errors.js';
import type { MetadataCursor, MetadataReader } from './metadata-block.js';
import { METADATA_BLOCK_SIZE, tableEnd } from './superblock.js';
import type { Superblock } from './superblock.js';

/** A reference into a metadata table: block start (relative to the table) and offset into it. */
export interface MetadataRef {
  block: number;
  offset: number;
}

/** The longest symlink target read (Linux's PATH_MAX). */
export const MAX_SYMLINK_TARGET = 4096;
/** "No fragment". */
const NO_FRAGMENT = 0xffffffff;

interface InodeBase {
  /** The inode number (1..inode count). */
  number: number;
  /** Permission bits. */
  mode: number;
}

export interface DirectoryInode extends InodeBase {
  kind: 'directory';
  /** Where the listing starts in the directory table, and its size in bytes (0: empty). */
  listing: MetadataRef & { size: number };
}

export interface FileInode extends InodeBase {
  kind: 'file';
  size: number;
  blocksStart: number;
  /** Fragment index and offset of the file's tail, or null. */
  fragment: { index: number; offset: number } | null;
  /** Number of full data blocks (the block-size list's length). */
  blockCount: number;
  /** Where the block-size list starts (a cursor position in the inode table). */
  blockList: { pos: number; offset: number };
}

export interface SymlinkInode extends InodeBase {
  kind: 'symlink';
  /** The target's bytes, as a latin1 string (byte-exact). */
  target: string;
}

export interface OtherInode extends InodeBase {
  kind: 'other';
  type: number;
}

export type Inode = DirectoryInode | FileInode | SymlinkInode | OtherInode;

/** Type names for messages (basic type numbers; extended ones are basic + 7). */
export const INODE_TYPE_NAMES: Record<number, string> = {
  1: 'directory',
  2: 'file',
  3: 'symlink',
  4: 'block device',
  5: 'character device',
  6: 'FIFO',
  7: 'socket',
};

/** Reads inodes of one image. */
export class InodeTable {
  readonly #end: number;
  constructor(
    private readonly sb: Superblock,
    private readonly meta: MetadataReader,
  ) {
    this.#end = tableEnd(sb, sb.inodeTableStart);
  }

  /** The inode at `ref`. `expectNumber`: the number the directory entry gave it (checked). */
  async read(ref: MetadataRef, expectNumber?: number): Promise<Inode> {
    if (ref.offset >= METADATA_BLOCK_SIZE)
      throw new RecipeError(
        'invalid-image',
        `squashfs inode reference offset ${ref.offset} is past a metadata block`,
      );
    const pos = this.sb.inodeTableStart + ref.block;
    if (pos >= this.#end)
      throw new RecipeError(
        'invalid-image',
        `squashfs inode reference ${ref.block} lies outside the inode table`,
      );
    const c = this.meta.cursor(pos, ref.offset, this.#end, 'squashfs inode table');
    const h = view(await c.read(16));
    const type = h.getUint16(0, true);
    const number = h.getUint32(12, true);
    if (number < 1 || number > this.sb.inodeCount)
      throw new RecipeError(
        'invalid-image',
        `squashfs inode number ${number} is outside 1..${this.sb.inodeCount} (the superblock's inode count)`,
      );
    if (expectNumber !== undefined && number !== expectNumber)
      throw new RecipeError(
        'invalid-image',
        `squashfs directory entry names inode ${expectNumber}, but its reference holds inode ${number}`,
      );
    const base = { number, mode: h.getUint16(2, true) };
    switch (type) {
      case 1: {
        const v = view(await c.read(16));
        return directory(base, v.getUint32(0, true), v.getUint16(10, true), v.getUint16(8, true));
      }
      case 8: {
        const v = view(await c.read(24));
        return directory(base, v.getUint32(8, true), v.getUint16(18, true), v.getUint32(4, true));
      }
      case 2: {
        const v = view(await c.read(16));
        return this.#file(
          base,
          c,
          v.getUint32(0, true),
          v.getUint32(12, true),
          v.getUint32(4, true),
          v.getUint32(8, true),
        );
      }
      case 9: {
        const v = view(await c.read(40));
        return this.#file(
          base,
          c,
          safe(v.getBigUint64(0, true), 'file start'),
          safe(v.getBigUint64(8, true), 'file size'),
          v.getUint32(28, true),
          v.getUint32(32, true),
        );
      }
      case 3:
      case 10: {
        const v = view(await c.read(8));
        const length = v.getUint32(4, true);
        if (length > MAX_SYMLINK_TARGET)
          throw new RecipeError(
            'invalid-image',
            `squashfs symlink target of ${length} bytes (at most ${MAX_SYMLINK_TARGET})`,
          );
        const target = Buffer.from(await c.read(length)).toString('latin1');
        return { kind: 'symlink', ...base, target };
      }
      default:
        if (type < 1 || type > 14)
          throw new RecipeError('invalid-image', `squashfs inode type ${type} is not valid`);
        return { kind: 'other', ...base, type: type > 7 ? type - 7 : type };
    }
  }

  #file(
    base: InodeBase,
    c: MetadataCursor,
    blocksStart: number,
    size: number,
    fragIndex: number,
    fragOffset: number,
  ): FileInode {
    const bs = this.sb.blockSize;
    let fragment: FileInode['fragment'] = null;
    if (fragIndex !== NO_FRAGMENT) {
      if (fragIndex >= this.sb.fragmentCount)
        throw new RecipeError(
          'invalid-image',
          `squashfs file inode ${base.number} names fragment ${fragIndex} of ${this.sb.fragmentCount}`,
        );
      if (fragOffset >= bs)
        throw new RecipeError(
          'invalid-image',
          `squashfs file inode ${base.number} has fragment offset ${fragOffset}`,
        );
      fragment = { index: fragIndex, offset: fragOffset };
    }
    const blockCount = fragment === null ? Math.ceil(size / bs) : Math.floor(size / bs);
    return { kind: 'file', ...base, size, blocksStart, fragment, blockCount, blockList: c.position };
  }
}

function directory(base: InodeBase, block: number, offset: number, fileSize: number): DirectoryInode {
  if (offset >= METADATA_BLOCK_SIZE)
    throw new RecipeError(
      'invalid-image',
      `squashfs directory inode ${base.number} has listing offset ${offset}`,
    );
  // The stored size counts 3 bytes more than the listing (for "." and ".."); under 4: empty.
  return { kind: 'directory', ...base, listing: { block, offset, size: fileSize < 4 ? 0 : fileSize - 3 } };
}

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

function safe(n: bigint, what: string): number {
  if (n > BigInt(Number.MAX_SAFE_INTEGER))
    throw new RecipeError('invalid-image', `squashfs ${what} ${n} is out of range`);
  return Number(n);
}
