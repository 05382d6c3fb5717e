/**
 * Build a LayerSummary (layer-cache.ts) from the members of one layer, as a tar-walk visitor. It keeps
 * a live LayerView so the scan can ask, after each recorded member, whether the effective profile
 * manifest is already known (the early stop).
 */
import { RecipeError } from '../errors.js';
import type { TarBody, TarEntry, TarVisitor } from '../archive/tar-walk.js';
import { LAYER_SUMMARY_VERSION, type LayerSummary, type SummaryNode } from './layer-cache.js';
import { LayerView } from './overlay.js';

export interface SummariseOptions {
  /** Largest profile manifest whose content is kept. Default 16 MiB. */
  maxManifestBytes?: number;
  /** Largest system provenance file (`provenance`, `channels.scm`, `configuration.scm`) whose
   *  content is kept. Default DEFAULT_MAX_SYSTEM_FILE_BYTES (4 MiB). */
  maxSystemFileBytes?: number;
  /** Most recorded members. Default 500,000. */
  maxNodes?: number;
  /** Most bytes of manifest text kept for one layer. Default 64 MiB. */
  maxContentBytes?: number;
  /** Called after each recorded member; returning true stops the walk (early stop). */
  onRecord?: (view: LayerView) => boolean;
}

/** Strict: a system file must be reported byte for byte, so bytes that are not UTF-8 are not text. */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** How far into a file we look for the start of a Guix manifest. */
const SNIFF_BYTES = 4096;
const STORE_MANIFEST = /^gnu\/store\/[^/]+\/manifest$/;
/**
 * The files `provenance-service-type` stores for a system: the store items its system directory
 * links to, or (in an image made by other means) those files inside the system directory itself.
 */
const SYSTEM_FILE =
  /^gnu\/store\/(?:[^/]+-(?:provenance|channels\.scm|configuration\.scm)|[^/]+-system\/(?:provenance|channels\.scm|configuration\.scm))$/;
/** Default of `maxSystemFileBytes`: far above any operating-system declaration seen. */
export const DEFAULT_MAX_SYSTEM_FILE_BYTES = 4 * 1024 * 1024;
/** A member inside a store item. */
const IN_STORE_ITEM = /^gnu\/store\/[^/]/;

/** Whether these first bytes of a file look like a Guix profile manifest: comments, then `(manifest`. */
export function looksLikeManifest(prefix: Uint8Array): boolean {
  const s = Buffer.from(prefix.buffer, prefix.byteOffset, prefix.byteLength).toString('latin1');
  let i = 0;
  while (i < s.length) {
    const ch = s[i] as string;
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === '\f') i++;
    else if (ch === ';') {
      const nl = s.indexOf('\n', i);
      if (nl < 0) return false;
      i = nl + 1;
    } else break;
  }
  return /^\(manifest[\s(]/.test(s.slice(i, i + 10));
}

function depthOf(path: string): number {
  let d = 1;
  for (let i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) d++;
  return d;
}

/** A symlink from outside the store to an absolute store path: what `guix pack -S` makes. */
function packSymlink(path: string, target: string): boolean {
  return target.startsWith('/gnu/store/') && !path.startsWith('gnu/store/');
}

function baseOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Accumulates one layer's summary while its tar is walked. */
export class LayerSummariser {
  readonly view = new LayerView(false);
  #members = 0;
  #contentBytes = 0;
  #storeReached = false;
  readonly #maxManifest: number;
  readonly #maxSystemFile: number;
  readonly #maxNodes: number;
  readonly #maxContent: number;
  readonly #onRecord: ((view: LayerView) => boolean) | undefined;

  constructor(opts: SummariseOptions = {}) {
    this.#maxManifest = opts.maxManifestBytes ?? 16 * 1024 * 1024;
    this.#maxSystemFile = opts.maxSystemFileBytes ?? DEFAULT_MAX_SYSTEM_FILE_BYTES;
    this.#maxNodes = opts.maxNodes ?? 500_000;
    this.#maxContent = opts.maxContentBytes ?? 64 * 1024 * 1024;
    this.#onRecord = opts.onRecord;
  }

  /** The tar-walk visitor. */
  readonly visit: TarVisitor = async (entry, body) => {
    this.#members++;
    if (!this.#storeReached && IN_STORE_ITEM.test(entry.path)) this.#storeReached = true;
    if (entry.path === '' && entry.type !== 'opaque') return;
    const node = await this.#nodeFor(entry, body);
    // Depth <= 3 directories always exist as facts, so upper layers shadow lower non-directories.
    this.#impliedShallowDirs(entry.path);
    if (entry.type === 'opaque') {
      this.view.addOpaque(entry.path);
      return this.#recorded();
    }
    if (node === undefined) return;
    if (this.view.nodes.size >= this.#maxNodes && !this.view.nodes.has(node.path))
      throw new RecipeError('size-limit', `a layer records more than ${this.#maxNodes} relevant members`);
    this.view.add(node);
    return this.#recorded();
  };

  /** The summary; `complete` says whether the walk reached the end of the tar. */
  summary(complete: boolean, unsafeMembers: number): LayerSummary {
    this.view.complete = complete;
    return {
      version: LAYER_SUMMARY_VERSION,
      complete,
      nodes: [...this.view.nodes.values()],
      opaque: [...this.view.opaque],
      unsafeMembers,
      members: this.#members,
      storeReached: this.#storeReached,
    };
  }

  #recorded(): 'stop' | undefined {
    return this.#onRecord?.(this.view) ? 'stop' : undefined;
  }

  #impliedShallowDirs(path: string): void {
    let n = 0;
    for (let i = path.indexOf('/'); i >= 0 && n < 3; i = path.indexOf('/', i + 1), n++) {
      const dir = path.slice(0, i);
      if (!this.view.nodes.has(dir)) this.view.add({ path: dir, type: 'directory' });
    }
  }

  async #nodeFor(entry: TarEntry, body: TarBody): Promise<SummaryNode | undefined> {
    const { path } = entry;
    const depth = depthOf(path);
    const named = baseOf(path) === 'manifest';
    switch (entry.type) {
      case 'whiteout':
        return { path, type: 'whiteout' };
      case 'opaque':
        return undefined;
      case 'directory':
        return depth <= 3 || named ? { path, type: 'directory' } : undefined;
      case 'symlink': {
        const target = entry.linkname ?? '';
        return depth <= 4 || named || packSymlink(path, target)
          ? { path, type: 'symlink', target }
          : undefined;
      }
      case 'hardlink': {
        // A hard link is its target's content (an earlier member of this same layer).
        const target = this.view.nodes.get(entry.linkname ?? '');
        if (target?.type === 'file' && (target.manifest !== undefined || target.text !== undefined))
          return { ...target, path };
        if (target?.type === 'symlink') return depth <= 4 || named ? { ...target, path } : undefined;
        return depth <= 4 || named ? { path, type: 'file', size: 0 } : undefined;
      }
      case 'file':
        return this.#fileNode(entry, body, depth, named);
      default:
        return depth <= 4 ? { path, type: 'other' } : undefined;
    }
  }

  async #fileNode(
    entry: TarEntry,
    body: TarBody,
    depth: number,
    named: boolean,
  ): Promise<SummaryNode | undefined> {
    const { path, size } = entry;
    if (SYSTEM_FILE.test(path)) return this.#systemFileNode(path, size, body);
    const storeManifest = STORE_MANIFEST.test(path);
    const shallow = depth <= 4 || named;
    if (size > this.#maxManifest) {
      if (storeManifest) return { path, type: 'file', size, tooLarge: true };
      return shallow ? { path, type: 'file', size } : undefined;
    }
    const keep = storeManifest || (size > 0 && looksLikeManifest(await body.prefix(SNIFF_BYTES)));
    if (!keep) return shallow ? { path, type: 'file', size } : undefined;
    this.#contentBytes += size;
    if (this.#contentBytes > this.#maxContent)
      throw new RecipeError('size-limit', `a layer holds more than ${this.#maxContent} bytes of manifests`);
    const bytes = await body.all(this.#maxManifest);
    return { path, type: 'file', size, manifest: bytes.toString('utf8') };
  }

  /** A file that may be a system's provenance file: its text kept (capped, UTF-8 only). */
  async #systemFileNode(path: string, size: number, body: TarBody): Promise<SummaryNode> {
    // Over the cap, the body is never read: the tar walk skips it, whatever its size.
    if (size > this.#maxSystemFile) return { path, type: 'file', size, tooLarge: true };
    this.#contentBytes += size;
    if (this.#contentBytes > this.#maxContent)
      throw new RecipeError(
        'size-limit',
        `a layer holds more than ${this.#maxContent} bytes of manifests and system files`,
      );
    const bytes = await body.all(this.#maxSystemFile);
    let text: string;
    try {
      text = UTF8.decode(bytes);
    } catch {
      return { path, type: 'file', size, notText: true };
    }
    return { path, type: 'file', size, text };
  }
}
