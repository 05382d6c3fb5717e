/**
 * Random access to a blob of an ImageSource through byte ranges (HTTP `Range` on a registry): the
 * RandomAccessReader the SIF and squashfs readers parse from, when the source serves ranges directly.
 *
 * Each read the cache cannot answer is one ranged fetch. The readers ask for small pieces in a fixed
 * order (a 128-byte SIF header, its descriptor table, a 96-byte superblock, metadata blocks of at
 * most 8 KiB one after another), so a read shorter than `readAheadBytes` fetches that much from its
 * offset and keeps it: the next reads nearby (the descriptors after the header, the next metadata
 * blocks) cost no request. Longer reads (data blocks, at most 1 MiB) are fetched exactly and not
 * kept. A range is not digest-checked (the source holds it to its exact length): the blob is hashed
 * whole by a separate pass (blob-access.ts).
 */
import { RecipeError } from '../errors.js';
import type { Descriptor } from '../content/descriptor.js';
import type { ImageSource, RangeService } from '../content/image-source.js';
import type { RandomAccessReader, ReadOptions } from '../archive/random-access.js';

export interface RangedReaderOptions {
  /** A read shorter than this fetches this much from its offset, kept for the reads after it. Default 64 KiB. */
  readAheadBytes: number;
  /** Read-ahead pieces kept (the most recently used). Default 16: 1 MiB with the default read-ahead. */
  cachedPieces: number;
}

export const DEFAULT_RANGED_READER_OPTIONS: Readonly<RangedReaderOptions> = Object.freeze({
  readAheadBytes: 64 * 1024,
  cachedPieces: 16,
});

/** Bytes `start .. start+length-1` of the blob, exactly, through one ranged fetch. */
export async function fetchRange(
  source: ImageSource,
  desc: Descriptor,
  start: number,
  length: number,
  opts: { signal: AbortSignal; onRangeServed?: (how: RangeService) => void },
): Promise<Uint8Array> {
  const stream = await source.fetch(desc, {
    signal: opts.signal,
    range: { start, end: start + length - 1 },
    ...(opts.onRangeServed && { onRangeServed: opts.onRangeServed }),
  });
  const out = Buffer.alloc(length);
  let got = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (got + chunk.length > length)
        throw new RecipeError(
          'registry-error',
          `${source.name}: a range of ${desc.digest} ran past ${length} bytes`,
        );
      chunk.copy(out, got);
      got += chunk.length;
    }
  } finally {
    stream.destroy();
  }
  if (got !== length)
    throw new RecipeError(
      'truncated',
      `${source.name}: a range of ${desc.digest} ended after ${got} of ${length} bytes`,
    );
  return out;
}

/** The RandomAccessReader over ranges of one blob; counts what it fetched. */
export class RangedBlobReader implements RandomAccessReader {
  readonly size: number;
  readonly #opts: RangedReaderOptions;
  /** Kept pieces, least recently used first. */
  readonly #pieces: { start: number; bytes: Uint8Array }[] = [];
  #bytesRead = 0;
  #requests = 0;
  #fromStart = 0;

  constructor(
    private readonly source: ImageSource,
    private readonly desc: Descriptor,
    opts: Partial<RangedReaderOptions> = {},
  ) {
    this.size = desc.size;
    this.#opts = { ...DEFAULT_RANGED_READER_OPTIONS, ...opts };
  }

  /** Bytes fetched so far (read-ahead included). */
  get bytesRead(): number {
    return this.#bytesRead;
  }

  /** Range requests made so far. */
  get requests(): number {
    return this.#requests;
  }

  /** Ranges the source served by reading from the blob's start (a registry that stopped honouring Range). */
  get fromStart(): number {
    return this.#fromStart;
  }

  /** Keep bytes already fetched at `start` (the probe of the first bytes), counted as read. */
  seed(start: number, bytes: Uint8Array, requests: number): void {
    this.#bytesRead += bytes.length;
    this.#requests += requests;
    this.#keep(start, bytes);
  }

  async read(offset: number, length: number, opts: ReadOptions): Promise<Uint8Array> {
    const hit = this.#cached(offset, length);
    if (hit !== undefined) return hit;
    const want = Math.min(this.size - offset, Math.max(length, this.#opts.readAheadBytes));
    const bytes = await fetchRange(this.source, this.desc, offset, want, {
      signal: opts.signal,
      onRangeServed: (how) => {
        if (how === 'from-start') this.#fromStart++;
      },
    });
    this.#bytesRead += bytes.length;
    this.#requests++;
    if (want > length) this.#keep(offset, bytes);
    return bytes.subarray(0, length);
  }

  #cached(offset: number, length: number): Uint8Array | undefined {
    for (let i = this.#pieces.length - 1; i >= 0; i--) {
      const p = this.#pieces[i]!;
      if (offset >= p.start && offset + length <= p.start + p.bytes.length) {
        this.#pieces.splice(i, 1);
        this.#pieces.push(p);
        return p.bytes.subarray(offset - p.start, offset - p.start + length);
      }
    }
    return undefined;
  }

  #keep(start: number, bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.#pieces.push({ start, bytes });
    while (this.#pieces.length > this.#opts.cachedPieces) this.#pieces.shift();
  }
}
