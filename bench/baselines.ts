/**
 * The baselines: what any reader of a blob must do at least, with the plain tools, no project code
 * (so a child process that runs only these loads nothing of ours).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { Decompress } from 'fzstd';

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

/** Baseline: read `path` and inflate it with the plain decoder; returns the inflated byte count. */
export async function rawInflate(
  path: string,
  compression: Compression,
  signal: AbortSignal,
): Promise<number> {
  const sink = counter();
  if (compression === 'gzip') await pipeline(createReadStream(path), createGunzip(), sink, { signal });
  else if (compression === 'none') await pipeline(createReadStream(path), sink, { signal });
  else {
    let n = 0;
    const d = new Decompress((chunk) => {
      n += chunk.length;
    });
    for await (const chunk of createReadStream(path, { signal, highWaterMark: 1024 * 1024 }))
      d.push(chunk as Buffer, false);
    d.push(new Uint8Array(0), true);
    return n;
  }
  return sink.bytes;
}

/** Baseline for a verified early stop: read and sha256 the whole blob. */
export async function readAndHash(path: string, signal: AbortSignal): Promise<void> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { signal, highWaterMark: 1024 * 1024 }))
    h.update(chunk as Buffer);
  h.digest();
}
