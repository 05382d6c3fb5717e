/**
 * Decompression of one squashfs block (a data block, a fragment block or a metadata block), always
 * with a cap on its output: the block size for data and fragment blocks, 8 KiB for metadata. A block
 * that inflates past its cap is a `size-limit` RecipeError found while inflating, never after: no
 * more than the cap (plus one decoder chunk) is ever held.
 *
 * - gzip: squashfs's "gzip" is a zlib stream; node:zlib with `maxOutputLength`.
 * - zstd: the project's layer decoder (node:zlib where Node has zstd, else fzstd), with its cap.
 * - xz: `xz-decompress` (XZ Embedded as WebAssembly), read as a stream and cancelled at the cap. It
 *   is used rather than a native binding because the bindings that install on Node 20 decode a block
 *   whole into memory, with no way to stop a decompression bomb early.
 */
import { createRequire } from 'node:module';
import type XzModule from 'xz-decompress';
import zlib from 'node:zlib';
import { RecipeError, toRecipeError } from '../../errors.js';
import { inflate } from '../inflate.js';
import type { SquashfsCompression } from './superblock.js';

export interface DecompressOptions {
  signal: AbortSignal;
  /** Most output bytes accepted; more is a `size-limit` RecipeError. */
  maxOutput: number;
  /** What is inflated, for messages (e.g. `squashfs data block at 1234`). */
  what: string;
}

/** Inflate one compressed block. */
export type BlockDecompressor = (input: Uint8Array, opts: DecompressOptions) => Promise<Uint8Array>;

/** The decompressor for a squashfs compression (gzip, xz or zstd). */
export function blockDecompressor(compression: SquashfsCompression): BlockDecompressor {
  switch (compression) {
    case 'gzip':
      return inflateZlib;
    case 'zstd':
      return inflateZstd;
    case 'xz':
      return inflateXz;
    default:
      throw new RecipeError('invalid-image', `squashfs compression ${compression} is not read`);
  }
}

function tooBig(opts: DecompressOptions): RecipeError {
  return new RecipeError('size-limit', `${opts.what} inflates to more than ${opts.maxOutput} bytes`, {
    details: { limit: opts.maxOutput },
  });
}

function corrupt(opts: DecompressOptions, err: unknown): RecipeError {
  if (err instanceof RecipeError) return err;
  return new RecipeError(
    'invalid-image',
    `${opts.what}: corrupt compressed data (${toRecipeError(err).message})`,
    {
      cause: err,
    },
  );
}

async function inflateZlib(input: Uint8Array, opts: DecompressOptions): Promise<Uint8Array> {
  opts.signal.throwIfAborted();
  return new Promise((resolve, reject) => {
    zlib.inflate(input, { maxOutputLength: Math.max(1, opts.maxOutput) }, (err, out) => {
      if (err === null) return resolve(out);
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError)
        return reject(tooBig(opts));
      reject(corrupt(opts, err));
    });
  });
}

async function inflateZstd(input: Uint8Array, opts: DecompressOptions): Promise<Uint8Array> {
  opts.signal.throwIfAborted();
  const stream = inflate('zstd', { maxInflatedBytes: opts.maxOutput, what: opts.what });
  const chunks: Uint8Array[] = [];
  let total = 0;
  const done = (async () => {
    for await (const chunk of stream as AsyncIterable<Uint8Array>) {
      chunks.push(chunk);
      total += chunk.length;
    }
  })();
  stream.end(input);
  try {
    await done;
  } catch (err) {
    if (err instanceof RecipeError && err.code === 'size-limit') throw tooBig(opts);
    throw corrupt(opts, err);
  }
  return concat(chunks, total);
}

async function inflateXz(input: Uint8Array, opts: DecompressOptions): Promise<Uint8Array> {
  opts.signal.throwIfAborted();
  const source = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(input);
      controller.close();
    },
  });
  // Loaded on first use: its WebAssembly decoder costs memory every scan would pay, and xz squashfs
  // blocks are rare.
  const xzDecompress = createRequire(import.meta.url)('xz-decompress') as typeof XzModule;
  const reader = new xzDecompress.XzReadableStream(source).getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      opts.signal.throwIfAborted();
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > opts.maxOutput) throw tooBig(opts);
      chunks.push(value);
    }
  } catch (err) {
    // Releases the decoder (XZ Embedded's state is freed on cancel).
    await reader.cancel().catch(() => undefined);
    if (err instanceof RecipeError) throw err;
    throw corrupt(opts, err);
  }
  return concat(chunks, total);
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
