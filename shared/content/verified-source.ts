/**
 * The one place content is verified: a RawImageSource in, the ImageSource the scan trusts out.
 *
 * - The top manifest: capped, its claimed size checked, its bytes hashed once (with the algorithm of
 *   the digest claimed or asked for, else sha256) and compared with that digest; bytes the source
 *   wrote and hashed itself (`RawManifest.hashed`) are not hashed again.
 * - A blob or a range of it: refused at once when what the source announces about the blob (its
 *   size, its digest) disagrees with the descriptor. A whole blob (child manifests included) is then
 *   streamed through one VerifyStream (size + digest; never more
 *   than `size` bytes; `truncated` / `digest-mismatch` at the end). Bytes the source already hashed
 *   itself (`RawBlob.hashed`) are counted, not hashed again.
 * - A range: checked to lie inside the blob before the source is asked, then held to its exact length.
 *
 * The registry client's public calls use the same functions (`verifiedManifest`, `verifiedBlob`), so
 * there is one definition of "verified" in the project.
 */
import { finished, type Readable, type Transform } from 'node:stream';
import { RecipeError } from '../errors.js';
import type { Descriptor } from './descriptor.js';
import { digestAlgorithm, digestOf, type Digest } from './digest.js';
import type {
  DockerArchiveLayout,
  FetchOptions,
  ImageSource,
  RawBlob,
  RawImageSource,
  RawManifest,
} from './image-source.js';
import { exactLengthStream } from './range-stream.js';
import { VerifyStream } from './verify-stream.js';

export interface VerifyLimits {
  /** Largest top-level manifest accepted. Default 4 MiB. */
  maxManifestBytes?: number;
}

const DEFAULT_MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/** A range must be integers inside `0..desc.size-1`, start <= end (`usage` otherwise). */
export function checkRange(desc: Descriptor, range: { start: number; end: number }, what: string): void {
  const { start, end } = range;
  if (!(
    Number.isSafeInteger(start) &&
    Number.isSafeInteger(end) &&
    start >= 0 &&
    end >= start &&
    end < desc.size
  ))
    throw new RecipeError(
      'usage',
      `${what}: byte range ${start}-${end} is outside the blob (${desc.size} bytes)`,
    );
}

function checkSize(desc: Descriptor, what: string): void {
  if (!Number.isSafeInteger(desc.size) || desc.size < 0)
    throw new RecipeError('invalid-image', `${what}: descriptor size is not a valid byte count`);
}

/** Drop a stream nobody will read (destroying it without a listener would throw its error). */
function drop(stream: Readable): void {
  stream.on('error', () => undefined);
  if (!stream.destroyed) stream.destroy();
}

/**
 * A raw blob held to its descriptor (whole) or to the range's length. Destroying the returned stream
 * (an early stop) destroys the raw one. The range, if any, must already be checked (`checkRange`).
 */
export function verifiedBlob(raw: RawBlob, desc: Descriptor, opts: FetchOptions, what: string): Readable {
  const { stream } = raw;
  if (raw.announced) {
    const { size, digest } = raw.announced;
    if (size !== undefined && size !== desc.size) {
      drop(stream);
      throw new RecipeError(
        'digest-mismatch',
        `${what}: the source has ${String(size).slice(0, 20)} bytes, the descriptor says ${desc.size}`,
        { details: { expected: desc.digest, size: desc.size } },
      );
    }
    if (digest !== undefined && digest !== desc.digest) {
      drop(stream);
      throw new RecipeError(
        'digest-mismatch',
        `${what}: the source names its digest ${digest.slice(0, 140)}`,
        {
          details: { expected: desc.digest },
        },
      );
    }
  }
  const check = opts.range
    ? exactLengthStream(opts.range.end - opts.range.start + 1, what)
    : new VerifyStream({ digest: desc.digest, size: desc.size, what, hash: raw.hashed !== true });
  return joined(raw, check);
}

/**
 * `raw.stream` piped into `check`: the raw stream's failure (an error, or a close before its end)
 * destroys `check` with it, mapped by `raw.mapError`; `check` closing (its end, an error, an early
 * stop by the reader) destroys the raw stream. The raw stream counts as done at the end of its
 * readable side (a range cut out of a longer body ends before its writable side does).
 */
function joined(raw: RawBlob, check: Transform): Readable {
  const { stream } = raw;
  const mapError = raw.mapError ?? ((err: unknown) => err as Error);
  finished(stream, { readable: true, writable: false }, (err) => {
    if (err && !check.destroyed) check.destroy(mapError(err));
  });
  check.once('close', () => {
    if (!stream.destroyed) stream.destroy();
  });
  stream.pipe(check);
  return check;
}

/** The cheap checks of top-level manifest bytes: the cap and the claimed size. */
function checkManifestSize(raw: RawManifest, what: string, max: number): void {
  const n = raw.bytes.length;
  if (n > max) throw new RecipeError('size-limit', `${what} is ${n} bytes, more than the ${max} accepted`);
  if (raw.size !== undefined && raw.size !== n)
    throw new RecipeError('digest-mismatch', `${what} is ${n} bytes, its descriptor says ${raw.size}`, {
      details: { expectedSize: raw.size, actualSize: n },
    });
}

/**
 * The descriptor of top-level manifest bytes: capped at `max`, the claimed size checked, hashed once
 * and compared with the claimed digest.
 */
export function verifiedManifest(raw: RawManifest, what: string, max: number): Descriptor {
  checkManifestSize(raw, what, max);
  const annotations = raw.annotations ? { annotations: raw.annotations } : {};
  if (raw.hashed === true && raw.digest !== undefined)
    return { mediaType: raw.mediaType, digest: raw.digest, size: raw.bytes.length, ...annotations };
  const digest = digestOf(raw.bytes, raw.digest ? digestAlgorithm(raw.digest) : 'sha256');
  if (raw.digest !== undefined && digest !== raw.digest)
    throw new RecipeError('digest-mismatch', `${what} has digest ${digest}, expected ${raw.digest}`, {
      details: { expected: raw.digest, actual: digest },
    });
  return { mediaType: raw.mediaType, digest, size: raw.bytes.length, ...annotations };
}

/** A RawImageSource behind the checks above; `raw` stays reachable for what only it knows. */
export class VerifiedSource<R extends RawImageSource = RawImageSource> implements ImageSource {
  readonly name: string;
  readonly #maxManifest: number;
  /** The last top manifest verified: the same bytes object with the same claim is not hashed again
   *  (sources that hold their manifest, like an OCI layout, answer every call with it). */
  #last: { bytes: Uint8Array; claim: Digest | undefined; descriptor: Descriptor } | undefined;

  constructor(
    readonly raw: R,
    limits: VerifyLimits = {},
  ) {
    this.name = raw.name;
    this.#maxManifest = limits.maxManifestBytes ?? DEFAULT_MAX_MANIFEST_BYTES;
  }

  async manifest(opts: { signal: AbortSignal }): Promise<{ descriptor: Descriptor; bytes: Uint8Array }> {
    const got = await this.raw.manifest(opts);
    const last = this.#last;
    if (last !== undefined && last.bytes === got.bytes && last.claim === got.digest) {
      checkManifestSize(got, `${this.name} manifest`, this.#maxManifest);
      return { descriptor: { ...last.descriptor, mediaType: got.mediaType }, bytes: got.bytes };
    }
    const descriptor = verifiedManifest(got, `${this.name} manifest`, this.#maxManifest);
    this.#last = { bytes: got.bytes, claim: got.digest, descriptor };
    return { descriptor, bytes: got.bytes };
  }

  async fetch(desc: Descriptor, opts: FetchOptions): Promise<Readable> {
    const what = `${this.name} blob ${desc.digest}`;
    checkSize(desc, what);
    if (opts.range) checkRange(desc, opts.range, what);
    const raw = await this.raw.fetch(desc, opts);
    return verifiedBlob(raw, desc, opts, what);
  }

  /** Capabilities of the raw source pass through as they are: they describe, they do not read. */
  dockerArchive(): DockerArchiveLayout | undefined {
    return this.raw.dockerArchive?.();
  }

  async close(): Promise<void> {
    await this.raw.close?.();
  }
}

/** The ImageSource over `raw`: see the file comment. */
export function verifiedSource<R extends RawImageSource>(
  raw: R,
  limits: VerifyLimits = {},
): VerifiedSource<R> {
  return new VerifiedSource(raw, limits);
}
