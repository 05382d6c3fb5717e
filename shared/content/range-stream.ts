/**
 * Pass-throughs for ranged blob reads, which have no digest to check: the exact length asked, and
 * a range cut out of a full body (for servers that ignore `Range`).
 */
import { Transform, type TransformCallback } from 'node:stream';
import { RecipeError } from '../errors.js';

/** A pass-through checking that exactly `length` bytes pass. */
export function exactLengthStream(length: number, what: string): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      seen += chunk.length;
      if (seen > length)
        return cb(new RecipeError('registry-error', `${what} is longer than the ${length} bytes asked`));
      cb(null, chunk);
    },
    flush(cb: TransformCallback) {
      if (seen < length)
        return cb(new RecipeError('truncated', `${what} ended after ${seen} of ${length} bytes`));
      cb();
    },
  });
}

/**
 * Skip `start` bytes, pass the next `length` bytes, then end: the rest of the body (a server that
 * ignored `Range` sends the whole blob, or never stops) is not waited for. The caller closes the
 * connection once this stream has ended.
 */
export function sliceStream(start: number, length: number): Transform {
  let pos = 0;
  let ended = false;
  const end = start + length;
  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      if (ended) return cb();
      const from = Math.max(start - pos, 0);
      const to = Math.min(end - pos, chunk.length);
      pos += chunk.length;
      if (to > from) this.push(chunk.subarray(from, to));
      if (pos >= end) {
        ended = true;
        this.push(null);
      }
      cb();
    },
  });
}
