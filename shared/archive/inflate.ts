/**
 * Layer decompression: gzip | zstd | none -> one stream of tar bytes, with a cap on inflated bytes so a
 * layer that inflates without end (a decompression bomb) is stopped with a `size-limit` RecipeError.
 *
 * gzip runs on node:zlib. zstd runs on node:zlib where Node has it (22.15+, `createZstdDecompress`);
 * else, when asked (`zstd: 'program'`, what layer reads ask) and installed, on the `zstd` program
 * (zstd-program.ts); else on `fzstd` (pure JS, several times slower).
 */
import zlib from 'node:zlib';
import { Duplex, Transform, type TransformCallback } from 'node:stream';
import { Decompress } from 'fzstd';
import { RecipeError, toRecipeError } from '../errors.js';
import type { Compression } from '../content/media-types.js';
import { ZstdProgramStream, zstdProgram } from './zstd-program.js';

export interface InflateOptions {
  /** Most inflated bytes accepted before failing with `size-limit`. Default 16 GiB. */
  maxInflatedBytes?: number;
  /** What is being inflated, for messages (e.g. a layer digest). Default 'layer'. */
  what?: string;
  /**
   * zstd without node:zlib's decoder: `program` runs the `zstd` program when it is installed (one
   * child process per stream: for whole layers), `builtin` always runs fzstd (for many small blocks,
   * as squashfs has). Default `builtin`.
   */
  zstd?: 'program' | 'builtin';
}

/** Default cap on the inflated size of one layer. */
export const DEFAULT_MAX_INFLATED_BYTES = 16 * 1024 ** 3;

/**
 * zlib's output buffer: each one costs a thread-pool round trip and a push through the tar walk, so a
 * large one keeps the inflater busy and the main thread's share per byte small (zlib's default, 16 KiB,
 * spends more time in callbacks than in inflating).
 */
export const INFLATE_CHUNK = 1024 * 1024;

/**
 * Compressed bytes given to the inflater at a time. zlib returns to the main thread after each input
 * buffer, and a socket delivers 64 KiB reads: handed over as they come, a layer costs a thread-pool
 * round trip per 64 KiB, and the inflater waits on the main thread for each (a third of its time).
 */
export const INFLATE_INPUT = 1024 * 1024;

/**
 * Inflated bytes zlib may hold ahead of the tar walk: two output buffers, so the inflater goes on
 * with the next one while the walk takes the last (zlib pauses whenever its output is not taken).
 */
export const INFLATE_BUFFER = 2 * INFLATE_CHUNK;

/** Pieces of INFLATE_INPUT queued at the inflater's input: one being inflated, the next one waiting. */
export const INFLATE_PIECES = 2;

/** Compressed bytes queued at the inflater's input. */
const INFLATE_QUEUE = INFLATE_PIECES * INFLATE_INPUT;

/** node:zlib passes stream options on to its Transform (its types only list zlib's own). */
const GUNZIP_OPTIONS: zlib.ZlibOptions & { readableHighWaterMark: number; writableHighWaterMark: number } = {
  chunkSize: INFLATE_CHUNK,
  readableHighWaterMark: INFLATE_BUFFER,
  writableHighWaterMark: INFLATE_QUEUE,
};

/** Input slice fed to fzstd at a time: bounds what one push can expand to (RLE blocks). */
const FZSTD_SLICE = 1024;

/** A stream that turns compressed layer bytes into tar bytes, failing past `maxInflatedBytes`. */
export function inflate(compression: Compression, opts: InflateOptions = {}): Duplex {
  const cap = opts.maxInflatedBytes ?? DEFAULT_MAX_INFLATED_BYTES;
  const what = opts.what ?? 'layer';
  switch (compression) {
    case 'none':
      return new CountingPassThrough(cap, what);
    case 'gzip':
      return capPush(zlib.createGunzip(GUNZIP_OPTIONS), cap, what);
    case 'zstd': {
      const native = nativeZstd();
      if (native) return capPush(native(), cap, what);
      const program = opts.zstd === 'program' ? zstdProgram() : null;
      if (program !== null)
        return new ZstdProgramStream(program, {
          cap,
          what,
          readableHighWaterMark: INFLATE_BUFFER,
          writableHighWaterMark: INFLATE_QUEUE,
        });
      return fzstdStream(cap, what);
    }
    default:
      throw new RecipeError('unsupported-media-type', `unknown layer compression: ${String(compression)}`);
  }
}

/**
 * Whether the stream `inflate(compression, opts)` makes inflates away from the main thread (node:zlib
 * on the thread pool, the zstd program in its own process). Such a stream wants its input in pieces of
 * INFLATE_INPUT, and is done with each chunk written to it once that write's callback has run, so that
 * its buffer may hold other bytes. The others (the pass-through of plain tar, fzstd) work on the main
 * thread, pass their input on or keep views of it: they take chunks as they come.
 */
export function inflatesElsewhere(compression: Compression, opts: InflateOptions = {}): boolean {
  if (compression === 'gzip') return true;
  if (compression !== 'zstd') return false;
  return nativeZstd() !== undefined || (opts.zstd === 'program' && zstdProgram() !== null);
}

/** Whether zstd runs on node:zlib here (else on the program or fzstd). */
export function hasNativeZstd(): boolean {
  return nativeZstd() !== undefined;
}

/** What decodes a zstd layer here: `node:zlib`, `zstd program` or `fzstd`. */
export function zstdLayerDecoder(): string {
  return hasNativeZstd() ? 'node:zlib' : zstdProgram() !== null ? 'zstd program' : 'fzstd';
}

function nativeZstd(): (() => Transform) | undefined {
  const f = (zlib as unknown as { createZstdDecompress?: () => Transform }).createZstdDecompress;
  return typeof f === 'function' ? () => f.call(zlib) : undefined;
}

function capError(cap: number, what: string): RecipeError {
  return new RecipeError('size-limit', `${what} inflates to more than ${cap} bytes`, {
    details: { maxInflatedBytes: cap },
  });
}

/** Count what a zlib stream pushes downstream and destroy it past the cap (zlib keeps backpressure). */
function capPush<T extends Transform>(stream: T, cap: number, what: string): T {
  let total = 0;
  const push = stream.push.bind(stream);
  stream.push = (chunk: unknown, encoding?: BufferEncoding): boolean => {
    if (chunk !== null && chunk !== undefined) {
      total += (chunk as Uint8Array).length;
      if (total > cap) {
        stream.destroy(capError(cap, what));
        return false;
      }
    }
    return push(chunk, encoding);
  };
  return stream;
}

class CountingPassThrough extends Transform {
  #total = 0;
  constructor(
    private readonly cap: number,
    private readonly what: string,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.#total += chunk.length;
    if (this.#total > this.cap) return cb(capError(this.cap, this.what));
    cb(null, chunk);
  }
}

/**
 * fzstd's push API in a Duplex with real backpressure: input goes in small slices and each slice's
 * output is yielded before the next slice is decoded, so memory stays bounded even for RLE bombs.
 */
function fzstdStream(cap: number, what: string): Duplex {
  return Duplex.from(async function* (source: AsyncIterable<Uint8Array>) {
    let total = 0;
    let pending: Uint8Array[] = [];
    const d = new Decompress((chunk) => {
      if (chunk.length > 0) {
        total += chunk.length;
        if (total > cap) throw capError(cap, what);
        // fzstd reuses no buffer it hands out, but copy defensively: it keeps a window view.
        pending.push(Buffer.from(chunk));
      }
    });
    const feed = (slice: Uint8Array, final: boolean): void => {
      try {
        d.push(slice, final);
      } catch (err) {
        if (err instanceof RecipeError) throw err;
        throw new RecipeError('invalid-image', `${what}: corrupt zstd data: ${toRecipeError(err).message}`, {
          cause: err,
        });
      }
    };
    for await (const chunk of source) {
      for (let off = 0; off < chunk.length; off += FZSTD_SLICE) {
        feed(chunk.subarray(off, Math.min(chunk.length, off + FZSTD_SLICE)), false);
        if (pending.length > 0) {
          const out = pending;
          pending = [];
          yield* out;
        }
      }
    }
    feed(new Uint8Array(0), true);
    const out = pending;
    pending = [];
    yield* out;
  });
}
