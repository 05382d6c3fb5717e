/**
 * Streaming walk over the entries of a tar (one image layer), with the bounds and the name rules a
 * container runtime applies: names are normalised (`./`, leading `/` stripped), a name with `..`
 * never escapes (the entry is dropped and counted), whiteouts `.wh.<name>` and opaque markers
 * `.wh..wh..opq` come out as their own entry types, and every skipped body is drained.
 *
 * The walk ends at the end-of-archive marker (two zero blocks), as Go's archive/tar (containerd,
 * Docker, podman) and GNU tar end there: members after it (a second tar appended, a second gzip
 * member) are not in the file system a runtime unpacks, so they must not be in ours either.
 *
 * The visitor can stop the walk early (`'stop'`); the caller then owns the rest of the input (it keeps
 * hashing the raw blob: an early stop must not break verification, see read-layer.ts). The same holds
 * after the end-of-archive marker: the walk resolves and the rest of the input is the caller's. An
 * abort destroys the input (with the abort's reason) and fails the walk.
 *
 * The headers are read here rather than by a tar library: a layer walk reads every header of up to
 * gigabytes of tar and skips almost every body, and a streaming extractor (tar-stream: a stream per
 * member, its bytes queued and pushed through it) cost a tenth of a 1 GiB zstd scan's time on two
 * cores (docs/performance.md). Here a header is a 512-byte view of the inflated chunk it lies in and a
 * body not asked for is skipped by moving an offset. The formats read, as Go's archive/tar (which
 * container runtimes unpack layers with) reads them: ustar (the name's prefix field), GNU (long
 * names `L` and long link names `K`), pax extended headers `x` (`path`, `linkpath`, `size`; global
 * headers `g` are skipped, as runtimes skip them), base-256 numbers, signed or unsigned checksums,
 * and no data for header-only types (links, devices, directories, fifos). A header in neither ustar
 * nor GNU format, a bad checksum, a bad number or an input that ends inside a member is `invalid-image`.
 */
import type { Readable } from 'node:stream';
import { RecipeError, toRecipeError } from '../errors.js';

export type TarEntryType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'whiteout' | 'opaque' | 'other';

export interface TarEntry {
  /** Normalised path inside the image root: no leading `/`, no `.`/`..` components; '' is the root. */
  path: string;
  /**
   * `whiteout`: `path` is deleted from lower layers. `opaque`: the directory `path` hides the content
   * lower layers give it. `hardlink`: `linkname` is the (normalised) path of an earlier member.
   */
  type: TarEntryType;
  /** Body size in bytes (0 for everything but files). */
  size: number;
  /** Symlink target as written (may be absolute or relative), or the normalised hard link target. */
  linkname?: string;
}

/** Reads the body of the current entry; anything not read is drained after the visitor returns. */
export interface TarBody {
  /** At least the first `n` bytes (fewer only if the body is shorter). */
  prefix(n: number): Promise<Buffer>;
  /** The whole body; fails with `size-limit` past `max` bytes. */
  all(max: number): Promise<Buffer>;
}

export type TarVisitor = (entry: TarEntry, body: TarBody) => 'stop' | void | Promise<'stop' | void>;

export interface TarWalkOptions {
  signal: AbortSignal;
  /** Most members (all kinds) accepted. Default 2,000,000. */
  maxEntries?: number;
  /** Longest member or link name accepted, in characters. Default 16 KiB. */
  maxNameLength?: number;
  /** For messages. Default 'layer'. */
  what?: string;
}

export interface TarWalkResult {
  /** Members seen (before normalisation drops any). */
  entries: number;
  /** Members dropped because their name or hard link target would escape the root. */
  unsafe: number;
  /** The visitor asked to stop before the end of the tar. */
  stopped: boolean;
}

/**
 * Normalise a member name: strip `/` and `./` prefixes and `.` components. Returns null when a `..`
 * component appears anywhere (such a member is dropped, never clamped into the root).
 */
export function normaliseMemberPath(name: string): string | null {
  const out: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') return null;
    out.push(part);
  }
  return out.join('/');
}

/** Size of a tar block. */
const BLOCK = 512;
/** Largest pax or GNU long-name header read (the limit Go's archive/tar has for them). */
const MAX_SPECIAL_BYTES = 1024 * 1024;
const WHITEOUT = '.wh.';
const OPAQUE = '.wh..wh..opq';
const USTAR_MAGIC = Buffer.from('ustar\x0000', 'latin1');
const GNU_MAGIC = Buffer.from('ustar  \x00', 'latin1');

/** Walk the tar on `input` (already inflated). Resolves when the tar ends or the visitor stops. */
export async function walkTar(
  input: Readable,
  visitor: TarVisitor,
  opts: TarWalkOptions,
): Promise<TarWalkResult> {
  const maxEntries = opts.maxEntries ?? 2_000_000;
  const maxName = opts.maxNameLength ?? 16 * 1024;
  const what = opts.what ?? 'layer';
  const result: TarWalkResult = { entries: 0, unsafe: 0, stopped: false };
  const onAbort = (): void => {
    input.destroy(toRecipeError(opts.signal.reason ?? new RecipeError('aborted', 'aborted')));
  };
  opts.signal.addEventListener('abort', onAbort, { once: true });
  const cursor = new ChunkCursor(input, what);
  try {
    opts.signal.throwIfAborted();
    let zeroBlocks = 0;
    let pending: Overrides = {};
    for (;;) {
      const block = await cursor.read(BLOCK);
      if (block.length === 0) break; // the input ended between members
      if (block.length < BLOCK) throw cursor.truncated();
      const h = parseHeader(block, what);
      if (h === null) {
        // The end-of-archive marker is two zero blocks; a lone one is skipped.
        if (++zeroBlocks >= 2) break;
        continue;
      }
      zeroBlocks = 0;
      if (
        h.flag === FLAG_PAX ||
        h.flag === FLAG_GLOBAL ||
        h.flag === FLAG_LONG_NAME ||
        h.flag === FLAG_LONG_LINK
      ) {
        if (h.size > MAX_SPECIAL_BYTES)
          throw new RecipeError(
            'invalid-image',
            `${what} is not a valid tar: a ${h.size}-byte extended header`,
          );
        const data = await cursor.readExactly(h.size);
        await cursor.skip(padding(h.size));
        if (h.flag === FLAG_PAX) pending = { ...pending, ...paxOverrides(data, what) };
        else if (h.flag === FLAG_LONG_NAME) pending = { ...pending, name: cString(data) };
        else if (h.flag === FLAG_LONG_LINK) pending = { ...pending, linkname: cString(data) };
        continue;
      }
      const header = applyOverrides(h, pending);
      pending = {};
      result.entries += 1;
      if (result.entries > maxEntries)
        throw new RecipeError('size-limit', `${what}: more than ${maxEntries} tar members`);
      const entry = toEntry(header, maxName, what);
      const body = new EntryBody(cursor, header.dataSize, header.name, what);
      if (entry === null) result.unsafe += 1;
      else if ((await visitor(entry, body)) === 'stop') {
        result.stopped = true;
        break;
      }
      await body.drain();
      await cursor.skip(padding(header.dataSize));
    }
    return result;
  } catch (err) {
    throw mapTarError(err, what);
  } finally {
    opts.signal.removeEventListener('abort', onAbort);
    input.on('error', () => {}); // the caller decides what the input's later errors mean
  }
}

/** Bytes of padding after `size` bytes of data, up to the next block. */
function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

/**
 * The inflated tar as a sequence of chunks read one at a time: views of the chunk at hand where it
 * holds the bytes asked for, copies only across chunk boundaries.
 */
class ChunkCursor {
  readonly #chunks: AsyncIterator<Buffer>;
  #chunk: Buffer = Buffer.alloc(0);
  #offset = 0;
  #ended = false;

  constructor(
    input: Readable,
    private readonly what: string,
  ) {
    this.#chunks = input.iterator({ destroyOnReturn: false });
  }

  truncated(): RecipeError {
    return new RecipeError('invalid-image', `${this.what} is not a valid tar: it ends inside a member`);
  }

  async #next(): Promise<boolean> {
    if (this.#ended) return false;
    const r = await this.#chunks.next();
    if (r.done === true) {
      this.#ended = true;
      return false;
    }
    this.#chunk = r.value;
    this.#offset = 0;
    return true;
  }

  /** The next `n` bytes, or fewer where the input ends. A view of the input when it can be one. */
  async read(n: number): Promise<Buffer> {
    const start = this.#offset;
    if (this.#chunk.length - start >= n) {
      this.#offset = start + n;
      return this.#chunk.subarray(start, start + n);
    }
    const parts: Buffer[] = [];
    let have = 0;
    while (have < n) {
      if (this.#offset === this.#chunk.length && !(await this.#next())) break;
      const take = Math.min(n - have, this.#chunk.length - this.#offset);
      parts.push(this.#chunk.subarray(this.#offset, this.#offset + take));
      this.#offset += take;
      have += take;
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, have);
  }

  /** The next `n` bytes; an input that ends before is `truncated()`. */
  async readExactly(n: number): Promise<Buffer> {
    const bytes = await this.read(n);
    if (bytes.length < n) throw this.truncated();
    return bytes;
  }

  /** Skip `n` bytes; an input that ends before is `truncated()`. */
  async skip(n: number): Promise<void> {
    let left = n;
    while (left > 0) {
      if (this.#offset === this.#chunk.length && !(await this.#next())) throw this.truncated();
      const take = Math.min(left, this.#chunk.length - this.#offset);
      this.#offset += take;
      left -= take;
    }
  }
}

/** The body of one member: what the visitor reads of it, then the rest skipped. */
class EntryBody implements TarBody {
  #left: number;
  #read: Buffer[] = [];
  #have = 0;

  constructor(
    private readonly cursor: ChunkCursor,
    private readonly size: number,
    private readonly name: string,
    private readonly what: string,
  ) {
    this.#left = size;
  }

  async #readUpTo(n: number): Promise<void> {
    const want = Math.min(n, this.#left + this.#have) - this.#have;
    if (want <= 0) return;
    const bytes = await this.cursor.readExactly(want);
    // A copy: the visitor may keep it, and a view would keep the whole inflated chunk alive.
    this.#read.push(Buffer.from(bytes));
    this.#have += want;
    this.#left -= want;
  }

  async prefix(n: number): Promise<Buffer> {
    await this.#readUpTo(n);
    return Buffer.concat(this.#read, this.#have).subarray(0, Math.min(n, this.#have));
  }

  async all(max: number): Promise<Buffer> {
    if (this.size > max)
      throw new RecipeError('size-limit', `${this.what}: member ${this.name} is larger than ${max} bytes`);
    await this.#readUpTo(this.size);
    return Buffer.concat(this.#read, this.#have);
  }

  async drain(): Promise<void> {
    this.#read = [];
    const n = this.#left;
    this.#left = 0;
    await this.cursor.skip(n);
  }
}

const FLAG_OLD_FILE = 0; // a regular file, in tars older than ustar
const FLAG_FILE = 0x30; // '0'
const FLAG_HARDLINK = 0x31; // '1'
const FLAG_SYMLINK = 0x32; // '2'
const FLAG_DIRECTORY = 0x35; // '5'
const FLAG_CONTIGUOUS = 0x37; // '7': a regular file
const FLAG_PAX = 0x78; // 'x'
const FLAG_GLOBAL = 0x67; // 'g'
const FLAG_LONG_NAME = 0x4c; // 'L'
const FLAG_LONG_LINK = 0x4b; // 'K'

/** One header block, decoded. */
interface Header {
  /** The type flag byte ('0', '5', 'x', ...; 0 for old regular files). */
  flag: number;
  name: string;
  linkname: string;
  /** The size field. */
  size: number;
}

/** What pax and GNU long-name headers say about the member after them. */
interface Overrides {
  name?: string;
  linkname?: string;
  size?: number;
}

/** A member's header with its extended headers applied. */
interface MemberHeader {
  flag: number;
  name: string;
  linkname: string;
  /** Bytes of data after the header (0 for header-only types, whatever their size field says). */
  dataSize: number;
}

/** Decode a header block; null for a zero block (all bytes 0 but, possibly, the checksum field). */
function parseHeader(b: Buffer, what: string): Header | null {
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const v = i >= 148 && i < 156 ? 0x20 : b[i]!;
    unsigned += v;
    signed += v < 0x80 ? v : v - 0x100;
  }
  if (unsigned === 8 * 0x20) return null;
  const invalid = (why: string): RecipeError =>
    new RecipeError('invalid-image', `${what} is not a valid tar: ${why}`);
  const sum = octal(b, 148, 8);
  if (sum !== unsigned && sum !== signed) throw invalid('a header checksum does not match');
  const ustar = b.compare(USTAR_MAGIC, 0, 8, 257, 265) === 0;
  if (!ustar && b.compare(GNU_MAGIC, 0, 8, 257, 265) !== 0) throw invalid('a header is in an unknown format');
  let name = field(b, 0, 100);
  if (ustar && b[345] !== 0) name = `${field(b, 345, 155)}/${name}`;
  const size = number(b, 124, 12);
  if (size === null) throw invalid(`the size of ${JSON.stringify(name.slice(0, 200))} is not a number`);
  return { flag: b[156]!, name, linkname: field(b, 157, 100), size };
}

/** A NUL-terminated field, as UTF-8. */
function field(b: Buffer, start: number, length: number): string {
  let end = start;
  const max = start + length;
  while (end < max && b[end] !== 0) end++;
  return b.toString('utf8', start, end);
}

/** Bytes up to the first NUL, as UTF-8 (the data of a GNU long-name header). */
function cString(b: Buffer): string {
  const nul = b.indexOf(0);
  return b.toString('utf8', 0, nul < 0 ? b.length : nul);
}

/** A numeric field: octal text (spaces and NULs around it), or base-256 (first byte 0x80). */
function number(b: Buffer, start: number, length: number): number | null {
  if ((b[start]! & 0x80) !== 0) {
    if (b[start] !== 0x80) return null; // negative, or not a base-256 number
    let n = 0;
    for (let i = start + 1; i < start + length; i++) n = n * 256 + b[i]!;
    return Number.isSafeInteger(n) ? n : null;
  }
  return octal(b, start, length);
}

function octal(b: Buffer, start: number, length: number): number | null {
  const end = start + length;
  let i = start;
  while (i < end && (b[i] === 0x20 || b[i] === 0)) i++;
  let n = 0;
  let digits = 0;
  for (; i < end; i++) {
    const c = b[i]!;
    if (c < 0x30 || c > 0x37) break;
    n = n * 8 + (c - 0x30);
    digits++;
  }
  for (; i < end; i++) if (b[i] !== 0x20 && b[i] !== 0) return null;
  return digits === 0 || Number.isSafeInteger(n) ? n : null;
}

/** The records of a pax extended header that matter to a walk: `path`, `linkpath`, `size`. */
function paxOverrides(data: Buffer, what: string): Overrides {
  const out: Overrides = {};
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    if (space < 0) break;
    const len = Number(data.toString('latin1', pos, space));
    if (!Number.isSafeInteger(len) || len <= space - pos || pos + len > data.length) break;
    const record = data.toString('utf8', space + 1, pos + len - 1);
    pos += len;
    const eq = record.indexOf('=');
    if (eq < 0) continue;
    const key = record.slice(0, eq);
    const value = record.slice(eq + 1);
    if (key === 'path') out.name = value;
    else if (key === 'linkpath') out.linkname = value;
    else if (key === 'size') {
      const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
      if (!Number.isSafeInteger(n))
        throw new RecipeError(
          'invalid-image',
          `${what} is not a valid tar: a pax size of ${JSON.stringify(value.slice(0, 40))}`,
        );
      out.size = n;
    }
  }
  return out;
}

/**
 * Type flags whose members have no data, whatever their size field says (as Go's archive/tar): links,
 * character and block devices, directories, fifos.
 */
const HEADER_ONLY = new Set([FLAG_HARDLINK, FLAG_SYMLINK, 0x33, 0x34, FLAG_DIRECTORY, 0x36]);

function applyOverrides(h: Header, o: Overrides): MemberHeader {
  const name = o.name ?? h.name;
  const size = o.size ?? h.size;
  // Old tars mark directories by a trailing slash on a regular file's name.
  const flag =
    (h.flag === FLAG_OLD_FILE || h.flag === FLAG_FILE) && name.endsWith('/') ? FLAG_DIRECTORY : h.flag;
  return { flag, name, linkname: o.linkname ?? h.linkname, dataSize: HEADER_ONLY.has(flag) ? 0 : size };
}

function mapTarError(err: unknown, what: string): RecipeError {
  if (err instanceof RecipeError) return err;
  const e = toRecipeError(err);
  if (e.code === 'internal' || e.code === 'invalid-image')
    return new RecipeError('invalid-image', `${what} is not a valid tar: ${e.message}`, { cause: err });
  return e;
}

function toEntry(h: MemberHeader, maxName: number, what: string): TarEntry | null {
  if (h.name.length > maxName || h.linkname.length > maxName)
    throw new RecipeError('size-limit', `${what}: a member name is longer than ${maxName} characters`);
  const path = normaliseMemberPath(h.name);
  if (path === null) return null;
  const slash = path.lastIndexOf('/');
  const dir = slash < 0 ? '' : path.slice(0, slash);
  const base = slash < 0 ? path : path.slice(slash + 1);
  if (base.startsWith(WHITEOUT)) {
    if (base === OPAQUE) return { path: dir, type: 'opaque', size: 0 };
    const name = base.slice(WHITEOUT.length);
    // `.wh..wh.*` are AUFS metadata, not deletions.
    if (name.startsWith(WHITEOUT)) return { path, type: 'other', size: 0 };
    if (name === '' || name === '.' || name === '..') return null;
    return { path: dir ? `${dir}/${name}` : name, type: 'whiteout', size: 0 };
  }
  switch (h.flag) {
    case FLAG_OLD_FILE:
    case FLAG_FILE:
    case FLAG_CONTIGUOUS:
      return { path, type: 'file', size: h.dataSize };
    case FLAG_DIRECTORY:
      return { path, type: 'directory', size: 0 };
    case FLAG_SYMLINK:
      return { path, type: 'symlink', size: 0, linkname: h.linkname };
    case FLAG_HARDLINK: {
      // A hard link to an earlier member.
      const target = normaliseMemberPath(h.linkname);
      if (target === null || target === '') return null;
      return { path, type: 'hardlink', size: 0, linkname: target };
    }
    default:
      return { path, type: 'other', size: 0 };
  }
}
