/**
 * How one layer blob holding a SIF or squashfs file is read from an ImageSource: a parse through
 * random access, and a verification that hashes the whole blob once.
 *
 * The first read (the blob's first bytes, which also tell its format) decides:
 *   - `ranges`: the source served it directly (a registry answering 206, a file): the parse reads
 *     byte ranges (ranged-blob-reader.ts), only what it needs; the verification is one separate
 *     streamed pass over the whole blob, hashed by the source, nothing inflated. It runs while the
 *     parse does.
 *   - `streamed`: the source read the blob from its start to cut the range out (a registry that
 *     ignores `Range`): passes over the blob (streamed-blob-reader.ts), the first of which is the
 *     verification; it keeps the tables for the parse, and the second takes the blocks they point to.
 */
import type { Descriptor } from '../content/descriptor.js';
import type { ImageSource, RangeService } from '../content/image-source.js';
import type { RandomAccessReader } from '../archive/random-access.js';
import { fetchRange, RangedBlobReader, type RangedReaderOptions } from './ranged-blob-reader.js';
import { StreamedBlobReader, type StreamedReaderOptions } from './streamed-blob-reader.js';
import type { ArtifactRead } from './apptainer-artifact.js';

/** Bounds of both ways of reading; every one has a default (the readers' files). */
export type BlobAccessOptions = Partial<RangedReaderOptions & StreamedReaderOptions>;

export interface BlobAccess {
  readonly mode: ArtifactRead['mode'];
  /** The blob's first bytes (the read-ahead of the first read, or less for a smaller blob). */
  readonly head: Uint8Array;
  /** What the parse reads from. */
  readonly reader: RandomAccessReader;
  /** Where the tables are (a streamed read keeps them as its first pass goes by). */
  keep(region: { start: number; end: number }): void;
  /** The verifying pass, started once: resolves with the bytes hashed, rejects on a mismatch. */
  verify(): Promise<number>;
  /** The parse is over: no more reads (later streamed passes close). */
  finish(): void;
  /** What it cost so far (`bytesHashed` is the caller's: the verification's result). */
  cost(): Omit<ArtifactRead, 'bytesHashed'>;
}

/** Read the first bytes of `desc` and open it in the way the source serves ranges. */
export async function openBlobAccess(
  source: ImageSource,
  desc: Descriptor,
  opts: { signal: AbortSignal } & BlobAccessOptions,
): Promise<BlobAccess> {
  const ranged = new RangedBlobReader(source, desc, opts);
  let served: RangeService = 'direct';
  const headLength = Math.min(desc.size, opts.readAheadBytes ?? 64 * 1024);
  const head =
    headLength === 0
      ? new Uint8Array(0)
      : await fetchRange(source, desc, 0, headLength, {
          signal: opts.signal,
          onRangeServed: (how) => (served = how),
        });
  if (served === 'direct') {
    ranged.seed(0, head, headLength === 0 ? 0 : 1);
    let hashing: Promise<number> | undefined;
    let hashed = 0;
    return {
      mode: 'ranges',
      head,
      reader: ranged,
      keep: () => undefined,
      verify() {
        hashing ??= (async () => {
          const stream = await source.fetch(desc, { signal: opts.signal });
          try {
            for await (const chunk of stream as AsyncIterable<Buffer>) hashed += chunk.length;
          } finally {
            stream.destroy();
          }
          return hashed;
        })();
        return hashing;
      },
      finish: () => undefined,
      cost: () => ({
        mode: 'ranges',
        requests: ranged.requests,
        passes: hashing === undefined ? 0 : 1,
        bytesRead: ranged.bytesRead,
        bytesTransferred: ranged.bytesRead + hashed,
      }),
    };
  }
  const streamed = new StreamedBlobReader(source, desc, opts.signal, opts);
  streamed.seed(head);
  return {
    mode: 'streamed',
    head,
    reader: streamed,
    keep: (region) => streamed.keep(region),
    verify: () => streamed.verify(),
    finish: () => streamed.finish(),
    cost: () => ({
      mode: 'streamed',
      requests: 1,
      passes: streamed.passes,
      bytesRead: streamed.bytesRead,
      bytesTransferred: streamed.bytesTransferred,
    }),
  };
}
