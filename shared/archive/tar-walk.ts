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
 * after the end-of-archive marker: the walk resolves and the rest of the input is the caller's.
 */
import type { Readable } from 'node:stream';
import tar from 'tar-stream';
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

type TarSource = ReturnType<typeof tar.extract> extends AsyncIterable<infer S> ? S : never;

const WHITEOUT = '.wh.';
const OPAQUE = '.wh..wh..opq';

/** Walk the tar on `input` (already inflated). Resolves when the tar ends or the visitor stops. */
export async function walkTar(
  input: Readable,
  visitor: TarVisitor,
  opts: TarWalkOptions,
): Promise<TarWalkResult> {
  const maxEntries = opts.maxEntries ?? 2_000_000;
  const maxName = opts.maxNameLength ?? 16 * 1024;
  const what = opts.what ?? 'layer';
  const extract = tar.extract();
  const result: TarWalkResult = { entries: 0, unsafe: 0, stopped: false };
  endAtArchiveEnd(extract, () => extract.destroy());

  let inputError: Error | undefined;
  const onInputError = (err: unknown): void => {
    inputError ??= err instanceof Error ? err : toRecipeError(err);
    extract.destroy(inputError);
  };
  input.on('error', onInputError);
  input.pipe(extract);
  const onAbort = (): void => onInputError(opts.signal.reason ?? new RecipeError('aborted', 'aborted'));
  opts.signal.addEventListener('abort', onAbort, { once: true });

  try {
    opts.signal.throwIfAborted();
    for await (const source of extract) {
      result.entries += 1;
      if (result.entries > maxEntries) {
        source.resume();
        throw new RecipeError('size-limit', `${what}: more than ${maxEntries} tar members`);
      }
      const body = new EntryBody(source, what);
      const entry = toEntry(source.header, maxName, what);
      let verdict: 'stop' | void = undefined;
      if (entry === null) result.unsafe += 1;
      else verdict = await visitor(entry, body);
      if (verdict === 'stop') {
        result.stopped = true;
        break;
      }
      await body.drain();
    }
    if (inputError !== undefined) throw inputError;
    return result;
  } catch (err) {
    throw mapTarError(inputError ?? err, what);
  } finally {
    opts.signal.removeEventListener('abort', onAbort);
    input.off('error', onInputError);
    input.unpipe(extract);
    if (!extract.destroyed) extract.destroy();
    input.on('error', () => {}); // the caller decides what the input's later errors mean
  }
}

/** What `endAtArchiveEnd` relies on inside tar-stream 3's extractor (pinned in package.json). */
interface ExtractInternals {
  _consumeHeader(): boolean;
  _header: unknown;
}

/**
 * Call `onEnd` (once) when `extract` reads the end-of-archive marker: two consecutive zero blocks.
 * tar-stream skips zero blocks and parses on, so its header reads are watched: a header read that
 * succeeds and yields no header is a zero block.
 */
export function endAtArchiveEnd(extract: tar.Extract, onEnd: () => void): void {
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

function mapTarError(err: unknown, what: string): RecipeError {
  if (err instanceof RecipeError) return err;
  const e = toRecipeError(err);
  if (e.code === 'internal' || e.code === 'invalid-image')
    return new RecipeError('invalid-image', `${what} is not a valid tar: ${e.message}`, { cause: err });
  return e;
}

function toEntry(h: tar.Header, maxName: number, what: string): TarEntry | null {
  if (h.name.length > maxName || (h.linkname?.length ?? 0) > maxName)
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
  switch (h.type) {
    case 'file':
    case 'contiguous-file':
      return { path, type: 'file', size: h.size };
    case 'directory':
      return { path, type: 'directory', size: 0 };
    case 'symlink':
      return { path, type: 'symlink', size: 0, linkname: h.linkname ?? '' };
    case 'link': {
      const target = normaliseMemberPath(h.linkname ?? '');
      if (target === null || target === '') return null;
      return { path, type: 'hardlink', size: 0, linkname: target };
    }
    default:
      return { path, type: 'other', size: 0 };
  }
}

/** Pull-based reads of one entry's body; drains what the visitor left. */
class EntryBody implements TarBody {
  #it: AsyncIterator<Buffer> | undefined;
  #chunks: Buffer[] = [];
  #have = 0;
  #done = false;

  constructor(
    private readonly source: TarSource,
    private readonly what: string,
  ) {}

  async #pull(): Promise<boolean> {
    if (this.#done) return false;
    this.#it ??= (this.source as unknown as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
    const r = await this.#it.next();
    if (r.done) {
      this.#done = true;
      return false;
    }
    this.#chunks.push(r.value);
    this.#have += r.value.length;
    return true;
  }

  async prefix(n: number): Promise<Buffer> {
    while (this.#have < n && (await this.#pull()));
    return Buffer.concat(this.#chunks).subarray(0, n);
  }

  async all(max: number): Promise<Buffer> {
    if (this.source.header.size > max)
      throw new RecipeError(
        'size-limit',
        `${this.what}: member ${this.source.header.name} is larger than ${max} bytes`,
      );
    while (await this.#pull()) {
      if (this.#have > max)
        throw new RecipeError('size-limit', `${this.what}: member larger than ${max} bytes`);
    }
    return Buffer.concat(this.#chunks);
  }

  async drain(): Promise<void> {
    this.#chunks = [];
    if (this.#it === undefined) {
      await new Promise<void>((resolve, reject) => {
        const s = this.source;
        s.on('end', () => resolve());
        s.on('close', () => resolve());
        s.on('error', reject);
        s.resume();
      });
      return;
    }
    while (await this.#pull()) this.#chunks = [];
  }
}
