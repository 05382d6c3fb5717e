/**
 * Random access to the members of a tar (or tar.gz, tar.zst) file on disk, without unpacking it: one
 * streaming pass indexes every regular member (data offset, size, first bytes, optionally its sha256);
 * a member is then read in place (uncompressed tar: a byte range of the file; compressed: inflated
 * again from the start, up to the member). Nothing is written to disk and no member is held whole in
 * memory. The compression is told by the file's magic number; xz, bzip2 and lzip (which `guix pack -C`
 * can also write) are named in a clear error rather than read.
 */
import { createReadStream } from 'node:fs';
import { open as openFile } from 'node:fs/promises';
import { addAbortSignal, pipeline, Readable } from 'node:stream';
import tar from 'tar-stream';
import { RecipeError, toRecipeError } from '../errors.js';
import { digester, type Digest } from '../content/digest.js';
import type { FetchOptions } from '../content/image-source.js';
import { inflate } from './inflate.js';
import type { Compression } from '../content/media-types.js';
import { normaliseMemberPath } from './tar-walk.js';

/** Read size for archive files: 1 MiB reads cost far less per byte than the 64 KiB default. */
const FILE_CHUNK_BYTES = 1024 * 1024;

export interface ArchiveMember {
  /** Normalised name (no `./` or leading `/`). */
  name: string;
  /** Offset of the member's data in the uncompressed tar stream. */
  offset: number;
  size: number;
  /** The first bytes of the data (up to 8), for magic-number checks. */
  head: Buffer;
  /** sha256 of the data, when the archive was indexed with `hash: true`. */
  digest?: Digest;
}

export interface TarArchiveOptions {
  signal: AbortSignal;
  /** Hash every member while indexing (docker-archive needs layer digests). Default false. */
  hash?: boolean;
  /** Most members accepted. Default 100,000. */
  maxMembers?: number;
  /** Cap on the inflated size of a tar.gz archive. Default 1 TiB. */
  maxArchiveBytes?: number;
}

export class TarArchive {
  readonly #members: Map<string, ArchiveMember>;

  private constructor(
    readonly path: string,
    /** How the whole file is compressed (its magic number). */
    readonly compression: Compression,
    members: Map<string, ArchiveMember>,
    private readonly maxArchiveBytes: number,
  ) {
    this.#members = members;
  }

  /** Index the archive at `path` (one streaming pass). */
  static async open(path: string, opts: TarArchiveOptions): Promise<TarArchive> {
    const maxMembers = opts.maxMembers ?? 100_000;
    const maxArchive = opts.maxArchiveBytes ?? 1024 ** 4;
    const compression = await fileCompression(path);
    const members = new Map<string, ArchiveMember>();
    const input = rawStream(path, compression, maxArchive, opts.signal);
    const extract = tar.extract();
    // Members after the end-of-archive marker are not in the archive `docker load` sees.
    endAtArchiveEnd(extract, () => extract.destroy());
    pipeline(input, extract as unknown as NodeJS.WritableStream, () => {});
    let count = 0;
    try {
      for await (const entry of extract) {
        const h = entry.header;
        if (++count > maxMembers)
          throw new RecipeError('size-limit', `${path}: more than ${maxMembers} members`);
        const name = normaliseMemberPath(h.name);
        if ((h.type !== 'file' && h.type !== 'contiguous-file') || name === null || name === '') {
          entry.resume();
          continue;
        }
        const hash = opts.hash ? digester('sha256') : undefined;
        let head = Buffer.alloc(0);
        for await (const chunk of entry as AsyncIterable<Buffer>) {
          if (head.length < 8) head = Buffer.concat([head, chunk.subarray(0, 8 - head.length)]);
          hash?.update(chunk);
        }
        const m: ArchiveMember = { name, offset: entry.offset + 512, size: h.size, head };
        if (hash) m.digest = hash.digest();
        members.set(name, m);
      }
    } catch (err) {
      input.destroy();
      throw archiveError(err, path);
    }
    return new TarArchive(path, compression, members, maxArchive);
  }

  member(name: string): ArchiveMember | undefined {
    return this.#members.get(normaliseMemberPath(name) ?? '');
  }

  get members(): IterableIterator<ArchiveMember> {
    return this.#members.values();
  }

  /** The member's bytes (or an inclusive byte range of them) as a stream read in place. */
  openMember(m: ArchiveMember, opts: Pick<FetchOptions, 'signal' | 'range' | 'onRangeServed'>): Readable {
    let start = m.offset;
    let length = m.size;
    if (opts.range) {
      const { start: s, end: e } = opts.range;
      if (!(Number.isSafeInteger(s) && Number.isSafeInteger(e) && s >= 0 && e >= s && e < m.size))
        throw new RecipeError('usage', `byte range ${s}-${e} is outside ${m.name} (${m.size} bytes)`);
      start += s;
      length = e - s + 1;
    }
    if (length === 0) return Readable.from([]);
    if (opts.range) opts.onRangeServed?.(this.compression === 'none' ? 'direct' : 'from-start');
    if (this.compression === 'none')
      return addAbortSignal(
        opts.signal,
        createReadStream(this.path, { start, end: start + length - 1, highWaterMark: FILE_CHUNK_BYTES }),
      );
    const inflated = rawStream(this.path, this.compression, this.maxArchiveBytes, opts.signal);
    return addAbortSignal(opts.signal, Readable.from(slice(inflated, start, length)));
  }

  /** A whole member, at most `max` bytes. */
  async readMember(m: ArchiveMember, max: number, signal: AbortSignal): Promise<Buffer> {
    if (m.size > max)
      throw new RecipeError('size-limit', `${this.path}: ${m.name} is larger than ${max} bytes`);
    const chunks: Buffer[] = [];
    for await (const c of this.openMember(m, { signal }) as AsyncIterable<Buffer>) chunks.push(c);
    const out = Buffer.concat(chunks);
    if (out.length !== m.size)
      throw new RecipeError('truncated', `${this.path}: ${m.name} changed while being read`);
    return out;
  }
}

async function* slice(input: Readable, start: number, length: number): AsyncGenerator<Buffer> {
  let pos = 0;
  const end = start + length;
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      const from = Math.max(start - pos, 0);
      const to = Math.min(end - pos, chunk.length);
      pos += chunk.length;
      if (to > from) yield chunk.subarray(from, to);
      if (pos >= end) return;
    }
  } finally {
    input.destroy();
  }
}

function rawStream(path: string, compression: Compression, max: number, signal: AbortSignal): Readable {
  const file = createReadStream(path, { highWaterMark: FILE_CHUNK_BYTES });
  if (compression === 'none') return addAbortSignal(signal, file);
  const z = inflate(compression, { maxInflatedBytes: max, what: path });
  pipeline(file, z, () => {});
  return addAbortSignal(signal, z as unknown as Readable);
}

/** Compressions `guix pack -C` writes that are recognised but not read: magic number -> name. */
const UNREAD_COMPRESSIONS: { name: string; magic: number[] }[] = [
  { name: 'xz', magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00] },
  { name: 'bzip2', magic: [0x42, 0x5a, 0x68] },
  { name: 'lzip', magic: [0x4c, 0x5a, 0x49, 0x50] },
];

function startsWith(buf: Buffer, n: number, magic: number[]): boolean {
  return n >= magic.length && magic.every((b, i) => buf[i] === b);
}

async function fileCompression(path: string): Promise<Compression> {
  let fh;
  try {
    fh = await openFile(path, 'r');
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ENOENT') throw new RecipeError('not-found', `no such file: ${path}`, { cause: err });
    throw new RecipeError('usage', `cannot open ${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    const buf = Buffer.alloc(6);
    const { bytesRead } = await fh.read(buf, 0, 6, 0);
    if (startsWith(buf, bytesRead, [0x1f, 0x8b])) return 'gzip';
    if (startsWith(buf, bytesRead, [0x28, 0xb5, 0x2f, 0xfd])) return 'zstd';
    const other = UNREAD_COMPRESSIONS.find((c) => startsWith(buf, bytesRead, c.magic));
    if (other !== undefined)
      throw new RecipeError(
        'unsupported-media-type',
        `${path} is ${other.name}-compressed; decompress it first (gzip, zstd and plain tar are read)`,
        { details: { compression: other.name } },
      );
    return 'none';
  } finally {
    await fh.close();
  }
}

function archiveError(err: unknown, path: string): RecipeError {
  if (err instanceof RecipeError) return err;
  const e = toRecipeError(err);
  if (e.code === 'internal' || e.code === 'invalid-image')
    return new RecipeError('invalid-image', `${path} is not a valid tar archive: ${e.message}`, {
      cause: err,
    });
  return e;
}

/** What `endAtArchiveEnd` relies on inside tar-stream 3's extractor (pinned in package.json). */
interface ExtractInternals {
  _consumeHeader(): boolean;
  _header: unknown;
}

/**
 * Call `onEnd` (once) when `extract` reads the end-of-archive marker: two consecutive zero blocks, where
 * GNU tar and Go's archive/tar stop. tar-stream skips zero blocks and parses on, so its header reads
 * are watched: a header read that succeeds and yields no header is a zero block.
 */
function endAtArchiveEnd(extract: tar.Extract, onEnd: () => void): void {
  const x = extract as unknown as ExtractInternals;
  if (typeof x._consumeHeader !== 'function')
    throw new RecipeError('internal', 'tar-stream has no _consumeHeader: update endAtArchiveEnd');
  const consume = x._consumeHeader.bind(extract);
  let zeroBlocks = 0;
  let ended = false;
  x._consumeHeader = () => {
    const ok = consume();
    if (ok && !ended) {
      if (x._header === null) zeroBlocks += 1;
      else zeroBlocks = 0;
      if (zeroBlocks >= 2) {
        ended = true;
        onEnd();
      }
    }
    return ok;
  };
}
