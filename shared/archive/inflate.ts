/**
 * Layer decompression: gzip | zstd | none -> one stream of tar bytes, with a cap on inflated bytes so a
 * layer that inflates without end (a decompression bomb) is stopped with a `size-limit` RecipeError.
 *
 * gzip runs on node:zlib. zstd runs on node:zlib where Node has it (22.15+, `createZstdDecompress`),
 * else on `fzstd` (pure JS; Node 20's zlib has no zstd).
 */
import zlib from 'node:zlib';
import { Duplex, Transform, type TransformCallback } from 'node:stream';
import { Decompress } from 'fzstd';
import { RecipeError, toRecipeError } from '../errors.js';
import type { Compression } from '../content/media-types.js';

export interface InflateOptions {
  /** Most inflated bytes accepted before failing with `size-limit`. Default 16 GiB. */
  maxInflatedBytes?: number;
  /** What is being inflated, for messages (e.g. a layer digest). Default 'layer'. */
  what?: string;
}

/** Default cap on the inflated size of one layer. */
export const DEFAULT_MAX_INFLATED_BYTES = 16 * 1024 ** 3;

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
      return capPush(zlib.createGunzip(), cap, what);
    case 'zstd': {
      const native = nativeZstd();
      return native ? capPush(native(), cap, what) : fzstdStream(cap, what);
    }
    default:
      throw new RecipeError('unsupported-media-type', `unknown layer compression: ${String(compression)}`);
  }
}

/** Whether zstd runs on node:zlib here (else on fzstd). */
export function hasNativeZstd(): boolean {
  return nativeZstd() !== undefined;
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
