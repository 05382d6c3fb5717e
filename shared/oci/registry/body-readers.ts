/**
 * Reading registry answer bodies: dropped, read with a cap (error bodies, manifests, tokens), or
 * streamed with every failure turned into one RecipeError. Nothing here hashes or parses.
 */
import type { Readable, Transform } from 'node:stream';
import { RecipeError, isRecipeError, toRecipeError } from '../../errors.js';

/** Drop a body we will not read (destroying it without a listener would throw its AbortError). */
export function discard(body: Readable): void {
  body.on('error', () => undefined);
  if (!body.destroyed) body.destroy();
}

/** Read at most `cap` bytes of an error body; the rest is dropped with the connection. */
export async function readErrorBody(body: Readable, cap: number): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let n = 0;
  try {
    for await (const c of body as AsyncIterable<Buffer>) {
      const room = cap - n;
      if (c.length >= room) {
        chunks.push(c.subarray(0, room));
        n = cap;
        break;
      }
      chunks.push(c);
      n += c.length;
    }
  } catch {
    // an error body that breaks off is still an error; what we have is enough
  }
  discard(body);
  return Buffer.concat(chunks);
}

/**
 * Read a whole body that must fit in `cap` bytes: `size-limit` when `Content-Length` (`announced`)
 * or the bytes say more, `truncated` when it breaks off or ends short of `Content-Length`.
 */
export async function readCapped(
  body: Readable,
  announced: string | undefined,
  cap: number,
  what: string,
): Promise<Uint8Array> {
  if (announced !== undefined && Number(announced) > cap) {
    discard(body);
    throw new RecipeError('size-limit', `${what} is ${announced} bytes, over the ${cap} byte cap`);
  }
  const chunks: Buffer[] = [];
  let n = 0;
  try {
    for await (const c of body as AsyncIterable<Buffer>) {
      n += c.length;
      if (n > cap) {
        discard(body);
        throw new RecipeError('size-limit', `${what} is over the ${cap} byte cap`);
      }
      chunks.push(c);
    }
  } catch (err) {
    if (isRecipeError(err)) throw err;
    const re = toRecipeError(err);
    if (re.code === 'aborted' || re.code === 'timeout') throw re;
    throw new RecipeError('truncated', `${what}: the connection dropped mid-body`, { cause: err });
  }
  const bytes = Buffer.concat(chunks);
  if (announced !== undefined && Number(announced) !== bytes.length)
    throw new RecipeError('truncated', `${what}: got ${bytes.length} of ${announced} bytes`);
  return bytes;
}

export interface BodyStreamOptions {
  /** The caller's signal: its abort is `aborted`. */
  caller: AbortSignal;
  /** The call's deadline: its expiry is `timeout`. */
  deadline: AbortSignal;
  deadlineMs: number;
  /** What is read, for messages. */
  what: string;
}

/** How a streamed body's failures read: one RecipeError (a drop mid-body is `truncated`). */
export function bodyError(opts: BodyStreamOptions): (err: unknown) => RecipeError {
  return (err) => {
    if (opts.caller.aborted) return new RecipeError('aborted', `${opts.what}: aborted`, { cause: err });
    if (opts.deadline.aborted)
      return new RecipeError('timeout', `${opts.what}: the read took longer than ${opts.deadlineMs} ms`, {
        cause: err,
      });
    if (isRecipeError(err)) return err;
    const re = toRecipeError(err);
    if (re.code === 'timeout' || re.code === 'aborted') return re;
    return new RecipeError('truncated', `${opts.what}: the connection dropped mid-body (${re.message})`, {
      cause: err,
    });
  };
}

/**
 * A body piped through `through`. The returned stream errors with one RecipeError (`bodyError`);
 * once it has ended (even before the body does: a range cut out of a whole body) or closed (an
 * error, an early stop by the reader) the body is dropped, which closes the connection. A body read
 * as it is needs none of this: hand it on with `bodyError` as its error mapping.
 */
export function bodyStream(
  body: Readable,
  through: [Transform, ...Transform[]],
  opts: BodyStreamOptions,
): Readable {
  const last = through[through.length - 1]!;
  const mapError = bodyError(opts);
  const fail = (err: unknown) => {
    if (!last.destroyed) last.destroy(mapError(err));
  };
  let prev: Readable = body;
  for (const t of through) {
    prev.pipe(t);
    prev = t;
  }
  body.on('error', fail);
  for (const t of through.slice(0, -1)) t.on('error', fail);
  const done = () => {
    discard(body);
    for (const t of through) if (!t.destroyed) t.destroy();
  };
  last.once('end', done);
  last.once('close', done);
  return last;
}
