/**
 * What the store knows about one image, as the verdict function's `Subject` (shared/policy/subject.ts):
 * the stored result of its digest (a recipe, an index of per-platform results, a Guix image without
 * profile, not a Guix image) when there is one; otherwise where its scan is (queued, running,
 * failed with the error) or that it was never scanned.
 *
 * Results are content-addressed, so a digest's recipe only changes when the digest is scanned again
 * (then its `scannedAt` changes): parsed recipes are cached by digest and scan time, bounded by
 * size, and a verdict costs one small HMGET per manifest (the rendered texts stored beside the
 * recipe are never read here), which `reads` may answer from memory (tracked-hash-reads.ts).
 *
 * Each subject comes with a **stamp**: the image record's version, read BEFORE the facts. Every
 * change of the record bumps it, so of two verdicts on the same image the one with the higher stamp
 * rests on newer facts (verdict-index.ts keeps that one).
 */
import { LRUCache } from 'lru-cache';
import { RecipeError } from '../errors.js';
import type { Digest } from '../content/digest.js';
import { formatPlatform, platformMatches, type Platform } from '../content/platform.js';
import { readRecipe, type Recipe } from '../guix/recipe.js';
import type { ImageRef } from '../oci/reference.js';
import type { PlatformFacts, Subject } from '../policy/subject.js';
import { withDeadline } from './deadline.js';
import { DirectHashReads, type HashReads } from './hash-reads.js';
import type { RecipeStore, RollupEntry } from './recipe-store.js';

type Opts = { signal?: AbortSignal };

export interface SubjectOptions extends Opts {
  /** Judge only this platform of an index (a single image is judged whatever its platform). */
  platform?: Platform;
  /** Read the stamp (default true); a verdict answered and not recorded needs none (one round trip less). */
  stamp?: boolean;
}

export interface StampedSubject {
  subject: Subject;
  /** The image record's version when the facts were read (0: no record). */
  stamp: number;
}

export interface StoreSubjectsOptions {
  /** Parsed recipes kept, by the size of their JSON. Default 64 MiB. */
  maxRecipeBytes?: number;
  /** How the facts of a digest are read (default: a round trip each, `DirectHashReads`). */
  reads?: HashReads;
}

const RESULT_FIELDS = ['kind', 'scannedAt', 'platform', 'platforms', 'reason'] as const;

type Facts =
  | { kind: 'recipe'; platform: Platform | null; recipe: Recipe }
  | { kind: 'no-profile' | 'not-guix'; platform: Platform | null; reason: string }
  | { kind: 'index'; platforms: RollupEntry[] };

export class StoreSubjects {
  readonly #recipes: LRUCache<string, Recipe>;
  readonly #reads: HashReads;

  constructor(
    readonly store: RecipeStore,
    opts: StoreSubjectsOptions = {},
  ) {
    this.#reads = opts.reads ?? new DirectHashReads(store.redis, store.deadlineMs);
    this.#recipes = new LRUCache<string, Recipe>({
      // Each recipe is set with the length of its JSON as its size (#facts).
      maxSize: opts.maxRecipeBytes ?? 64 * 1024 * 1024,
    });
  }

  #run<T>(opts: Opts, f: () => Promise<T>): Promise<T> {
    opts.signal?.throwIfAborted();
    return withDeadline(f(), this.store.deadlineMs, 'the store');
  }

  /** The version of an image's record (0 when there is none). */
  async stamp(img: ImageRef, opts: Opts = {}): Promise<number> {
    return Number(
      (await this.#run(opts, () => this.store.redis.hget(this.store.keys.image(img), 'version'))) ?? '0',
    );
  }

  /** The stored facts of one manifest digest, or undefined when none is stored. */
  async #facts(digest: Digest, opts: Opts): Promise<Facts | undefined> {
    const key = this.store.keys.result(digest);
    const [kind, scannedAt, platform, platforms, reason] = await this.#reads.hmget(key, RESULT_FIELDS, opts);
    switch (kind) {
      case 'index':
        return { kind, platforms: JSON.parse(platforms ?? '[]') as RollupEntry[] };
      case 'no-profile':
      case 'not-guix':
        return { kind, platform: JSON.parse(platform ?? 'null') as Platform | null, reason: reason ?? '' };
      case 'recipe': {
        const cacheKey = `${digest}@${scannedAt ?? ''}`;
        let recipe = this.#recipes.get(cacheKey);
        if (recipe === undefined) {
          const text = await this.#run(opts, () => this.store.redis.hget(key, 'recipe'));
          if (text === null) return undefined;
          recipe = readRecipe(JSON.parse(text));
          this.#recipes.set(cacheKey, recipe, { size: Math.max(1, text.length) });
        }
        return { kind, platform: JSON.parse(platform ?? 'null') as Platform | null, recipe };
      }
      default:
        return undefined;
    }
  }

  /** The subject of `img`, with the stamp read before it. */
  async of(img: ImageRef, opts: SubjectOptions = {}): Promise<StampedSubject> {
    const stamp = opts.stamp === false ? 0 : await this.stamp(img, opts);
    const top = await this.#facts(img.digest, opts);
    if (top === undefined) return { subject: await this.#unknown(img, opts), stamp };
    if (top.kind !== 'index') {
      const p = platformFacts(img.digest, top, undefined);
      return { subject: { known: true, digest: img.digest, platforms: [p] }, stamp };
    }
    let entries = top.platforms;
    if (opts.platform !== undefined) {
      const want = opts.platform;
      entries = entries.filter((e) => platformMatches(e.platform ?? undefined, want));
      if (entries.length === 0)
        throw new RecipeError('platform-not-found', `the index has no ${formatPlatform(want)} image`, {
          details: { platforms: top.platforms.map((e) => (e.platform ? formatPlatform(e.platform) : null)) },
        });
    }
    const platforms = await Promise.all(
      entries.map(async (e) => {
        const child = await this.#facts(e.digest, opts);
        if (child === undefined || child.kind === 'index')
          throw new RecipeError(
            'internal',
            `the index ${img.digest} names ${e.digest}, whose result is not stored`,
          );
        return platformFacts(e.digest, child, e.platform ?? undefined);
      }),
    );
    return { subject: { known: true, digest: img.digest, platforms }, stamp };
  }

  /** No result stored: where the scan is, from the image's record. */
  async #unknown(img: ImageRef, opts: Opts): Promise<Subject> {
    const rec = await this.store.getImage(img, opts);
    switch (rec?.state) {
      case 'queued':
      case 'running':
        return { known: false, state: rec.state };
      case 'failed':
        return {
          known: false,
          state: 'failed',
          ...(rec.error ? { error: { code: rec.error.code, message: rec.error.message } } : {}),
        };
      default:
        // No record, or `done` a moment before its result is readable: nothing is known yet.
        return { known: false, state: 'never-scanned' };
    }
  }
}

function platformFacts(
  digest: Digest,
  f: Exclude<Facts, { kind: 'index' }>,
  indexPlatform: Platform | undefined,
): PlatformFacts {
  // Entries of an index carry their platform; a single image is one platform, named by none.
  const where = { ...(indexPlatform ? { platform: formatPlatform(indexPlatform) } : {}), digest };
  return f.kind === 'recipe'
    ? { kind: 'recipe', ...where, recipe: f.recipe }
    : { kind: f.kind, ...where, reason: f.reason };
}
