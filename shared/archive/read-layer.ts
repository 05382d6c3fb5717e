/**
 * Read one layer blob: raw bytes -> verify (size + digest) -> inflate -> tar walk.
 *
 * An early stop (the visitor returned 'stop') ends inflating and parsing, but the raw blob keeps
 * being read into the hash to its end, so the layer still counts as verified. Only when the rest is larger than `maxDrainBytes` is the read aborted, and then the
 * result says `verified: false`.
 */
import { Writable, type Duplex, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RecipeError, toRecipeError } from '../errors.js';
import type { Descriptor } from '../content/descriptor.js';
import type { Compression } from '../content/media-types.js';
import { inflate, inflatesElsewhere, INFLATE_INPUT, INFLATE_PIECES, type InflateOptions } from './inflate.js';
import { InputPieces } from './input-pieces.js';
import { walkTar, type TarVisitor, type TarWalkResult } from './tar-walk.js';
import { VerifyStream } from '../content/verify-stream.js';

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
  /** Called with the raw bytes read so far after each chunk (a progress display throttles it). */
  onBytes?: (bytesRead: number) => void;
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
  if (!Number.isSafeInteger(desc.size) || desc.size < 0)
    throw new RecipeError('invalid-image', `${what}: descriptor size is not a valid byte count`);
  // With a verifying source, the sink below counts and caps the bytes: no second pass-through.
  const verify =
    opts.sourceVerifies === true
      ? undefined
      : new VerifyStream({ digest: desc.digest, size: desc.size, what });
  const walkAbort = new AbortController();
  const walkSignal = AbortSignal.any([opts.signal, walkAbort.signal]);
  // The walk settles early on a stop, at the tar's end-of-archive marker, or on an error; from then
  // on the rest of the blob is only counted (and hashed upstream), never inflated.
  let walkDone = false;
  let walkError: RecipeError | undefined;
  let inflater: Duplex | undefined;
  let walk: Promise<TarWalkResult> | undefined;
  // Raw bytes not yet given to an inflater that works away from the main thread: handed over
  // INFLATE_INPUT at a time (see inflate.ts); other inflaters take the chunks as they come.
  let pieces: InputPieces | undefined;
  const start = (first: Uint8Array): Duplex => {
    const compression = opts.compression === 'detect' ? detectCompression(first, what) : opts.compression;
    const inflateOpts: InflateOptions = {
      what,
      zstd: 'program', // one stream per layer: the zstd program, when installed, is worth its start
      ...(opts.maxInflatedBytes !== undefined && { maxInflatedBytes: opts.maxInflatedBytes }),
    };
    const z = inflate(compression, inflateOpts);
    if (inflatesElsewhere(compression, inflateOpts)) pieces = new InputPieces(INFLATE_INPUT, true);
    z.on('error', () => {}); // reported by walkTar, or irrelevant once the walk is done
    walk = walkTar(z, visitor, {
      signal: walkSignal,
      what,
      ...(opts.maxEntries !== undefined && { maxEntries: opts.maxEntries }),
    }).then(
      (r) => {
        walkDone = true;
        resume();
        return r;
      },
      (err: unknown) => {
        walkDone = true;
        walkError = toRecipeError(err);
        resume();
        throw walkError;
      },
    );
    walk.catch(() => {}); // observed below; never an unhandled rejection
    return z;
  };

  let bytesRead = 0;
  const onBytes = opts.onBytes;
  let head: Buffer[] = [];
  let headBytes = 0;
  let abandoned = false;
  /** After the walk is done: drop the inflater; give up on the rest when it is over the drain budget. */
  const afterWalk = (): Error | null => {
    if (walkError) return walkError;
    pieces?.clear();
    if (inflater !== undefined && !inflater.destroyed) inflater.destroy();
    if (desc.size - bytesRead > maxDrain) {
      abandoned = true;
      return ABANDONED;
    }
    return null;
  };
  // Pieces written to the inflater and not yet taken: at most INFLATE_PIECES, so that it always has
  // the next one queued (waiting for its 'drain', which comes only once the queue is empty, would
  // leave it idle while the next piece is gathered).
  let inFlight = 0;
  /** Write `piece` to the inflater; its buffer goes back to `pieces` once the inflater is done with it. */
  const feed = (z: Duplex, piece: Buffer): void => {
    inFlight += 1;
    z.write(piece, () => {
      inFlight -= 1;
      pieces?.release(piece);
      if (inFlight < INFLATE_PIECES) resume();
    });
  };
  const sink = new Writable({
    highWaterMark: INFLATE_INPUT,
    write(chunk: Buffer, _enc, cb) {
      bytesRead += chunk.length;
      onBytes?.(bytesRead);
      if (bytesRead > desc.size)
        return cb(
          new RecipeError('digest-mismatch', `${what}: more than the announced ${desc.size} bytes`, {
            details: { expectedSize: desc.size },
          }),
        );
      if (walkDone) return cb(afterWalk());
      let input = chunk;
      if (inflater === undefined) {
        // Enough bytes to tell the compression from its magic number.
        head.push(chunk);
        headBytes += chunk.length;
        if (headBytes < MAGIC_BYTES) return cb();
        input = Buffer.concat(head);
        head = [];
        try {
          inflater = start(input);
        } catch (err) {
          return cb(err as Error);
        }
      }
      if (pieces === undefined) feed(inflater, input);
      else for (const piece of pieces.add(input)) feed(inflater, piece);
      if (inFlight < INFLATE_PIECES) return cb();
      // Wait for the inflater to take a piece, or for the walk to end (it may stop reading for good).
      waiting = cb;
    },
  });
  /** The sink's write waiting for the inflater; one at a time (a Writable writes one chunk at a time). */
  let waiting: ((err?: Error | null) => void) | undefined;
  function resume(): void {
    const cb = waiting;
    if (cb === undefined) return;
    waiting = undefined;
    cb(walkDone ? afterWalk() : null);
  }

  try {
    opts.signal.throwIfAborted();
    await (verify
      ? pipeline(raw, verify, sink, { signal: opts.signal })
      : pipeline(raw, sink, { signal: opts.signal }));
    if (bytesRead !== desc.size)
      throw new RecipeError('truncated', `${what}: ended after ${bytesRead} of ${desc.size} bytes`, {
        details: { expectedSize: desc.size, actualSize: bytesRead },
      });
    // The blob matched its size and digest (the pipeline fails otherwise).
    if (inflater === undefined) {
      const whole = Buffer.concat(head);
      inflater = start(whole);
      inflater.end(whole);
    } else if (!walkDone) {
      const rest = pieces?.rest();
      if (rest !== undefined && rest.length > 0) feed(inflater, rest);
      inflater.end();
    } else if (!inflater.destroyed) inflater.destroy();
    const r = await (walk as Promise<TarWalkResult>);
    // What the walk left unread (after an early stop or the end-of-archive marker) is dropped; an
    // inflater that is a child process must be ended, not left waiting for a reader.
    if (!inflater.destroyed) inflater.destroy();
    return {
      bytesRead,
      verified: verify ? verify.verified : true,
      stopped: r.stopped,
      unsafe: r.unsafe,
    };
  } catch (err) {
    if (abandoned && !walkError) {
      // Over the drain budget after the walk was done: the parse result stands, unverified.
      raw.destroy();
      const r = await (walk as Promise<TarWalkResult>);
      return { bytesRead, verified: false, stopped: r.stopped, unsafe: r.unsafe };
    }
    walkAbort.abort();
    inflater?.destroy();
    raw.destroy();
    if (walkError) throw walkError;
    if (opts.signal.aborted) throw new RecipeError('aborted', `${what}: aborted`, { cause: err });
    throw toRecipeError(err);
  }
}

/** The sink's way to end the pipeline when the rest of the blob is over the drain budget. */
const ABANDONED = new Error('drain budget exceeded');

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
