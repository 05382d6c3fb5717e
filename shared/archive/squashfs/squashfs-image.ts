/**
 * One squashfs image read in place: the superblock first, then inodes and directory listings from
 * their tables as a path walk asks for them, then the data blocks of the one file wanted. Nothing is
 * extracted and no table is read whole.
 */
import { RecipeError } from '../../errors.js';
import type { RandomAccessReader } from '../random-access.js';
import { blockDecompressor } from './block-decompressor.js';
import { DirectoryTable } from './directory-table.js';
import type { DirEntry } from './directory-table.js';
import { readFileData, readFilesData } from './file-data.js';
import type { FileRequest, ImageParts } from './file-data.js';
import { InodeTable } from './inode-table.js';
import type { DirectoryInode, FileInode, Inode } from './inode-table.js';
import { MetadataReader } from './metadata-block.js';
import { readSuperblock } from './superblock.js';
import type { Superblock } from './superblock.js';

/** Bounds of reading one image, with their defaults. */
export interface SquashfsLimits {
  /** Most metadata bytes (inodes, listings, fragment entries) decoded for the image. Default 32 MiB. */
  maxMetadataBytes: number;
}

export const DEFAULT_SQUASHFS_LIMITS: Readonly<SquashfsLimits> = Object.freeze({
  maxMetadataBytes: 32 * 1024 * 1024,
});

export class SquashfsImage {
  readonly #parts: ImageParts;
  readonly #inodes: InodeTable;
  readonly #dirs: DirectoryTable;

  private constructor(
    readonly superblock: Superblock,
    src: RandomAccessReader,
    private readonly signal: AbortSignal,
    limits: SquashfsLimits,
  ) {
    const decompress = blockDecompressor(superblock.compression);
    const meta = new MetadataReader(src, decompress, { signal, maxMetadataBytes: limits.maxMetadataBytes });
    this.#parts = { src, sb: superblock, meta, decompress };
    this.#inodes = new InodeTable(superblock, meta);
    this.#dirs = new DirectoryTable(superblock, meta, signal);
  }

  /** Read the superblock of the image `src` holds. Throws RecipeError. */
  static async open(
    src: RandomAccessReader,
    opts: { signal: AbortSignal; limits?: Partial<SquashfsLimits> },
  ): Promise<SquashfsImage> {
    const sb = await readSuperblock(src, { signal: opts.signal });
    return new SquashfsImage(sb, src, opts.signal, { ...DEFAULT_SQUASHFS_LIMITS, ...opts.limits });
  }

  /** Metadata bytes decoded so far. */
  get metadataBytes(): number {
    return this.#parts.meta.decodedBytes;
  }

  /** The root directory. */
  async root(): Promise<DirectoryInode> {
    const inode = await this.#inodes.read(this.superblock.rootInode);
    if (inode.kind !== 'directory')
      throw new RecipeError('invalid-image', 'the squashfs root inode is not a directory');
    return inode;
  }

  /** The entries of a directory, in order. */
  entries(dir: DirectoryInode): AsyncGenerator<DirEntry> {
    return this.#dirs.entries(dir);
  }

  /** The entry `name` of `dir` and its inode, checked against each other; undefined when absent. */
  async lookup(dir: DirectoryInode, name: string): Promise<Inode | undefined> {
    const entry = await this.#dirs.lookup(dir, name);
    if (entry === undefined) return undefined;
    return this.inodeOf(entry);
  }

  /** The inode a directory entry names (its number and basic type must agree with the entry). */
  async inodeOf(entry: DirEntry): Promise<Inode> {
    const inode = await this.#inodes.read(entry.inode, entry.inodeNumber);
    const basic =
      inode.kind === 'directory' ? 1 : inode.kind === 'file' ? 2 : inode.kind === 'symlink' ? 3 : inode.type;
    if (basic !== entry.type)
      throw new RecipeError(
        'invalid-image',
        `squashfs directory entry ${JSON.stringify(entry.name)} says type ${entry.type}, its inode is type ${basic}`,
      );
    return inode;
  }

  /** The whole content of a regular file, at most `maxBytes`. */
  readFile(file: FileInode, opts: { maxBytes: number; what: string }): Promise<Uint8Array> {
    return readFileData(this.#parts, file, { signal: this.signal, ...opts });
  }

  /**
   * The whole content of several files (in the order asked), their blocks read in image order: a
   * source that streams forward passes over the image once for all of them.
   */
  readFiles(files: readonly FileRequest[]): Promise<Uint8Array[]> {
    return readFilesData(this.#parts, files, this.signal);
  }
}
