/**
 * The layer cache: what one layer contributes that matters to finding a Guix profile manifest (or a
 * Guix system's provenance files), keyed by the layer's (compressed) digest, so an image made of
 * known layers costs no layer bytes.
 * Memory implementation here (CLI); Redis in shared/store (service). Summaries are plain JSON.
 *
 * What a summary records (see summarise-layer.ts for the exact rule), enough to resolve
 * `/gnu/store/<hash>-profile/manifest` over a stack of layers with overlay semantics:
 *  - every whiteout and opaque directory of the layer;
 *  - every non-directory member at depth <= 4 (`bin`, `gnu/store/X`, `gnu/store/X/manifest`...) and
 *    every directory at depth <= 3, so upper layers shadow lower ones correctly on the way down;
 *  - every symlink or hard link named `manifest`, at any depth;
 *  - every symlink outside `gnu/store/` whose target is an absolute `/gnu/store/...` path, at any
 *    depth: `guix pack -S` symlinks, for the rebuild command (docker-pack-options.ts);
 *  - the content of every regular file `gnu/store/<item>/manifest` (up to the manifest cap), and of
 *    any other regular file that looks like a Guix profile manifest (a symlink may point at it);
 *  - the content of every regular file that may be one of the files `provenance-service-type`
 *    stores for a Guix system (up to the system file cap): a store item `gnu/store/<hash>-provenance`,
 *    `-channels.scm` or `-configuration.scm`, and a `provenance`, `channels.scm` or
 *    `configuration.scm` directly inside a `gnu/store/<hash>-system` directory. The system
 *    directory links to the first kind; the links and their targets may sit in different layers.
 * Link chains through deeper symlinked directories are not followed (they resolve to "absent").
 * It also says whether the walk reached a member inside a store item (`storeReached`): `guix pack`
 * writes every file outside the store first, so a partial summary that reached the store has seen
 * them all.
 *
 * Early stop: a layer whose parsing stopped once the effective manifest was found is summarised as
 * `complete: false`: what it records is true, but anything it does not record is unknown. It is cached
 * (only if the whole blob was still digest-verified); a later scan that needs a path the partial
 * summary cannot answer reads the layer again and replaces the entry with the fuller summary.
 */
import type { Digest } from '../content/digest.js';

/** One recorded member, by normalised path (no leading `/`). */
export type SummaryNode =
  | {
      path: string;
      type: 'file';
      size: number;
      /** The file's text when it is a (candidate) profile manifest within the cap. */
      manifest?: string;
      /** The file's text when it may be a system's provenance file (see above), within the cap. */
      text?: string;
      /** A `gnu/store/X/manifest` or system provenance file larger than its cap: content not kept. */
      tooLarge?: true;
      /** A system provenance file that is not UTF-8 text: content not kept. */
      notText?: true;
    }
  | { path: string; type: 'directory' }
  /** Target as written in the tar (absolute or relative); resolved inside the image only. */
  | { path: string; type: 'symlink'; target: string }
  /** A device, fifo...: shadows lower layers, is never a manifest. */
  | { path: string; type: 'other' }
  /** `.wh.<name>`: `path` is deleted from lower layers. */
  | { path: string; type: 'whiteout' };

/** The summary format this code writes and reads; a cached summary of another version is a miss. */
export const LAYER_SUMMARY_VERSION = 3;

export interface LayerSummary {
  /** Summary format version, bumped when its meaning changes. */
  version: typeof LAYER_SUMMARY_VERSION;
  /** False when parsing stopped early: recorded members are true, unrecorded ones are unknown. */
  complete: boolean;
  /** Recorded members in tar order (a later member for the same path replaces an earlier one). */
  nodes: SummaryNode[];
  /** Directories made opaque (`.wh..wh..opq`) by this layer. */
  opaque: string[];
  /** Members dropped because their names would escape the image root (`..`). */
  unsafeMembers: number;
  /** Tar members seen (all kinds). */
  members: number;
  /** The walk reached a member inside a store item (`gnu/store/<item>` or below). */
  storeReached: boolean;
}

export interface LayerCache {
  get(digest: Digest, opts: { signal: AbortSignal }): Promise<LayerSummary | undefined>;
  /** Store a summary; implementations may keep a complete one rather than a later partial one. */
  put(digest: Digest, summary: LayerSummary, opts: { signal: AbortSignal }): Promise<void>;
}

/** An in-process LayerCache (the CLI's), bounded by entry count, least recently used first out. */
export class MemoryLayerCache implements LayerCache {
  readonly #map = new Map<Digest, LayerSummary>();
  constructor(private readonly maxEntries = 1024) {}

  async get(digest: Digest): Promise<LayerSummary | undefined> {
    const s = this.#map.get(digest);
    if (s !== undefined) {
      this.#map.delete(digest);
      this.#map.set(digest, s);
    }
    return s;
  }

  async put(digest: Digest, summary: LayerSummary): Promise<void> {
    const old = this.#map.get(digest);
    if (old?.complete && !summary.complete) return;
    this.#map.delete(digest);
    this.#map.set(digest, summary);
    while (this.#map.size > this.maxEntries) {
      const first = this.#map.keys().next();
      if (first.done) break;
      this.#map.delete(first.value);
    }
  }

  /** Entries held (for tests and metrics). */
  get size(): number {
    return this.#map.size;
  }
}
