/**
 * Read-side queries over the recipe store for the query API: which images match an image name, a
 * package, a channel commit or a store path; images by scan state; and "the recipe of IMAGE" for
 * diffs. Built on RecipeStore and its key layout (store-keys.ts); never writes.
 *
 * IMAGE, wherever a query takes one: `host/repo:tag` (looked up in the tag index: the digest the
 * registry served when the tag was last resolved), `host/repo@digest`, or a bare digest.
 *
 * Order and paging: index queries list images by when each was first indexed under that key
 * (oldest first; ties by name), so pages are stable while images are added (new ones come last).
 * `offset` + `limit` (default 50, at most MAX_PAGE_LIMIT).
 */
import { RecipeError } from '../errors.js';
import { formatPlatform, parsePlatform, type Platform } from '../content/platform.js';
import { isDigest, type Digest } from '../content/digest.js';
import { imageId, imageName, parseImageName, parseReference } from '../oci/reference.js';
import type { Recipe } from '../guix/recipe.js';
import {
  type ImageRecord,
  type PageResult,
  type RecipeStore,
  type ScanState,
  type StoredResult,
} from './recipe-store.js';

/** Largest page a query returns. */
export const MAX_PAGE_LIMIT = 200;
export const DEFAULT_PAGE_LIMIT = 50;
/** The platform a query picks from an index when none is named. */
export const DEFAULT_PLATFORM = 'linux/amd64';

type Opts = { signal?: AbortSignal };

export interface PageRequest {
  offset?: number;
  limit?: number;
}

/** An IMAGE as a query names it, resolved to a digest. */
export interface ResolvedImage {
  digest: Digest;
  registry?: string;
  repository?: string;
  tag?: string;
}

/** One image in a query answer. */
export interface ImageSummary {
  /** `registry/repo@digest` */
  image: string;
  registry: string;
  repository: string;
  digest: Digest;
  /** Scan id (GET /v1/scans/{id}). */
  id: string;
  state?: ScanState;
  kind?: string;
  error?: { code: string; message: string; at: string };
  updatedAt?: string;
}

/** What a recipe lookup for a diff found. */
export interface RecipeLookup {
  /** The IMAGE as asked. */
  spec: string;
  /** The digest IMAGE names (an index's, for a multi-platform image). */
  digest: Digest;
  /** The image manifest whose recipe this is (differs from `digest` for an index). */
  recipeDigest: Digest;
  platform: string | null;
  recipe: Recipe;
}

const clampPage = (p: PageRequest): { offset: number; limit: number } => ({
  offset: Math.max(0, Math.floor(p.offset ?? 0)),
  limit: Math.min(MAX_PAGE_LIMIT, Math.max(1, Math.floor(p.limit ?? DEFAULT_PAGE_LIMIT))),
});

export class RecipeQueries {
  constructor(readonly store: RecipeStore) {}

  /** Resolve IMAGE to a digest; undefined when a tag is not in the tag index. */
  async resolveImage(spec: string, opts: Opts = {}): Promise<ResolvedImage | undefined> {
    if (isDigest(spec)) return { digest: spec };
    const ref = parseReference(spec);
    const base = { registry: ref.registry, repository: ref.repository };
    if (ref.digest !== undefined) return { ...base, digest: ref.digest };
    const tag = ref.tag ?? 'latest';
    const digest = await this.store.getTag({ ...base, tag }, opts);
    return digest === undefined ? undefined : { ...base, tag, digest };
  }

  /** Images IMAGE names: the one image for a reference, every image holding it for a bare digest. */
  async findByImage(spec: string, page: PageRequest = {}, opts: Opts = {}): Promise<PageResult<string>> {
    const r = await this.resolveImage(spec, opts);
    if (!r) return { items: [], total: 0 };
    const holders = await this.store.imagesOf(r.digest, opts);
    const names =
      r.registry === undefined
        ? holders
        : holders.filter((n) => {
            const k = parseImageName(n);
            return k !== undefined && k.registry === r.registry && k.repository === r.repository;
          });
    const { offset, limit } = clampPage(page);
    return { items: names.slice(offset, offset + limit), total: names.length };
  }

  findByPackage(spec: string, page: PageRequest = {}, opts: Opts = {}): Promise<PageResult<string>> {
    // `name@version`: the last `@` splits (names never hold one; versions never do either).
    const at = spec.lastIndexOf('@');
    const [name, version] = at > 0 ? [spec.slice(0, at), spec.slice(at + 1)] : [spec, undefined];
    return this.store.findByPackage(name, version === '' ? undefined : version, clampPage(page), opts);
  }

  findByChannel(url: string, commit: string, page: PageRequest = {}, opts: Opts = {}) {
    return this.store.findByChannel(url, commit, clampPage(page), opts);
  }

  findByStorePath(path: string, page: PageRequest = {}, opts: Opts = {}) {
    return this.store.findByStorePath(path.replace(/\/+$/, ''), clampPage(page), opts);
  }

  /**
   * Images whose record is in `state` now. The by-state sets trail record changes by a moment, so
   * each record is checked; an image that just left the state is dropped from the page.
   */
  async findByState(
    state: ScanState,
    page: PageRequest = {},
    opts: Opts = {},
  ): Promise<PageResult<ImageSummary>> {
    const names = await this.store.findByState(state, clampPage(page), opts);
    const items = (await this.describe(names.items, opts)).filter((s) => s.state === state);
    return { items, total: names.total };
  }

  /** Summaries of image names (their records when the store has them). */
  async describe(names: readonly string[], opts: Opts = {}): Promise<ImageSummary[]> {
    const out: ImageSummary[] = [];
    const records = await Promise.all(
      names.map(async (n) => {
        const k = parseImageName(n);
        return k ? { k, rec: await this.store.getImage(k, opts) } : undefined;
      }),
    );
    for (const x of records) {
      if (!x) continue;
      const s: ImageSummary = {
        image: imageName(x.k),
        registry: x.k.registry,
        repository: x.k.repository,
        digest: x.k.digest,
        id: imageId(x.k),
      };
      if (x.rec) copyRecord(s, x.rec);
      out.push(s);
    }
    return out;
  }

  /**
   * The recipe of IMAGE (for an index: of `platform`, default linux/amd64). Errors: `not-found`
   * (unknown tag or digest), `platform-not-found`, `no-guix-profile` (scanned, no recipe).
   */
  async recipeOf(spec: string, platform: string | undefined, opts: Opts = {}): Promise<RecipeLookup> {
    const r = await this.resolveImage(spec, opts);
    if (!r) throw new RecipeError('not-found', `${spec}: this tag has not been seen (scan it first)`);
    const top = await this.store.getResult(r.digest, opts);
    if (!top) throw new RecipeError('not-found', `${spec}: no scan result for ${r.digest}`);
    let res: StoredResult = top;
    let plat: string | null = null;
    if (top.kind === 'index') {
      const want: Platform = parsePlatform(platform ?? DEFAULT_PLATFORM);
      plat = formatPlatform(want);
      const child = await this.store.getPlatformResult(r.digest, want, opts);
      if (!child)
        throw new RecipeError('platform-not-found', `${spec}: the index has no ${plat} image`, {
          details: { platforms: top.platforms.map((p) => (p.platform ? formatPlatform(p.platform) : null)) },
        });
      res = child;
    } else if (top.kind === 'recipe' && top.platform) plat = formatPlatform(top.platform);
    if (res.kind !== 'recipe')
      throw new RecipeError(
        'no-guix-profile',
        `${spec}: ${res.kind === 'not-guix' ? 'not a Guix image' : 'no Guix profile'}`,
        {
          details: { kind: res.kind },
        },
      );
    return { spec, digest: r.digest, recipeDigest: res.digest, platform: plat, recipe: res.recipe };
  }
}

function copyRecord(s: ImageSummary, rec: ImageRecord): void {
  s.state = rec.state;
  if (rec.kind) s.kind = rec.kind;
  if (rec.error) s.error = rec.error;
  s.updatedAt = rec.updatedAt;
}
