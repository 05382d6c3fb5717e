/**
 * Random access to the bytes of an artifact (a SIF file, a squashfs image), the one way the SIF and
 * squashfs readers reach their input.
 *
 * Contract of every RandomAccessReader:
 *   - `read(offset, length)` returns exactly `length` bytes starting at `offset`, or throws a
 *     RecipeError (`truncated` when the source is shorter than it said, `aborted` on the signal);
 *   - callers go through `readRange`, which refuses a read past `size` (`invalid-image`: the
 *     structure that asked for it points outside the artifact) and any read longer than
 *     MAX_READ_BYTES (`size-limit`), so one hostile length field can never make us allocate more.
 *
 * The readers' access pattern is explicit and small: a header, the tables it points to, then only the
 * data blocks of the one file wanted. That keeps a ranged HTTP source (one request per read) cheap.
 *
 * Implementations here: a local file (`openFileReader`), bytes in memory (`memoryReader`), a window
 * of another reader (`sliceReader`, e.g. a SIF partition), and a byte counter (`CountingReader`).
 */
import { constants } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { RecipeError } from '../errors.js';

/** Options of one read. */
export interface ReadOptions {
  signal: AbortSignal;
}

/** Random access to a byte source of known size. */
export interface RandomAccessReader {
  /** Total size in bytes. */
  readonly size: number;
  /** Exactly `length` bytes at `offset` (see the module contract; call through `readRange`). */
  read(offset: number, length: number, opts: ReadOptions): Promise<Uint8Array>;
}

/**
 * The largest single read (1 MiB): squashfs's largest data block. Nothing the readers need is larger
 * in one piece; a field asking for more is refused before any allocation.
 */
export const MAX_READ_BYTES = 1024 * 1024;

/**
 * A checked read: within [0, size), at most MAX_READ_BYTES, exactly `length` bytes back.
 * `what` names the structure being read, for the error message.
 */
export async function readRange(
  reader: RandomAccessReader,
  offset: number,
  length: number,
  opts: ReadOptions & { what: string },
): Promise<Uint8Array> {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0)
    throw new RecipeError('invalid-image', `${opts.what}: invalid offset ${offset} or length ${length}`);
  if (length > MAX_READ_BYTES)
    throw new RecipeError(
      'size-limit',
      `${opts.what}: a read of ${length} bytes is over the ${MAX_READ_BYTES}-byte cap`,
      {
        details: { limit: MAX_READ_BYTES },
      },
    );
  if (offset + length > reader.size)
    throw new RecipeError(
      'invalid-image',
      `${opts.what}: bytes ${offset}..${offset + length} are outside the ${reader.size}-byte artifact`,
    );
  opts.signal.throwIfAborted();
  if (length === 0) return new Uint8Array(0);
  const bytes = await reader.read(offset, length, { signal: opts.signal });
  if (bytes.length !== length)
    throw new RecipeError('truncated', `${opts.what}: read ${bytes.length} of ${length} bytes at ${offset}`);
  return bytes;
}

/** Bytes in memory (tests, and anything already fetched whole). */
export function memoryReader(bytes: Uint8Array): RandomAccessReader {
  return {
    size: bytes.length,
    read: async (offset, length) => bytes.subarray(offset, offset + length),
  };
}

/** The window [offset, offset + size) of another reader, addressed from 0. */
export function sliceReader(inner: RandomAccessReader, offset: number, size: number): RandomAccessReader {
  if (offset < 0 || size < 0 || offset + size > inner.size)
    throw new RecipeError(
      'invalid-image',
      `a window ${offset}+${size} outside a ${inner.size}-byte artifact`,
    );
  return {
    size,
    read: (off, length, opts) => inner.read(offset + off, length, opts),
  };
}

/** Counts the bytes read through it (the `bytesRead` of a result). */
export class CountingReader implements RandomAccessReader {
  #bytesRead = 0;
  #reads = 0;
  constructor(private readonly inner: RandomAccessReader) {}
  get size(): number {
    return this.inner.size;
  }
  /** Bytes returned so far. */
  get bytesRead(): number {
    return this.#bytesRead;
  }
  /** Reads made so far. */
  get reads(): number {
    return this.#reads;
  }
  async read(offset: number, length: number, opts: ReadOptions): Promise<Uint8Array> {
    const bytes = await this.inner.read(offset, length, opts);
    this.#bytesRead += bytes.length;
    this.#reads++;
    return bytes;
  }
}

/** A reader over a local file; `close` releases it. */
export interface FileReader extends RandomAccessReader {
  close(): Promise<void>;
}

/**
 * Open a local regular file for random access. Anything else is refused before and after opening
 * (`invalid-image`): a FIFO waits for a writer, a device such as /dev/zero has no end, a directory
 * has no bytes. O_NONBLOCK keeps a FIFO swapped in between from blocking the open. A missing file is
 * `not-found`.
 */
export async function openFileReader(
  path: string,
  opts: { signal: AbortSignal; shown?: string },
): Promise<FileReader> {
  const shown = opts.shown ?? path;
  opts.signal.throwIfAborted();
  const missing = (err: NodeJS.ErrnoException): never => {
    throw new RecipeError(
      'not-found',
      `${shown}: ${err.code === 'ENOENT' ? 'no such file' : (err.code ?? err.message)}`,
      {
        cause: err,
      },
    );
  };
  const notRegular = (isDir: boolean): RecipeError =>
    new RecipeError(
      'invalid-image',
      `${shown}: ${isDir ? 'a directory' : 'not a regular file'}, not an image file`,
    );
  const before = await stat(path).catch(missing);
  if (!before.isFile()) throw notRegular(before.isDirectory());
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK).catch(missing);
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw notRegular(st.isDirectory());
    const size = st.size;
    return {
      size,
      async read(offset, length, readOpts) {
        readOpts.signal.throwIfAborted();
        const buf = new Uint8Array(length);
        let got = 0;
        while (got < length) {
          const { bytesRead } = await handle.read(buf, got, length - got, offset + got);
          if (bytesRead === 0) break;
          got += bytesRead;
        }
        if (got < length)
          throw new RecipeError(
            'truncated',
            `${shown}: the file ended at ${offset + got}, ${length - got} bytes early`,
          );
        return buf;
      },
      close: () => handle.close(),
    };
  } catch (err) {
    await handle.close();
    throw err;
  }
}
