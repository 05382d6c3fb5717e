/**
 * zstd layers through Debian's `zstd` program (a child process, stdin -> stdout), where it is
 * installed: Node 20's zlib has no zstd, and the pure-JS decoder is several times slower than
 * inflating the same layer as gzip. Nothing touches the disk: the compressed bytes are piped in and
 * the tar bytes read back, with backpressure both ways.
 *
 * Contract: the same as inflate.ts's streams. Past `cap` inflated bytes the child is killed and the
 * stream fails with `size-limit`; a non-zero exit is `invalid-image` (corrupt or truncated data),
 * with the first line the program printed; destroying the stream (an early stop, an abort) kills the
 * child at once. The program's own decoding memory is bounded by its window limit (`--memory`).
 *
 * The program does not check the frames' content checksums (`--no-check`, a tenth of its time): every
 * layer read checks the compressed blob against its sha256 digest (read-layer.ts), which a damaged
 * byte cannot pass, and a result is reported only once that check has passed.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { Duplex } from 'node:stream';
import type { Readable, Writable } from 'node:stream';
import { RecipeError } from '../errors.js';

export interface ZstdProgramOptions {
  /** Most inflated bytes accepted. */
  cap: number;
  /** For messages. */
  what: string;
  /** Inflated bytes buffered ahead of the reader. */
  readableHighWaterMark: number;
  /** Compressed bytes buffered ahead of the program. */
  writableHighWaterMark: number;
}

/** zstd's own limit on a frame's window (its default too): a larger window is refused, not allocated. */
const WINDOW_MEMORY = '128MB';
/** Arguments: decompress stdin to stdout, quietly, within the window limit, checksums left to the digest. */
const ARGS = ['-d', '-c', '-q', '--no-check', `--memory=${WINDOW_MEMORY}`];
/** What is kept of the program's error output. */
const STDERR_BYTES = 2048;

let found: string | null | undefined;

/** The `zstd` program on PATH, or null (looked up once per process, without running anything). */
export function zstdProgram(): string | null {
  if (found !== undefined) return found;
  found = null;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const p = join(dir, 'zstd');
    try {
      accessSync(p, constants.X_OK);
      found = p;
      break;
    } catch {
      // not here
    }
  }
  return found;
}

/** A Duplex: zstd bytes in, inflated bytes out, through `program`. */
export class ZstdProgramStream extends Duplex {
  readonly #child: ChildProcessByStdio<Writable, Readable, Readable>;
  readonly #cap: number;
  readonly #what: string;
  #total = 0;
  #stderr = '';
  #exited = false;

  constructor(program: string, opts: ZstdProgramOptions) {
    super({
      readableHighWaterMark: opts.readableHighWaterMark,
      writableHighWaterMark: opts.writableHighWaterMark,
    });
    this.#cap = opts.cap;
    this.#what = opts.what;
    const child = spawn(program, ARGS, {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.#child = child;
    child.stdin.on('error', () => undefined); // a closed pipe: the exit status says why
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => {
      if (this.#stderr.length < STDERR_BYTES) this.#stderr += s.slice(0, STDERR_BYTES);
    });
    child.stdout.on('data', (chunk: Buffer) => {
      this.#total += chunk.length;
      if (this.#total > this.#cap) {
        this.destroy(
          new RecipeError('size-limit', `${this.#what} inflates to more than ${this.#cap} bytes`, {
            details: { maxInflatedBytes: this.#cap },
          }),
        );
        return;
      }
      if (!this.push(chunk)) child.stdout.pause();
    });
    child.on('error', (err) => {
      this.#exited = true;
      this.destroy(new RecipeError('internal', `${this.#what}: cannot run zstd: ${err.message}`));
    });
    child.on('close', (code, sig) => {
      this.#exited = true;
      if (this.destroyed) return;
      if (code === 0) this.push(null);
      else {
        const why = this.#stderr.trim().split('\n')[0] ?? '';
        this.destroy(
          new RecipeError(
            'invalid-image',
            `${this.#what}: corrupt zstd data${why ? `: ${why.replace(/^zstd: (\/\*stdin\*\\: )?/, '')}` : ''}${sig ? ` (${sig})` : ''}`,
          ),
        );
      }
    });
  }

  /** The child's process id (undefined when it could not start). */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  override _read(): void {
    this.#child.stdout.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    // Called back once the pipe took the whole chunk: the caller may then use its buffer again.
    this.#child.stdin.write(chunk, () => cb());
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.#child.stdin.end();
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (!this.#exited) this.#child.kill('SIGKILL');
    this.#child.stdout.destroy();
    this.#child.stdin.destroy();
    cb(err);
  }
}
