/**
 * Read one layer blob: raw bytes -> verify (size + digest) -> inflate -> tar walk.
 *
 * An early stop (the visitor returned 'stop') ends inflating and parsing, but the raw blob keeps
 * being read into the hash to its end, so the layer still counts as verified (node-stack.md §2,
 * option a). Only when the rest is larger than `maxDrainBytes` is the read aborted, and then the
 * result says `verified: false`.
 */
import { once } from 'node:events';
import { pipeline, type Duplex, type Readable } from 'node:stream';
import { RecipeError, toRecipeError } from '../errors.js';
import type { Descriptor } from '../oci/descriptor.js';
import type { Compression } from '../oci/media-types.js';
import { inflate } from './inflate.js';
import { walkTar, type TarVisitor, type TarWalkResult } from './tar-walk.js';
import { VerifyStream } from './verify.js';

export interface ReadLayerOptions {
  signal: AbortSignal;
  /** The layer's compression, or 'detect' to decide from its first bytes (gzip, zstd, else plain tar). */
  compression: Compression | 'detect';
  /** Cap on inflated bytes (see inflate.ts). */
  maxInflatedBytes?: number;
  /** Cap on tar members (see tar-walk.ts). */
  maxEntries?: number;
  /** After an early stop, read at most this many remaining raw bytes to finish the hash; beyond, abort
   *  and report `verified: false`. Default: no limit (always verify). */
  maxDrainBytes?: number;
  /** For messages; default the digest. */
  what?: string;
  /** `raw` comes from an ImageSource, whose fetch already fails on a digest mismatch: count bytes,
   *  don't hash them again. Default false (hash here). */
  sourceVerifies?: boolean;
}

export interface ReadLayerResult {
  /** Raw (compressed) bytes read from the blob. */
  bytesRead: number;
  /** The whole blob was read and matched its size and digest. */
  verified: boolean;
  /** The visitor stopped before the end of the tar. */
  stopped: boolean;
  /** Members dropped because their names would escape the root. */
  unsafe: number;
}

/** Stream `raw` (the blob of `desc`) through verification, inflation and a tar walk. */
export async function readLayer(
  raw: Readable,
  desc: Descriptor,
  visitor: TarVisitor,
  opts: ReadLayerOptions,
): Promise<ReadLayerResult> {
  const what = opts.what ?? `layer ${desc.digest}`;
  const maxDrain = opts.maxDrainBytes ?? Number.POSITIVE_INFINITY;
  const verify = new VerifyStream({
    digest: desc.digest,
    size: desc.size,
    what,
    hash: opts.sourceVerifies !== true,
  });
  pipeline(raw, verify, () => {}); // errors surface through the iteration of `verify` below
  const walkAbort = new AbortController();
  const walkSignal = AbortSignal.any([opts.signal, walkAbort.signal]);
  let stopped = false;
  let walkError: RecipeError | undefined;
  let inflater: Duplex | undefined;
  let walk: Promise<TarWalkResult> | undefined;
  const start = (first: Uint8Array): Duplex => {
    const compression = opts.compression === 'detect' ? detectCompression(first, what) : opts.compression;
    const z = inflate(compression, {
      what,
      ...(opts.maxInflatedBytes !== undefined && { maxInflatedBytes: opts.maxInflatedBytes }),
    });
    z.on('error', () => {}); // reported by walkTar, or irrelevant after a stop
    walk = walkTar(z, visitor, {
      signal: walkSignal,
      what,
      ...(opts.maxEntries !== undefined && { maxEntries: opts.maxEntries }),
    }).then(
      (r) => {
        stopped = r.stopped;
        return r;
      },
      (err: unknown) => {
        walkError = toRecipeError(err);
        throw walkError;
      },
    );
    walk.catch(() => {}); // observed below; never an unhandled rejection
    return z;
  };

  const onAbort = (): void => {
    verify.destroy(new RecipeError('aborted', `${what}: aborted`));
  };
  opts.signal.addEventListener('abort', onAbort, { once: true });
  let bytesRead = 0;
  try {
    opts.signal.throwIfAborted();
    let head: Buffer[] = [];
    for await (const piece of verify as AsyncIterable<Buffer>) {
      bytesRead += piece.length;
      let chunk = piece;
      if (inflater === undefined) {
        // Enough bytes to tell the compression from its magic number.
        head.push(piece);
        chunk = Buffer.concat(head);
        if (chunk.length < MAGIC_BYTES) continue;
        head = [];
        inflater = start(chunk);
      }
      const failed = (): RecipeError | undefined => walkError; // set asynchronously by the walk
      const before = failed();
      if (before) throw before;
      if (!stopped) {
        if (!inflater.write(chunk)) await Promise.race([once(inflater, 'drain'), walk]);
        const err = failed();
        if (err) throw err;
      }
      if (stopped) {
        inflater.destroy();
        if (desc.size - bytesRead > maxDrain) {
          verify.destroy();
          raw.destroy();
          return {
            bytesRead,
            verified: false,
            stopped: true,
            unsafe: (await (walk as Promise<TarWalkResult>)).unsafe,
          };
        }
      }
    }
    // The blob matched its size and digest (VerifyStream fails the iteration otherwise).
    if (inflater === undefined) {
      const rest = Buffer.concat(head);
      inflater = start(rest);
      inflater.write(rest);
    }
    if (!stopped) inflater.end();
    const r = await (walk as Promise<TarWalkResult>);
    return { bytesRead, verified: verify.verified, stopped: r.stopped, unsafe: r.unsafe };
  } catch (err) {
    walkAbort.abort();
    inflater?.destroy();
    verify.destroy();
    raw.destroy();
    throw walkError ?? toRecipeError(err);
  } finally {
    opts.signal.removeEventListener('abort', onAbort);
  }
}

const MAGIC_BYTES = 6;

/** gzip, zstd or plain tar, from a blob's first bytes (xz and bzip2 are refused by name). */
export function detectCompression(first: Uint8Array, what = 'layer'): Compression {
  const b = (i: number): number => first[i] ?? -1;
  if (b(0) === 0x1f && b(1) === 0x8b) return 'gzip';
  if (b(0) === 0x28 && b(1) === 0xb5 && b(2) === 0x2f && b(3) === 0xfd) return 'zstd';
  if (b(0) === 0xfd && b(1) === 0x37 && b(2) === 0x7a && b(3) === 0x58 && b(4) === 0x5a)
    throw new RecipeError('unsupported-media-type', `${what} is xz-compressed, which is not supported`);
  if (b(0) === 0x42 && b(1) === 0x5a && b(2) === 0x68)
    throw new RecipeError('unsupported-media-type', `${what} is bzip2-compressed, which is not supported`);
  return 'none';
}
