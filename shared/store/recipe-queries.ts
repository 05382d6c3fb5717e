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
import {
  DEFAULT_PLATFORM,
  formatPlatform,
  parsePlatform,
  platformMatches,
  type Platform,
} from '../content/platform.js';
import { isDigest, type Digest } from '../content/digest.js';
import { imageId, imageName, parseImageName, parseReference } from '../oci/reference.js';
import type { Recipe } from '../guix/recipe.js';
import { registryImageSubject } from '../attest/attest-input.js';
import {
  renderAttestation,
  type AttestationFormat,
  type RenderedAttestation,
} from '../attest/render-attestation.js';
import { recipeTextKey, renderText, type RecipeText } from '../guix/recipe-texts.js';
import type { ManifestStyle } from '../guix/export-manifest.js';
import type { PrinterStyle } from '../guix/sexp/pretty-print.js';
import { profileRebuild, STORED_BEFORE_REBUILD } from '../scan/profile-rebuild.js';
import { rebuildScript, type RebuildTexts } from '../scan/rebuild-script.js';
import {
  clampPage,
  type ImageRecord,
  type Page,
  type RollupEntry,
  type PageResult,
  type RecipeStore,
  type ScanState,
  type StoredResult,
} from './recipe-store.js';

type Opts = { signal?: AbortSignal };

/** An IMAGE as a query names it, resolved to a digest. */
export interface ResolvedImage {
  digest: Digest;
  registry?: string;
  repository?: string;
  tag?: string;
}

/** What GET /v1/recipes looks images up by: exactly one of these. */
export type ImageSelector =
  { image: string } | { package: string } | { channel: string; commit: string } | { 'store-path': string };

/**
 * The one selector among a query's fields; `usage` when there is not exactly one, or when `channel`
 * and `commit` do not come together.
 */
export function imageSelector(q: {
  image?: string | undefined;
  package?: string | undefined;
  channel?: string | undefined;
  commit?: string | undefined;
  'store-path'?: string | undefined;
}): ImageSelector {
  const given = (['image', 'package', 'channel', 'store-path'] as const).filter((k) => q[k] !== undefined);
  if (given.length !== 1)
    throw new RecipeError(
      'usage',
      'give exactly one of image, package, channel (with commit) or store-path',
      {
        details: { given },
      },
    );
  if ((q.channel === undefined) !== (q.commit === undefined))
    throw new RecipeError('usage', 'channel and commit go together');
  if (q.image !== undefined) return { image: q.image };
  if (q.package !== undefined) return { package: q.package };
  if (q.channel !== undefined && q.commit !== undefined) return { channel: q.channel, commit: q.commit };
  return { 'store-path': q['store-path'] as string };
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
  /** The registry deleted the image (when): its recipe is kept, no tag points at it. */
  deleted?: true;
  deletedAt?: string;
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
  /** The platform the recipe's manifest has in its index (null for a single image). */
  manifestPlatform: Platform | null;
  /** When that manifest was scanned (ISO 8601). */
  scannedAt: string;
}

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
  async findByImage(spec: string, page: Page = {}, opts: Opts = {}): Promise<PageResult<string>> {
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

  findByPackage(spec: string, page: Page = {}, opts: Opts = {}): Promise<PageResult<string>> {
    // `name@version`: the last `@` splits (names never hold one; versions never do either).
    const at = spec.lastIndexOf('@');
    const [name, version] = at > 0 ? [spec.slice(0, at), spec.slice(at + 1)] : [spec, undefined];
    return this.store.findByPackage(name, version === '' ? undefined : version, clampPage(page), opts);
  }

  findByChannel(url: string, commit: string, page: Page = {}, opts: Opts = {}) {
    return this.store.findByChannel(url, commit, clampPage(page), opts);
  }

  findByStorePath(path: string, page: Page = {}, opts: Opts = {}) {
    return this.store.findByStorePath(path.replace(/\/+$/, ''), clampPage(page), opts);
  }

  /** The images a selector names, one page, each with its record (GET /v1/recipes). */
  async find(selector: ImageSelector, page: Page = {}, opts: Opts = {}): Promise<PageResult<ImageSummary>> {
    let names: PageResult<string>;
    if ('image' in selector) names = await this.findByImage(selector.image, page, opts);
    else if ('package' in selector) names = await this.findByPackage(selector.package, page, opts);
    else if ('channel' in selector)
      names = await this.findByChannel(selector.channel, selector.commit, page, opts);
    else names = await this.findByStorePath(selector['store-path'], page, opts);
    return { items: await this.describe(names.items, opts), total: names.total };
  }

  /**
   * Images whose record is in `state` now. The by-state sets trail record changes by a moment, so
   * each record is checked; an image that just left the state is dropped from the page.
   */
  async findByState(state: ScanState, page: Page = {}, opts: Opts = {}): Promise<PageResult<ImageSummary>> {
    const names = await this.store.findByState(state, clampPage(page), opts);
    const items = (await this.describe(names.items, opts)).filter((s) => s.state === state);
    return { items, total: names.total };
  }

  /** Every image the store has a record of, one page, each with that record (GET /v1/images). */
  async findAll(page: Page = {}, opts: Opts = {}): Promise<PageResult<ImageSummary>> {
    const names = await this.store.findAll(clampPage(page), opts);
    return { items: await this.describe(names.items, opts), total: names.total };
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

  /** The stored result of a digest, and every image (`registry/repo@digest`) holding it. */
  async resultOf(digest: Digest, opts: Opts = {}): Promise<{ result: StoredResult; images: string[] }> {
    const [result, images] = await Promise.all([
      this.store.getResult(digest, opts),
      this.store.imagesOf(digest, opts),
    ]);
    if (!result) throw new RecipeError('not-found', `no recipe for ${digest}`);
    return { result, images };
  }

  /**
   * The recipe of IMAGE (for an index: of `platform`, default linux/amd64). Errors: `not-found`
   * (unknown tag or digest), `platform-not-found`, `no-guix-profile` (scanned, no recipe).
   */
  async recipeOf(spec: string, platform: string | undefined, opts: Opts = {}): Promise<RecipeLookup> {
    const r = await this.resolveImage(spec, opts);
    if (!r) throw new RecipeError('not-found', `${spec}: this tag has not been seen (scan it first)`);
    const top = await this.store.getResult(r.digest, opts);
    if (!top) throw new RecipeError('not-found', `no recipe for ${spec}`);
    let res: StoredResult = top;
    let plat: string | null = null;
    if (top.kind === 'index') {
      const entry = platformEntry(spec, top.platforms, platform);
      plat = entry.platform;
      const child = await this.store.getResult(entry.digest, opts);
      if (!child) throw new RecipeError('not-found', `no recipe for ${entry.digest} (${plat} of ${spec})`);
      res = child;
    } else if (top.kind === 'recipe' && top.platform) plat = formatPlatform(top.platform);
    if (res.kind === 'index') throw new RecipeError('invalid-image', `${spec}: an index inside an index`);
    if (res.kind !== 'recipe') throw noRecipe(spec, res);
    return {
      spec,
      digest: r.digest,
      recipeDigest: res.digest,
      platform: plat,
      recipe: res.recipe,
      manifestPlatform: res.platform,
      scannedAt: res.scannedAt,
    };
  }

  /**
   * An SBOM or SLSA statement for a digest's recipe (an index: of `platform`), byte-identical to what
   * `inspect docker://IMAGE --output …` prints for the same scan time: its subject is
   * `registry/repository` of the image holding the digest (`image` picks one when several do, else the
   * first by name), its timestamps the stored scan time.
   */
  async attestation(
    digest: Digest,
    format: AttestationFormat,
    pick: { platform?: string | undefined; image?: string | undefined },
    opts: Opts = {},
  ): Promise<RenderedAttestation> {
    const l = await this.recipeOf(digest, pick.platform, opts);
    const holders = (await this.store.imagesOf(digest, opts)).flatMap((n) => parseImageName(n) ?? []);
    const holder =
      pick.image === undefined
        ? holders[0]
        : holders.find((h) => `${h.registry}/${h.repository}` === pick.image);
    if (!holder)
      throw new RecipeError(
        'not-found',
        pick.image === undefined ? `no image holds ${digest}` : `${pick.image} does not hold ${digest}`,
        { details: { images: holders.map((h) => `${h.registry}/${h.repository}`) } },
      );
    const subject = registryImageSubject({
      registry: holder.registry,
      repository: holder.repository,
      digest: l.recipeDigest,
      ...(l.manifestPlatform ? { platform: l.manifestPlatform } : {}),
    });
    return renderAttestation(format, { recipe: l.recipe, subject, scannedAt: l.scannedAt });
  }

  /**
   * One text (channels.scm, manifest.scm, configuration.scm) of IMAGE's recipe, as stored at scan
   * time; rendered from the recipe only when the store has no copy (results stored before texts were
   * kept, or a text the recipe has not: then `renderText` says why, e.g. manifest.scm of a system).
   */
  async text(spec: string, t: RecipeText, platform: string | undefined, opts: Opts = {}): Promise<string> {
    const r = await this.resolveImage(spec, opts);
    if (!r) throw new RecipeError('not-found', `${spec}: this tag has not been seen (scan it first)`);
    const key = recipeTextKey(t);
    let digest = r.digest;
    let found = await this.store.getText(digest, key, opts);
    if (found?.kind === 'index') {
      digest = platformEntry(spec, found.platforms, platform).digest;
      found = await this.store.getText(digest, key, opts);
    }
    if (!found) throw new RecipeError('not-found', `no recipe for ${spec}`);
    if (found.kind === 'recipe') {
      if (found.text !== undefined) return found.text;
      const full = await this.store.getResult(digest, opts);
      if (full?.kind !== 'recipe') throw new RecipeError('not-found', `no recipe for ${spec}`);
      return renderText(full.recipe, t);
    }
    if (found.kind === 'index') throw new RecipeError('invalid-image', `${spec}: an index inside an index`);
    throw noRecipe(spec, { kind: found.kind, reason: found.reason });
  }

  /**
   * The rebuild script of IMAGE's recipe (rebuild-script.ts, the bytes `inspect --output rebuild`
   * prints), with the texts as stored at scan time. A result stored before rebuild commands were
   * recorded gets the `guix pack -f docker` command its recipe alone gives, every image option
   * listed as unknown.
   */
  async rebuildScript(
    spec: string,
    t: { style: ManifestStyle; printer: PrinterStyle },
    platform: string | undefined,
    opts: Opts = {},
  ): Promise<string> {
    const r = await this.resolveImage(spec, opts);
    if (!r) throw new RecipeError('not-found', `${spec}: this tag has not been seen (scan it first)`);
    let res = await this.store.getResult(r.digest, opts);
    if (res?.kind === 'index') {
      const entry = platformEntry(spec, res.platforms, platform);
      res = await this.store.getResult(entry.digest, opts);
    }
    if (!res) throw new RecipeError('not-found', `no recipe for ${spec}`);
    if (res.kind === 'index') throw new RecipeError('invalid-image', `${spec}: an index inside an index`);
    if (res.kind !== 'recipe') throw noRecipe(spec, res);
    const recipe = res.recipe;
    const rebuild = res.rebuild ?? profileRebuild(recipe, 'docker', STORED_BEFORE_REBUILD);
    const texts: RebuildTexts = {};
    if (recipe.kind === 'system') {
      // The system's own files, as stored; the script refuses a command whose file is missing.
      if (recipe.texts.configuration !== undefined)
        texts.configuration = await this.#storedText(res.digest, recipe, { file: 'configuration.scm' }, opts);
    } else
      texts.manifest = await this.#storedText(
        res.digest,
        recipe,
        {
          file: 'manifest.scm',
          style: t.style,
          printer: t.printer,
        },
        opts,
      );
    if (recipe.channels.length > 0)
      texts.channels = await this.#storedText(
        res.digest,
        res.recipe,
        {
          file: 'channels.scm',
          printer: t.printer,
        },
        opts,
      );
    return rebuildScript(rebuild, texts);
  }

  /** A text as stored for a recipe digest, else rendered from the recipe. */
  async #storedText(digest: Digest, recipe: Recipe, t: RecipeText, opts: Opts = {}): Promise<string> {
    const found = await this.store.getText(digest, recipeTextKey(t), opts);
    if (found?.kind === 'recipe' && found.text !== undefined) return found.text;
    return renderText(recipe, t);
  }
}

/** The entry of an index for `platform` (default DEFAULT_PLATFORM); `platform-not-found` lists what it has. */
function platformEntry(
  spec: string,
  platforms: RollupEntry[],
  platform: string | undefined,
): { digest: Digest; platform: string } {
  const want: Platform = parsePlatform(platform ?? DEFAULT_PLATFORM);
  const entry = platforms.find((p) => platformMatches(p.platform ?? undefined, want));
  if (!entry)
    throw new RecipeError('platform-not-found', `${spec}: the index has no ${formatPlatform(want)} image`, {
      details: { platforms: platforms.map((p) => (p.platform ? formatPlatform(p.platform) : null)) },
    });
  return { digest: entry.digest, platform: formatPlatform(want) };
}

function noRecipe(spec: string, r: { kind: 'no-profile' | 'not-guix'; reason: string }): RecipeError {
  return new RecipeError(
    'no-guix-profile',
    `${spec}: ${r.kind === 'not-guix' ? 'not a Guix image' : 'no Guix profile found'}: ${r.reason}`,
    { details: { kind: r.kind } },
  );
}

function copyRecord(s: ImageSummary, rec: ImageRecord): void {
  s.state = rec.state;
  if (rec.kind) s.kind = rec.kind;
  if (rec.error) s.error = rec.error;
  s.updatedAt = rec.updatedAt;
  if (rec.deletedAt !== undefined) {
    s.deleted = true;
    s.deletedAt = rec.deletedAt;
  }
}
