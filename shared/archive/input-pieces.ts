/**
 * Compressed layer bytes gathered into pieces of a fixed size before they go to the inflater
 * (inflate.ts says why the inflater wants large pieces). Each piece is a copy, made into one of a few
 * buffers that are used again once the inflater is done with them: a layer then allocates a few MiB
 * for its input whatever its size, instead of its whole size in fresh buffers that the garbage
 * collector must find and free (each one external memory that makes it run sooner).
 *
 * Contract: a piece handed out by `add` or `rest` must not be read after `release(piece)`; pieces are
 * used again only when the owner says so (`reuse`), i.e. when the inflater neither passes its input on
 * nor keeps views of it.
 */
export class InputPieces {
  readonly #size: number;
  readonly #reuse: boolean;
  readonly #free: Buffer[] = [];
  #current: Buffer | undefined;
  #filled = 0;

  /** Pieces of `size` bytes; `reuse`: buffers given back by `release` hold later pieces. */
  constructor(size: number, reuse: boolean) {
    if (!Number.isSafeInteger(size) || size <= 0)
      throw new RangeError(`piece size must be positive: ${size}`);
    this.#size = size;
    this.#reuse = reuse;
  }

  /** Bytes gathered that are not yet part of a whole piece. */
  get gathered(): number {
    return this.#filled;
  }

  /** Copy `chunk` in. Returns the pieces it completed, in order (none when it fills none). */
  add(chunk: Uint8Array): Buffer[] {
    const done: Buffer[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      const piece = (this.#current ??= this.#free.pop() ?? Buffer.allocUnsafeSlow(this.#size));
      const n = Math.min(chunk.length - offset, this.#size - this.#filled);
      piece.set(chunk.subarray(offset, offset + n), this.#filled);
      this.#filled += n;
      offset += n;
      if (this.#filled === this.#size) {
        done.push(piece);
        this.#current = undefined;
        this.#filled = 0;
      }
    }
    return done;
  }

  /** What is gathered, as a last (shorter) piece; empty when nothing is. Gathering starts afresh. */
  rest(): Buffer {
    const piece = this.#current?.subarray(0, this.#filled) ?? Buffer.alloc(0);
    this.#current = undefined;
    this.#filled = 0;
    return piece;
  }

  /** Drop what is gathered (the reader stopped wanting the bytes). */
  clear(): void {
    if (this.#current !== undefined) this.release(this.#current);
    this.#current = undefined;
    this.#filled = 0;
  }

  /** The inflater is done with `piece`: its buffer may hold a later piece (when reusing). */
  release(piece: Buffer): void {
    if (!this.#reuse || piece.length !== this.#size || this.#free.length >= KEPT) return;
    this.#free.push(piece);
  }
}

/** Free buffers kept for later pieces: one being filled while two are queued at the inflater. */
const KEPT = 3;
