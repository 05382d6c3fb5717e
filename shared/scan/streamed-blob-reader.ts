/**
 * Random access to a blob whose source can only stream it forward (a registry that ignores `Range`
 * answers every ranged GET with the whole blob): reads are answered by passes over the blob, never a
 * layer on disk, never the whole blob in memory.
 *
 * - The first pass is THE verifying read: the whole blob through the ImageSource, hashed once there.
 *   It keeps what it was told to keep (`keep`: the squashfs tables, whose place the superblock near
 *   the start gives before the pass reaches them) and answers the reads ahead of it. While the parse
 *   has no read waiting, it pauses, so nothing the parse asks for next slips by unkept; once the
 *   parse is over it runs to the end of the blob.
 * - A read behind every running pass and not kept (a data block the tables point to: data comes
 *   before the tables) starts the next pass, a ranged fetch from that offset, which the source serves
 *   by streaming from the blob's start and cutting; it answers that read and the later ones ahead of
 *   it, and pauses between them. The squashfs reader asks for the blocks of the files it reads in image
 *   order (file-data.ts), so a Guix pack takes two passes in all. `maxPasses` bounds the rest.
 *
 * Memory: the kept regions (bounded by `maxKeptBytes`) and the reads waiting (each at most
 * MAX_READ_BYTES, one at a time from the sequential readers).
 */
import type { Readable } from 'node:stream';
import { RecipeError, toRecipeError } from '../errors.js';
import type { Descriptor } from '../content/descriptor.js';
import type { ImageSource } from '../content/image-source.js';
import type { RandomAccessReader, ReadOptions } from '../archive/random-access.js';

export interface StreamedReaderOptions {
  /** Most bytes kept from the passes (the head and the tables). Default 64 MiB. */
  maxKeptBytes: number;
  /** Most passes over the blob, the verifying one included. Default 4 (a Guix pack takes 2). */
  maxPasses: number;
}

export const DEFAULT_STREAMED_READER_OPTIONS: Readonly<StreamedReaderOptions> = Object.freeze({
  maxKeptBytes: 64 * 1024 * 1024,
  maxPasses: 4,
});

/** A region kept in memory: `filled` bytes from `start` are there. */
interface Kept {
  start: number;
  bytes: Uint8Array;
  filled: number;
}

/** A read waiting for a pass to reach it. */
interface Waiting {
  offset: number;
  length: number;
  buf: Uint8Array;
  got: number;
  /** Inside a kept region: its bytes are counted there. */
  inKept: boolean;
  resolve: (b: Uint8Array) => void;
  reject: (e: Error) => void;
}

interface Pass {
  /** The offset of the next byte it yields. */
  pos: number;
  verifying: boolean;
  waiting: Waiting[];
  /** Closed: no longer needed (a later pass, once the parse is over). */
  closed: boolean;
  /** Wakes the pass when it waits for a reason to go on. */
  wake: (() => void) | undefined;
  /** Its bytes so far. */
  streamed: number;
  /** Set when the pass failed or ended. */
  over: boolean;
}

/** The RandomAccessReader over forward passes of one blob (see the file comment). */
export class StreamedBlobReader implements RandomAccessReader {
  readonly size: number;
  readonly #opts: StreamedReaderOptions;
  readonly #kept: Kept[] = [];
  #keptBytes = 0;
  readonly #passes: Pass[] = [];
  #verifying: Promise<number> | undefined;
  #parseOver = false;
  #bytesRead = 0;
  #probed = 0;

  constructor(
    private readonly source: ImageSource,
    private readonly desc: Descriptor,
    private readonly signal: AbortSignal,
    opts: Partial<StreamedReaderOptions> = {},
  ) {
    this.size = desc.size;
    this.#opts = { ...DEFAULT_STREAMED_READER_OPTIONS, ...opts };
  }

  /** Bytes kept or handed to the parse from the passes (what the parse took from the blob). */
  get bytesRead(): number {
    return this.#bytesRead;
  }

  /** Passes started so far, the verifying one included. */
  get passes(): number {
    return this.#passes.length;
  }

  /** Every byte the source sent: the passes, and the probe of the first bytes. */
  get bytesTransferred(): number {
    return this.#probed + this.#passes.reduce((n, p) => n + p.streamed, 0);
  }

  /** Keep bytes already fetched from offset 0 (the probe of the first bytes). */
  seed(head: Uint8Array): void {
    this.#probed += head.length;
    this.#bytesRead += head.length;
    this.#addKept({ start: 0, bytes: head, filled: head.length });
  }

  /**
   * Keep `[start, end)` as the verifying pass goes by (the part it has passed already is not kept).
   * More than `maxKeptBytes` kept in all is a `size-limit` RecipeError.
   */
  keep(region: { start: number; end: number }): void {
    const first = this.#passes[0];
    const start = Math.max(region.start, first?.pos ?? 0);
    const end = Math.min(region.end, this.size);
    if (end <= start) return;
    if (this.#keptBytes + (end - start) > this.#opts.maxKeptBytes)
      throw new RecipeError(
        'size-limit',
        `${this.source.name}: the source ignores byte ranges, and the tables of ${this.desc.digest} (${end - start} bytes) are more than the ${this.#opts.maxKeptBytes} kept in memory to read it in passes`,
        { details: { limit: this.#opts.maxKeptBytes } },
      );
    this.#addKept({ start, bytes: new Uint8Array(end - start), filled: 0 });
  }

  /**
   * Start the verifying pass (once): the whole blob through the source, which hashes it. Resolves with
   * the bytes hashed when the blob ended with its digest and size right; rejects otherwise.
   */
  verify(): Promise<number> {
    this.#verifying ??= this.#run(0, true);
    return this.#verifying;
  }

  /** The parse is over: later passes close; the verifying pass runs to the end. */
  finish(): void {
    this.#parseOver = true;
    for (const p of this.#passes) {
      if (!p.verifying) p.closed = true;
      p.wake?.();
    }
  }

  async read(offset: number, length: number, opts: ReadOptions): Promise<Uint8Array> {
    opts.signal.throwIfAborted();
    if (length === 0) return new Uint8Array(0);
    for (const k of this.#kept)
      if (offset >= k.start && offset + length <= k.start + k.filled)
        return k.bytes.subarray(offset - k.start, offset - k.start + length);
    void this.verify().catch(() => undefined); // its failure reaches the reads waiting on it
    let pass: Pass | undefined;
    for (const p of this.#passes)
      if (!p.over && !p.closed && p.pos <= offset && (pass === undefined || p.pos > pass.pos)) pass = p;
    if (pass === undefined) {
      if (this.#passes.length >= this.#opts.maxPasses)
        throw new RecipeError(
          'size-limit',
          `${this.source.name}: the source ignores byte ranges, and reading ${this.desc.digest} would take more than ${this.#opts.maxPasses} passes over its ${this.size} bytes`,
          { details: { maxPasses: this.#opts.maxPasses } },
        );
      void this.#run(offset, false).catch(() => undefined);
      pass = this.#passes[this.#passes.length - 1]!;
    }
    const target = pass;
    return new Promise<Uint8Array>((resolve, reject) => {
      const inKept = this.#kept.some((k) => offset >= k.start && offset + length <= k.start + k.bytes.length);
      const w: Waiting = { offset, length, buf: new Uint8Array(length), got: 0, inKept, resolve, reject };
      const onAbort = (): void => {
        target.waiting = target.waiting.filter((x) => x !== w);
        reject(toRecipeError(opts.signal.reason));
      };
      opts.signal.addEventListener('abort', onAbort, { once: true });
      w.resolve = (b) => {
        opts.signal.removeEventListener('abort', onAbort);
        resolve(b);
      };
      w.reject = (e) => {
        opts.signal.removeEventListener('abort', onAbort);
        reject(e);
      };
      target.waiting.push(w);
      for (const p of this.#passes) p.wake?.();
    });
  }

  #addKept(k: Kept): void {
    this.#kept.push(k);
    this.#keptBytes += k.bytes.length;
  }

  /** One pass from `start`; resolves with its bytes once it ended (the verifying pass: at the blob's end). */
  async #run(start: number, verifying: boolean): Promise<number> {
    const pass: Pass = {
      pos: start,
      verifying,
      waiting: [],
      closed: false,
      wake: undefined,
      streamed: 0,
      over: false,
    };
    this.#passes.push(pass);
    let stream: Readable | undefined;
    try {
      stream = await this.source.fetch(
        this.desc,
        verifying
          ? { signal: this.signal }
          : {
              signal: this.signal,
              range: { start, end: this.size - 1 },
              // The bytes before `start` crossed the wire too, and were dropped.
              onRangeServed: (how) => {
                if (how === 'from-start') pass.streamed += start;
              },
            },
      );
      reading: for await (const chunk of stream as AsyncIterable<Buffer>) {
        pass.streamed += chunk.length;
        // A chunk is handed on only as far as a read waits for: the rest of it is held while the
        // parse thinks, so what it asks next is not dropped on the way.
        let rest: Buffer = chunk;
        while (rest.length > 0) {
          while (!pass.closed && !this.#flows(pass)) {
            await new Promise<void>((resolve) => (pass.wake = resolve));
            pass.wake = undefined;
          }
          if (pass.closed) break reading;
          rest = rest.subarray(this.#feed(pass, rest));
        }
      }
      if (!pass.closed && pass.waiting.length > 0)
        throw new RecipeError(
          'truncated',
          `${this.source.name}: ${this.desc.digest} ended before a read was answered`,
        );
      return pass.streamed;
    } catch (err) {
      const e = toRecipeError(err);
      for (const w of pass.waiting) w.reject(e);
      pass.waiting = [];
      throw e;
    } finally {
      pass.over = true;
      stream?.destroy();
    }
  }

  /** Whether a pass goes on reading: the verifying one unless the parse is thinking; the others while a read waits on them. */
  #flows(pass: Pass): boolean {
    if (pass.waiting.length > 0) return true;
    if (!pass.verifying) return false;
    return this.#parseOver || this.#passes.some((p) => p.waiting.length > 0);
  }

  /**
   * Hand the bytes of `chunk` (at the pass's position) to the kept regions and the reads waiting, up
   * to the end of the first read waiting on this pass (all of it when none waits); returns how many.
   */
  #feed(pass: Pass, whole: Buffer): number {
    const from = pass.pos;
    let take = whole.length;
    for (const w of pass.waiting) take = Math.min(take, Math.max(w.offset + w.length - from, 1));
    const chunk = whole.subarray(0, take);
    const to = from + chunk.length;
    pass.pos = to;
    if (pass.verifying)
      for (const k of this.#kept) {
        const at = k.start + k.filled;
        if (k.filled < k.bytes.length && at >= from && at < to) {
          const n = Math.min(to, k.start + k.bytes.length) - at;
          k.bytes.set(chunk.subarray(at - from, at - from + n), k.filled);
          k.filled += n;
          this.#bytesRead += n;
        }
      }
    if (pass.waiting.length === 0) return take;
    const still: Waiting[] = [];
    for (const w of pass.waiting) {
      const at = w.offset + w.got;
      if (at >= from && at < to) {
        const n = Math.min(to, w.offset + w.length) - at;
        w.buf.set(chunk.subarray(at - from, at - from + n), w.got);
        w.got += n;
        if (!w.inKept) this.#bytesRead += n;
      }
      if (w.got === w.length) w.resolve(w.buf);
      else still.push(w);
    }
    pass.waiting = still;
    return take;
  }
}
