/**
 * Squashfs directory listings, read from the directory table. A listing is a run of headers
 * (count - 1 u32, inode-table block u32, reference inode number u32), each followed by at most 256
 * entries (offset into the inode block u16, inode number delta s16, basic type u16, name length - 1
 * u16, name). The directory inode gives the listing's start and byte size; the walk never reads past
 * that size, and every header, entry and name is checked before it is used.
 */
import { RecipeError } from '../../errors.js';
import type { DirectoryInode, MetadataRef } from './inode-table.js';
import type { MetadataReader } from './metadata-block.js';
import { tableEnd } from './superblock.js';
import type { Superblock } from './superblock.js';

/** One directory entry. */
export interface DirEntry {
  /** The name's bytes as a latin1 string (byte-exact; never contains `/` or NUL). */
  name: string;
  inodeNumber: number;
  /** Basic inode type (1 directory, 2 file, 3 symlink, 4..7 special files). */
  type: number;
  /** Where its inode is. */
  inode: MetadataRef;
}

/** Entries per header, at most (the format's limit). */
const MAX_HEADER_ENTRIES = 256;
/** The longest entry name (the format's limit). */
const MAX_NAME = 256;

/** Reads directory listings of one image. */
export class DirectoryTable {
  readonly #end: number;
  constructor(
    private readonly sb: Superblock,
    private readonly meta: MetadataReader,
    private readonly signal: AbortSignal,
  ) {
    this.#end = tableEnd(sb, sb.directoryTableStart);
  }

  /** Every entry of `dir`, in listing order. */
  async *entries(dir: DirectoryInode): AsyncGenerator<DirEntry> {
    let remaining = dir.listing.size;
    if (remaining === 0) return;
    const pos = this.sb.directoryTableStart + dir.listing.block;
    if (pos >= this.#end)
      throw new RecipeError(
        'invalid-image',
        `squashfs directory inode ${dir.number} points outside the directory table`,
      );
    const c = this.meta.cursor(pos, dir.listing.offset, this.#end, 'squashfs directory table');
    const overrun = (): RecipeError =>
      new RecipeError('invalid-image', `squashfs listing of directory inode ${dir.number} overruns its size`);
    while (remaining > 0) {
      this.signal.throwIfAborted();
      if (remaining < 12) throw overrun();
      const h = view(await c.read(12));
      remaining -= 12;
      const count = h.getUint32(0, true) + 1;
      const block = h.getUint32(4, true);
      const base = h.getUint32(8, true);
      if (count > MAX_HEADER_ENTRIES)
        throw new RecipeError(
          'invalid-image',
          `squashfs directory header with ${count} entries (at most 256)`,
        );
      for (let i = 0; i < count; i++) {
        if (remaining < 8) throw overrun();
        const e = view(await c.read(8));
        const nameLength = e.getUint16(6, true) + 1;
        remaining -= 8;
        if (nameLength > MAX_NAME)
          throw new RecipeError(
            'invalid-image',
            `squashfs directory entry name of ${nameLength} bytes (at most 256)`,
          );
        if (remaining < nameLength) throw overrun();
        const name = Buffer.from(await c.read(nameLength)).toString('latin1');
        remaining -= nameLength;
        if (name === '.' || name === '..' || name.includes('/') || name.includes('\0'))
          throw new RecipeError(
            'invalid-image',
            `squashfs directory entry with an invalid name ${JSON.stringify(name)}`,
          );
        const inodeNumber = base + e.getInt16(2, true);
        if (inodeNumber < 1 || inodeNumber > this.sb.inodeCount)
          throw new RecipeError(
            'invalid-image',
            `squashfs directory entry ${JSON.stringify(name)} names inode ${inodeNumber}, outside 1..${this.sb.inodeCount} (the superblock's inode count)`,
          );
        const type = e.getUint16(4, true);
        if (type < 1 || type > 7)
          throw new RecipeError(
            'invalid-image',
            `squashfs directory entry ${JSON.stringify(name)} has type ${type}`,
          );
        yield { name, inodeNumber, type, inode: { block, offset: e.getUint16(0, true) } };
      }
    }
  }

  /** The entry called `name` in `dir`, if any. */
  async lookup(dir: DirectoryInode, name: string): Promise<DirEntry | undefined> {
    for await (const e of this.entries(dir)) if (e.name === name) return e;
    return undefined;
  }
}

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}
