/**
 * A pass-through that checks a blob against its descriptor: it never passes more than `size` bytes
 * (more is an error at once), and at the end fails with `truncated` (fewer bytes) or `digest-mismatch`.
 * `verified` is true only once the whole stream went through and matched.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { RecipeError } from '../errors.js';
import { digestAlgorithm, digester, type Digest, type Digester } from './digest.js';

export interface VerifyOptions {
  digest: Digest;
  size: number;
  /** What is being read, for messages. Default: the digest. */
  what?: string;
  /**
   * false: check the size only, because these bytes were already hashed to `digest` by whoever
   * serves them (a docker-archive indexed its members); hashing twice would halve throughput.
   * Default true.
   */
  hash?: boolean;
}

/** Counts, hashes and checks size + digest of the bytes flowing through it. */
export class VerifyStream extends Transform {
  readonly digest: Digest;
  readonly size: number;
  readonly what: string;
  #hash: Digester | undefined;
  #bytes = 0;
  #verified = false;

  constructor(opts: VerifyOptions) {
    super();
    if (!Number.isSafeInteger(opts.size) || opts.size < 0)
      throw new RecipeError(
        'invalid-image',
        `descriptor size is not a valid byte count: ${String(opts.size)}`,
      );
    this.digest = opts.digest;
    this.size = opts.size;
    this.what = opts.what ?? opts.digest;
    this.#hash = opts.hash === false ? undefined : digester(digestAlgorithm(opts.digest));
  }

  /** Bytes seen so far. */
  get bytes(): number {
    return this.#bytes;
  }

  /** True once the stream ended with exactly `size` bytes hashing to `digest` (with `hash: false`:
   *  exactly `size` bytes, from a server that hashed them itself). */
  get verified(): boolean {
    return this.#verified;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.#bytes += chunk.length;
    if (this.#bytes > this.size)
      return cb(
        new RecipeError('digest-mismatch', `${this.what}: more than the announced ${this.size} bytes`, {
          details: { expectedSize: this.size },
        }),
      );
    this.#hash?.update(chunk);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    if (this.#bytes < this.size)
      return cb(
        new RecipeError('truncated', `${this.what}: ended after ${this.#bytes} of ${this.size} bytes`, {
          details: { expectedSize: this.size, actualSize: this.#bytes },
        }),
      );
    const actual = this.#hash ? this.#hash.digest() : this.digest;
    if (actual !== this.digest)
      return cb(
        new RecipeError('digest-mismatch', `${this.what}: digest ${actual}, expected ${this.digest}`, {
          details: { expected: this.digest, actual },
        }),
      );
    this.#verified = true;
    cb();
  }
}
