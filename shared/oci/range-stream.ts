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

/** Skip `start` bytes, pass the next `length` bytes, drop the rest. */
export function sliceStream(start: number, length: number): Transform {
  let pos = 0;
  const end = start + length;
  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      const from = Math.max(start - pos, 0);
      const to = Math.min(end - pos, chunk.length);
      pos += chunk.length;
      cb(null, to > from ? chunk.subarray(from, to) : undefined);
    },
  });
}
