/**
 * The baselines: what any reader of a blob must do at least, with the plain tools, no project code
 * (so a child process that runs only these loads nothing of ours).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';

export type Compression = 'gzip' | 'zstd' | 'none';

/** Counts bytes and drops them. */
function counter(): Writable & { bytes: number } {
  const w = new Writable({
    highWaterMark: 1024 * 1024,
    write(chunk: Buffer, _enc, cb) {
      w.bytes += chunk.length;
      cb();
    },
  }) as Writable & { bytes: number };
  w.bytes = 0;
  return w;
}

/**
 * Baseline, the in-process floor (bench/floor.mjs's work on a file): read `path`, sha256 it once and
 * inflate it with the plain decoder (gzip: node:zlib with 1 MiB output chunks, as the scan uses;
 * zstd: the `zstd` program, Node 20 having no zstd decoder, and the bench making zstd images only
 * when the program is installed); returns the inflated byte count. The hash is part of it because a
 * verified read cannot do without it, as the end-to-end floor's is.
 */
export async function rawInflate(
  path: string,
  compression: Compression,
  signal: AbortSignal,
): Promise<number> {
  const sink = counter();
  const hash = createHash('sha256');
  const read = () => {
    const file = createReadStream(path, { highWaterMark: 1024 * 1024 });
    file.on('data', (chunk: string | Buffer) => void hash.update(chunk));
    return file;
  };
  if (compression === 'gzip')
    await pipeline(read(), createGunzip({ chunkSize: 1024 * 1024 }), sink, { signal });
  else if (compression === 'none') await pipeline(read(), sink, { signal });
  else {
    const z = spawn('zstd', ['-d', '-c', '-q'], { stdio: ['pipe', 'pipe', 'inherit'], signal });
    const exited = new Promise<void>((resolve, reject) => {
      z.on('error', reject);
      z.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`zstd exited with ${code}`))));
    });
    await Promise.all([pipeline(read(), z.stdin, { signal }), pipeline(z.stdout, sink, { signal }), exited]);
  }
  hash.digest();
  return sink.bytes;
}

/** Baseline for a verified early stop: read and sha256 the whole blob. */
export async function readAndHash(path: string, signal: AbortSignal): Promise<void> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { signal, highWaterMark: 1024 * 1024 }))
    h.update(chunk as Buffer);
  h.digest();
}
