/**
 * How the on-disk and in-memory sources hand out blobs: whole blobs through a VerifyStream (size and
 * digest checked, never more than `size` bytes), ranged reads through an exact-length check.
 */
import { pipeline, Readable } from 'node:stream';
import { RecipeError } from '../../errors.js';
import { VerifyStream } from '../../content/verify-stream.js';
import type { Descriptor } from '../../content/descriptor.js';
import type { FetchOptions } from '../../content/image-source.js';
import { exactLengthStream } from '../../content/range-stream.js';

/** Wrap `raw` (the blob of `desc`, or the asked range of it) in the checks the ImageSource contract promises. */
export function serveBlob(raw: Readable, desc: Descriptor, opts: FetchOptions, what: string): Readable {
  const check = opts.range
    ? exactLengthStream(opts.range.end - opts.range.start + 1, what)
    : new VerifyStream({ digest: desc.digest, size: desc.size, what });
  pipeline(raw, check, () => {});
  return check;
}

/** Bytes held in memory, as a stream of chunks of at most `chunkSize`. */
export function bytesStream(bytes: Uint8Array, opts: FetchOptions, chunkSize = 64 * 1024): Readable {
  let view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (opts.range) {
    const { start, end } = opts.range;
    if (!(
      Number.isSafeInteger(start) &&
      Number.isSafeInteger(end) &&
      start >= 0 &&
      end >= start &&
      end < view.length
    ))
      throw new RecipeError('usage', `byte range ${start}-${end} is outside the blob (${view.length} bytes)`);
    view = view.subarray(start, end + 1);
  }
  const chunks: Buffer[] = [];
  for (let i = 0; i < view.length; i += chunkSize) chunks.push(view.subarray(i, i + chunkSize));
  return Readable.from(chunks, { objectMode: false });
}

/** The descriptor for a digest must not carry a size that disagrees with what we know. */
export function checkKnownSize(desc: Descriptor, size: number, what: string): void {
  if (desc.size !== size)
    throw new RecipeError('digest-mismatch', `${what}: asked for ${desc.size} bytes, the blob has ${size}`);
}
