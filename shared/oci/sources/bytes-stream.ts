/** Bytes held in memory served as a blob stream (the memory source; a docker-archive's manifest and config). */
import { Readable } from 'node:stream';
import type { FetchOptions } from '../../content/image-source.js';

/**
 * `bytes` (or the range `opts.range` of them, already checked against the descriptor) as a stream
 * of chunks of at most `chunkSize`. A range past the end of `bytes` yields what there is: the
 * length check after the source reports it.
 */
export function bytesStream(bytes: Uint8Array, opts: FetchOptions, chunkSize = 64 * 1024): Readable {
  let view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (opts.range) view = view.subarray(opts.range.start, opts.range.end + 1);
  const chunks: Buffer[] = [];
  for (let i = 0; i < view.length; i += chunkSize) chunks.push(view.subarray(i, i + chunkSize));
  return Readable.from(chunks, { objectMode: false });
}
