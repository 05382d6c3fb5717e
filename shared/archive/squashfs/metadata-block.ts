/**
 * Squashfs metadata: the inode, directory and fragment tables are streams of records cut into blocks
 * of 8 KiB (uncompressed), each stored behind a u16 header (low 15 bits: stored size; bit 15: stored
 * uncompressed). A record may span two consecutive blocks.
 *
 * One read per block (header and body together, never past the table's end), one decompression
 * capped at 8 KiB, a small cache, and a budget on all metadata decoded for one image, so a table that
 * claims gigabytes of listings ends with `size-limit` instead of running on.
 */
import { RecipeError } from '../../errors.js';
import { readRange } from '../random-access.js';
import type { RandomAccessReader } from '../random-access.js';
import type { BlockDecompressor } from './block-decompressor.js';
import { METADATA_BLOCK_SIZE } from './superblock.js';

/** One decoded metadata block and where the next one starts. */
interface DecodedBlock {
  data: Uint8Array;
  next: number;
}

/** Blocks kept decoded (8 KiB each at most): enough for the path walk's working set. */
const CACHE_BLOCKS = 64;

export interface MetadataOptions {
  signal: AbortSignal;
  /** Most metadata bytes decoded for the image (all tables, cache misses only). */
  maxMetadataBytes: number;
}

/** Reads metadata blocks of one image. */
export class MetadataReader {
  readonly #cache = new Map<number, DecodedBlock>();
  #decoded = 0;

  constructor(
    private readonly src: RandomAccessReader,
    private readonly decompress: BlockDecompressor,
    private readonly opts: MetadataOptions,
  ) {}

  /** Metadata bytes decoded so far. */
  get decodedBytes(): number {
    return this.#decoded;
  }

  /** The block whose header is at `pos` (absolute), which must lie before `end`. */
  async block(pos: number, end: number, what: string): Promise<DecodedBlock> {
    const hit = this.#cache.get(pos);
    if (hit !== undefined) return hit;
    if (pos + 2 > end)
      throw new RecipeError(
        'invalid-image',
        `${what}: a metadata block at ${pos} lies past the end of its table (${end})`,
      );
    const raw = await readRange(this.src, pos, Math.min(2 + METADATA_BLOCK_SIZE, end - pos), {
      signal: this.opts.signal,
      what: `${what} metadata block at ${pos}`,
    });
    const header = raw[0]! | (raw[1]! << 8);
    const stored = header & 0x7fff;
    const uncompressed = (header & 0x8000) !== 0;
    if (stored === 0 || stored > METADATA_BLOCK_SIZE || 2 + stored > raw.length)
      throw new RecipeError(
        'invalid-image',
        `${what}: the metadata block at ${pos} has an invalid size ${stored}`,
      );
    const body = raw.subarray(2, 2 + stored);
    const data = uncompressed
      ? body
      : await this.decompress(body, {
          signal: this.opts.signal,
          maxOutput: METADATA_BLOCK_SIZE,
          what: `${what} metadata block at ${pos}`,
        });
    this.#decoded += data.length;
    if (this.#decoded > this.opts.maxMetadataBytes)
      throw new RecipeError(
        'size-limit',
        `squashfs metadata read for this image passed ${this.opts.maxMetadataBytes} bytes decoded`,
        { details: { limit: this.opts.maxMetadataBytes } },
      );
    const block = { data, next: pos + 2 + stored };
    if (this.#cache.size >= CACHE_BLOCKS) this.#cache.delete(this.#cache.keys().next().value!);
    this.#cache.set(pos, block);
    return block;
  }

  /** A cursor at `offset` bytes into the block at `pos`, for records of a table ending at `end`. */
  cursor(pos: number, offset: number, end: number, what: string): MetadataCursor {
    return new MetadataCursor(this, pos, offset, end, what);
  }
}

/** Sequential reads through consecutive metadata blocks of one table. */
export class MetadataCursor {
  constructor(
    private readonly meta: MetadataReader,
    private pos: number,
    private offset: number,
    private readonly end: number,
    private readonly what: string,
  ) {}

  /** Where the cursor is: the block's position and the offset into its decoded data. */
  get position(): { pos: number; offset: number } {
    return { pos: this.pos, offset: this.offset };
  }

  /** The next `n` bytes (n is small: a record or a bounded list), across block boundaries. */
  async read(n: number): Promise<Uint8Array> {
    const out = new Uint8Array(n);
    let got = 0;
    while (got < n) {
      const block = await this.meta.block(this.pos, this.end, this.what);
      if (this.offset > block.data.length)
        throw new RecipeError(
          'invalid-image',
          `${this.what}: offset ${this.offset} is past the ${block.data.length}-byte metadata block at ${this.pos}`,
        );
      const take = Math.min(n - got, block.data.length - this.offset);
      out.set(block.data.subarray(this.offset, this.offset + take), got);
      got += take;
      this.offset += take;
      if (got < n) {
        this.pos = block.next;
        this.offset = 0;
      }
    }
    return out;
  }
}
