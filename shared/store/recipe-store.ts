/**
 * The recipe store on Redis: results by manifest digest, image records (scan state, last error),
 * tags with history, and the indexes the query API reads. Key layout and transaction boundaries:
 * store-keys.ts. Works the same on one server, a Cluster and Sentinel.
 */
import type { Descriptor } from '../content/descriptor.js';
import type { Digest } from '../content/digest.js';
import type { Platform } from '../content/platform.js';
import { platformMatches } from '../content/platform.js';
import { isIndexMediaType } from '../content/media-types.js';
import { readRecipe, type Recipe, type RecipeDependency } from '../guix/recipe.js';
import { renderAllTexts } from '../guix/recipe-texts.js';
import type { ImageScan, ScanResult } from '../scan/scan-result.js';
import type { Rebuild } from '../scan/rebuild.js';
import type { ErrorCode } from '../errors.js';
import { RecipeError } from '../errors.js';
import type { RedisClient } from './redis-connection.js';
import { withDeadline } from './deadline.js';
import { StoreKeys } from './store-keys.js';
import {
  imageId,
  imageName,
  parseImageName,
  type ImageRef,
  type RepositoryName,
  type TagRef,
} from '../oci/reference.js';

/** Where one image's scan is. `queued` also covers "waiting for a retry" (then `error` says why). */
export type ScanState = 'queued' | 'running' | 'done' | 'failed';
export const SCAN_STATES: readonly ScanState[] = ['queued', 'running', 'done', 'failed'];

/** What a manifest turned out to be. */
export type ResultKind = 'recipe' | 'index' | 'no-profile' | 'not-guix';

export interface StoredError {
  code: ErrorCode;
  message: string;
  /** ISO time. */
  at: string;
}

/** One registry/repository's record of one digest. */
export interface ImageRecord {
  /** The scan id: hex sha256 of `registry/repo@digest` (also the BullMQ job id). */
  id: string;
  registry: string;
  repository: string;
  digest: Digest;
  state: ScanState;
  kind?: ResultKind;
  /** The last failure (kept while retrying, cleared when a scan succeeds). */
  error?: StoredError;
  /** What asked for the last scan: `webhook:distribution`, `api`, ... */
  source?: string;
  createdAt: string;
  updatedAt: string;
  /**
   * ISO time a worker last said it is still scanning this image (set when it takes the job, then
   * every third of `worker.lockDurationMs` while it runs; kept after). A `running` record whose
   * heartbeat is older than the lock duration has lost its worker: the job is picked up again.
   */
  heartbeatAt?: string;
  /** Completed scans of this image (a pull event must never add one). */
  scans: number;
  /**
   * ISO time the registry said the image was deleted (a delete event, or a reconciliation that
   * found its manifest gone). Its result is kept (what is gone can be rebuilt); no tag points at it.
   * Cleared when the image is pushed or tagged again.
   */
  deletedAt?: string;
}

/** One platform of an index. */
export interface RollupEntry {
  platform: Platform | null;
  digest: Digest;
  kind: Exclude<ResultKind, 'index'>;
}

interface ResultBase {
  digest: Digest;
  manifest: Descriptor;
  scannedAt: string;
}
/** What GET /v1/recipes/{digest} serves. */
export type StoredResult =
  | (ResultBase & {
      kind: 'recipe';
      platform: Platform | null;
      recipe: Recipe;
      verified: boolean;
      /** The rebuild command; absent for results stored before it was recorded. */
      rebuild?: Rebuild;
    })
  | (ResultBase & { kind: 'no-profile' | 'not-guix'; platform: Platform | null; reason: string })
  | (ResultBase & { kind: 'index'; platforms: RollupEntry[] });

/** What `getText` finds for a digest. */
export type StoredText =
  | { kind: 'index'; platforms: RollupEntry[] }
  | { kind: 'recipe'; text: string | undefined }
  | { kind: 'no-profile' | 'not-guix'; reason: string };

/** The result-hash fields a StoredResult is read from, in getResult's order (`resultFields` writes them). */
const RESULT_FIELDS = [
  'kind',
  'manifest',
  'scannedAt',
  'platforms',
  'platform',
  'recipe',
  'verified',
  'rebuild',
  'reason',
] as const;

/** Result-hash fields holding rendered texts: `text:<recipeTextKey>`. */
const TEXT_FIELD = 'text:';

export interface Page {
  offset?: number;
  limit?: number;
}

/** Largest page any listing returns, and the page size when none is asked. */
export const MAX_PAGE_LIMIT = 200;
export const DEFAULT_PAGE_LIMIT = 50;

/** THE page clamp: whole numbers, offset ≥ 0, 1 ≤ limit ≤ MAX_PAGE_LIMIT. */
export function clampPage(p: Page): { offset: number; limit: number } {
  return {
    offset: Math.max(0, Math.floor(p.offset ?? 0)),
    limit: Math.min(MAX_PAGE_LIMIT, Math.max(1, Math.floor(p.limit ?? DEFAULT_PAGE_LIMIT))),
  };
}
export interface PageResult<T> {
  items: T[];
  total: number;
}

export interface RecipeStoreOptions {
  /** Key prefix (configuration `redis.keyPrefix`). */
  prefix: string;
  /** Deadline of every store call in ms (configuration `redis.commandTimeoutMs`); none when absent. */
  deadlineMs?: number;
}

type Opts = { signal?: AbortSignal };

const now = (): number => Date.now();
const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * Store paths a recipe mentions: the profile, every package and every propagated input; for a
 * system, also its system directory and the files its provenance links lead to.
 */
function storePaths(recipe: Recipe): Set<string> {
  const out = new Set<string>();
  if (recipe.profile) out.add(recipe.profile);
  if (recipe.kind === 'system') {
    out.add(recipe.system.directory);
    for (const f of Object.values(recipe.system.files)) if (f !== null) out.add(f);
  }
  const walk = (deps: RecipeDependency[]): void => {
    for (const d of deps) {
      out.add(d.storePath);
      walk(d.propagated);
    }
  };
  for (const p of recipe.packages) {
    out.add(p.storePath);
    walk(p.propagated);
  }
  return out;
}

// Conditional state change, atomic on the one image key: `queued` never overwrites `running`
// (a duplicate push while a scan runs must not make it look idle), and with an expected version
// (ARGV[9], see stateVersion) nothing is written once the record changed since it was read: a
// worker that took the job and finished it between the enqueue and this write keeps its `done`.
// Every write bumps the record's `version`.
const SET_STATE_LUA = `
local cur = redis.call('HGET', KEYS[1], 'state')
if ARGV[1] == 'queued' and cur == 'running' and ARGV[7] ~= 'force' then return cur or '' end
if ARGV[9] ~= '' and (redis.call('HGET', KEYS[1], 'version') or '0') ~= ARGV[9] then return cur or 'unchanged' end
redis.call('HINCRBY', KEYS[1], 'version', 1)
redis.call('HSET', KEYS[1], 'state', ARGV[1], 'registry', ARGV[2], 'repository', ARGV[3], 'digest', ARGV[4], 'updatedAt', ARGV[5])
redis.call('HSETNX', KEYS[1], 'createdAt', ARGV[5])
redis.call('HSETNX', KEYS[1], 'scans', '0')
if ARGV[6] ~= '' then redis.call('HSET', KEYS[1], 'source', ARGV[6]) end
if ARGV[8] == 'clear' then redis.call('HDEL', KEYS[1], 'error') elseif ARGV[8] ~= '' then redis.call('HSET', KEYS[1], 'error', ARGV[8]) end
return ARGV[1]
`;

// A worker's heartbeat: written only while the image is `running` (a late beat after the scan
// ended must not touch a finished record's meaning); no version bump, it changes no state.
const HEARTBEAT_LUA = `
if redis.call('HGET', KEYS[1], 'state') ~= 'running' then return 0 end
redis.call('HSET', KEYS[1], 'heartbeatAt', ARGV[1])
return 1
`;

// Mark an image deleted: only a record that exists, the first deletion time kept.
const MARK_DELETED_LUA = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if redis.call('HSETNX', KEYS[1], 'deletedAt', ARGV[1]) == 1 then redis.call('HINCRBY', KEYS[1], 'version', 1) end
return 1
`;

// The image exists again (pushed, tagged): forget its deletion.
const CLEAR_DELETED_LUA = `
if redis.call('HDEL', KEYS[1], 'deletedAt') == 1 then redis.call('HINCRBY', KEYS[1], 'version', 1) return 1 end
return 0
`;

// Drop a tag's current digest when it is the one given (the history stays).
const UNTAG_IF_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) return 1 end
return 0
`;

// A lock held by one owner: renewed or released only by it.
const RENEW_IF_OWNER_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;
const RELEASE_IF_OWNER_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

// Forget an image record whose scan failed for good before a cutoff (ISO times compare as text).
const EXPIRE_FAILED_LUA = `
if redis.call('HGET', KEYS[1], 'state') ~= 'failed' then return 0 end
local at = redis.call('HGET', KEYS[1], 'updatedAt') or ''
if at > ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
`;

export class RecipeStore {
  readonly keys: StoreKeys;

  readonly deadlineMs: number | undefined;

  constructor(
    readonly redis: RedisClient,
    opts: RecipeStoreOptions,
  ) {
    this.keys = new StoreKeys(opts.prefix);
    this.deadlineMs = opts.deadlineMs;
  }

  /** Every Redis call goes through here: the signal checked, the deadline applied, errors mapped. */
  private async run<T>(opts: Opts, f: () => Promise<T>): Promise<T> {
    opts.signal?.throwIfAborted();
    return withDeadline(f(), this.deadlineMs, 'the store');
  }

  private async setState(
    img: ImageRef,
    state: ScanState,
    extra: { source?: string; error?: StoredError | 'clear'; force?: boolean; ifVersion?: string },
    opts: Opts,
  ): Promise<ScanState> {
    return this.run(opts, async () => {
      const t = now();
      const errorArg =
        extra.error === undefined ? '' : extra.error === 'clear' ? 'clear' : JSON.stringify(extra.error);
      const result = (await this.redis.eval(
        SET_STATE_LUA,
        1,
        this.keys.image(img),
        state,
        img.registry,
        img.repository,
        img.digest,
        iso(t),
        extra.source ?? '',
        extra.force ? 'force' : '',
        errorArg,
        extra.ifVersion ?? '',
      )) as string;
      const applied = (result || state) as ScanState;
      if (applied === state) {
        await this.indexState(img, state, t);
        await this.indexRepository(img);
      }
      return applied;
    });
  }

  /** The repository indexes (sets that only grow): the registry, its repository, the digest. */
  private async indexRepository(img: ImageRef): Promise<void> {
    await this.redis.sadd(this.keys.registries(), img.registry);
    await this.redis.sadd(this.keys.repositories(img.registry), img.repository);
    await this.redis.sadd(this.keys.repositoryImages(img), img.digest);
  }

  /** Keep the by-state sets (single-key, idempotent commands) in line with an image's state. */
  private async indexState(img: ImageRef, state: ScanState, t: number): Promise<void> {
    const name = imageName(img);
    // NX: the score stays the first time, so pages of all images stay stable as states change.
    await this.redis.zadd(this.keys.allImages(), 'NX', t, name);
    await this.redis.zadd(this.keys.byState(state), t, name);
    for (const other of SCAN_STATES)
      if (other !== state) await this.redis.zrem(this.keys.byState(other), name);
  }

  /**
   * The version of an image's record ('0' when there is none): read it before enqueueing and pass
   * it to markQueued, so that a worker's progress made in between is not overwritten.
   */
  async stateVersion(img: ImageRef, opts: Opts = {}): Promise<string> {
    return (await this.run(opts, () => this.redis.hget(this.keys.image(img), 'version'))) ?? '0';
  }

  /**
   * A scan was enqueued: record the scan-id pointer and mark the image queued, unless it is
   * running, or (with `ifVersion` from stateVersion) unless its record changed since: then a worker
   * already took, and maybe finished, the job. Returns the scan id.
   */
  async markQueued(
    img: ImageRef,
    info: { source: string; ifVersion?: string },
    opts: Opts = {},
  ): Promise<string> {
    const id = imageId(img);
    await this.run(opts, () => this.redis.set(this.keys.scan(id), imageName(img)));
    await this.setState(
      img,
      'queued',
      { source: info.source, ...(info.ifVersion !== undefined ? { ifVersion: info.ifVersion } : {}) },
      opts,
    );
    return id;
  }

  /**
   * A worker took the job (its first heartbeat). `source` is the job's: the worker records it too,
   * since markQueued yields to a worker that took the job before its write landed.
   */
  async markRunning(img: ImageRef, info: { source?: string } = {}, opts: Opts = {}): Promise<void> {
    await this.run(opts, () => this.redis.set(this.keys.scan(imageId(img)), imageName(img)));
    await this.setState(
      img,
      'running',
      { force: true, ...(info.source !== undefined ? { source: info.source } : {}) },
      opts,
    );
    await this.heartbeat(img, opts);
  }

  /** The worker scanning `img` is alive: record the time (only while the record is `running`). */
  async heartbeat(img: ImageRef, opts: Opts = {}): Promise<boolean> {
    const r = await this.run(opts, () => this.redis.eval(HEARTBEAT_LUA, 1, this.keys.image(img), iso(now())));
    return r === 1;
  }

  /** A running scan went back to the queue without failing (its worker shut down). */
  async markRequeued(img: ImageRef, opts: Opts = {}): Promise<void> {
    await this.setState(img, 'queued', { force: true }, opts);
  }

  /** A try failed and another one will follow: queued again, with the error kept. */
  async markRetrying(img: ImageRef, error: Omit<StoredError, 'at'>, opts: Opts = {}): Promise<void> {
    await this.setState(img, 'queued', { error: { ...error, at: iso(now()) }, force: true }, opts);
  }

  /** The scan failed for good. */
  async markFailed(img: ImageRef, error: Omit<StoredError, 'at'>, opts: Opts = {}): Promise<void> {
    await this.setState(img, 'failed', { error: { ...error, at: iso(now()) }, force: true }, opts);
  }

  /**
   * Store a finished scan of `img`. Per-platform results of an index (content-addressed, in their
   * own slots) and the secondary indexes go first, idempotently; then ONE MULTI in the top digest's
   * slot writes the top-level result and the image record as `done`. A reader never sees an image
   * `done` whose results are missing; a crash part-way leaves the job to be retried, and a retry
   * rewrites the same values.
   */
  async saveScan(img: ImageRef, scan: ImageScan, opts: Opts = {}): Promise<StoredResult> {
    if (scan.manifest.digest !== img.digest)
      throw new RecipeError('internal', `scan of ${scan.manifest.digest} stored as ${img.digest}`);
    const t = now();
    const name = imageName(img);
    const isIndex =
      isIndexMediaType(scan.manifest.mediaType) || scan.results.some((r) => r.manifest.digest !== img.digest);
    const children = isIndex ? scan.results : [];
    let top: StoredResult;
    if (isIndex) {
      top = {
        kind: 'index',
        digest: img.digest,
        manifest: scan.manifest,
        scannedAt: iso(t),
        platforms: scan.results.map((r) => ({
          platform: r.platform ?? null,
          digest: r.manifest.digest,
          kind: r.kind,
        })),
      };
    } else {
      const only = scan.results[0];
      if (only === undefined || scan.results.length !== 1)
        throw new RecipeError(
          'internal',
          `scan of image ${img.digest} has ${scan.results.length} results, want 1`,
        );
      top = this.toStored(only, t);
    }

    await this.run(opts, async () => {
      for (const child of children) {
        const stored = this.toStored(child, t);
        await this.redis
          .multi()
          .del(this.keys.result(stored.digest))
          .hset(this.keys.result(stored.digest), this.resultFields(stored))
          .exec()
          .then(checkExec);
      }
      for (const r of scan.results) if (r.kind === 'recipe') await this.indexRecipe(name, r.recipe, t);
      const imageKey = this.keys.image(img);
      await this.redis
        .multi()
        .del(this.keys.result(img.digest))
        .hset(this.keys.result(img.digest), this.resultFields(top))
        .sadd(this.keys.imagesOf(img.digest), name)
        .hset(imageKey, {
          state: 'done',
          kind: top.kind,
          registry: img.registry,
          repository: img.repository,
          digest: img.digest,
          updatedAt: iso(t),
        })
        .hsetnx(imageKey, 'createdAt', iso(t))
        .hdel(imageKey, 'error')
        .hincrby(imageKey, 'scans', 1)
        .hincrby(imageKey, 'version', 1)
        .exec()
        .then(checkExec);
      await this.redis.set(this.keys.scan(imageId(img)), name);
      await this.indexState(img, 'done', t);
      await this.indexRepository(img);
    });
    return top;
  }

  /**
   * Record an image as `done` from a result already stored for its digest (same bytes, same
   * recipe: content addressing makes a re-scan unnecessary). Returns undefined when none is stored.
   */
  async reuseResult(img: ImageRef, opts: Opts = {}): Promise<StoredResult | undefined> {
    const existing = await this.getResult(img.digest, opts);
    if (!existing) return undefined;
    const t = now();
    const name = imageName(img);
    await this.run(opts, async () => {
      const recipes =
        existing.kind === 'index'
          ? await Promise.all(existing.platforms.map((p) => this.getResult(p.digest, opts)))
          : [existing];
      for (const r of recipes) if (r?.kind === 'recipe') await this.indexRecipe(name, r.recipe, t);
      const imageKey = this.keys.image(img);
      await this.redis
        .multi()
        .sadd(this.keys.imagesOf(img.digest), name)
        .hset(imageKey, {
          state: 'done',
          kind: existing.kind,
          registry: img.registry,
          repository: img.repository,
          digest: img.digest,
          updatedAt: iso(t),
        })
        .hsetnx(imageKey, 'createdAt', iso(t))
        .hsetnx(imageKey, 'scans', '0')
        .hdel(imageKey, 'error')
        .hincrby(imageKey, 'version', 1)
        .exec()
        .then(checkExec);
      await this.redis.set(this.keys.scan(imageId(img)), name);
      await this.indexState(img, 'done', t);
      await this.indexRepository(img);
    });
    return existing;
  }

  private toStored(r: ScanResult, t: number): StoredResult {
    const base = {
      digest: r.manifest.digest,
      manifest: r.manifest,
      scannedAt: iso(t),
      platform: r.platform ?? null,
    };
    if (r.kind === 'recipe')
      return { ...base, kind: 'recipe', recipe: r.recipe, verified: r.verified, rebuild: r.rebuild };
    return { ...base, kind: r.kind, reason: r.reason };
  }

  private resultFields(r: StoredResult): Record<string, string> {
    const f: Record<string, string> = {
      kind: r.kind,
      manifest: JSON.stringify(r.manifest),
      scannedAt: r.scannedAt,
    };
    if (r.kind === 'index') f.platforms = JSON.stringify(r.platforms);
    else f.platform = JSON.stringify(r.platform);
    if (r.kind === 'recipe') {
      f.recipe = JSON.stringify(r.recipe);
      f.verified = r.verified ? '1' : '0';
      if (r.rebuild !== undefined) f.rebuild = JSON.stringify(r.rebuild);
      // Every text variant, rendered once here and served as stored (getText).
      for (const [key, text] of Object.entries(renderAllTexts(r.recipe))) f[`${TEXT_FIELD}${key}`] = text;
    }
    if (r.kind === 'no-profile' || r.kind === 'not-guix') f.reason = r.reason;
    return f;
  }

  private async indexRecipe(name: string, recipe: Recipe, t: number): Promise<void> {
    for (const k of this.recipeIndexKeys(recipe)) await this.redis.zadd(k, 'NX', t, name);
  }

  /** The secondary index keys (by package, channel commit, store path) that list an image of `recipe`. */
  recipeIndexKeys(recipe: Recipe): Set<string> {
    const keys = new Set<string>();
    for (const p of recipe.packages) {
      keys.add(this.keys.byPackage(p.name));
      keys.add(this.keys.byPackage(`${p.name}@${p.version}`));
    }
    // A channel recorded without a commit (`#f`, null) has nothing to be found by: no key for it.
    for (const c of recipe.channels)
      for (const commit of new Set([c.commit, ...c.commits]))
        if (commit !== null) keys.add(this.keys.byChannel(c.url, commit));
    for (const p of recipe.packages)
      for (const ch of p.channels) if (ch.commit !== null) keys.add(this.keys.byChannel(ch.url, ch.commit));
    for (const path of storePaths(recipe)) keys.add(this.keys.byStorePath(path));
    return keys;
  }

  /** The result stored for a manifest digest (image, index roll-up, no-profile, not-guix). */
  async getResult(digest: Digest, opts: Opts = {}): Promise<StoredResult | undefined> {
    // Only these fields: the hash also holds every rendered text (`text:*`), read by `getText` alone.
    const [kind, manifest, scannedAt, platforms, platform, recipe, verified, rebuild, reason] =
      await this.run(opts, () => this.redis.hmget(this.keys.result(digest), ...RESULT_FIELDS));
    if (!kind || !manifest || !scannedAt) return undefined;
    const base = { digest, manifest: JSON.parse(manifest) as Descriptor, scannedAt };
    switch (kind) {
      case 'index':
        return { ...base, kind: 'index', platforms: JSON.parse(platforms ?? '[]') as RollupEntry[] };
      case 'recipe':
        return {
          ...base,
          kind: 'recipe',
          platform: JSON.parse(platform ?? 'null') as Platform | null,
          // Every shape ever stored: a document without `kind: 'system'` is a profile's recipe.
          recipe: readRecipe(JSON.parse(recipe ?? 'null')),
          verified: verified === '1',
          ...(typeof rebuild === 'string' && { rebuild: JSON.parse(rebuild) as Rebuild }),
        };
      case 'no-profile':
      case 'not-guix':
        return {
          ...base,
          kind,
          platform: JSON.parse(platform ?? 'null') as Platform | null,
          reason: reason ?? '',
        };
      default:
        return undefined;
    }
  }

  /** For an index digest: the result of one platform (`os/arch[/variant]`). */
  /**
   * One stored text of a result (`recipeTextKey`), read without the recipe JSON. For a recipe,
   * `text` is undefined when the variant is not stored (channels.scm without provenance, or a result
   * stored before texts were kept): render it from `getResult` then.
   */
  async getText(digest: Digest, key: string, opts: Opts = {}): Promise<StoredText | undefined> {
    const [kind, text, platforms, reason] = await this.run(opts, () =>
      this.redis.hmget(this.keys.result(digest), 'kind', `${TEXT_FIELD}${key}`, 'platforms', 'reason'),
    );
    switch (kind) {
      case 'index':
        return { kind, platforms: JSON.parse(platforms ?? '[]') as RollupEntry[] };
      case 'recipe':
        return { kind, text: text ?? undefined };
      case 'no-profile':
      case 'not-guix':
        return { kind, reason: reason ?? '' };
      default:
        return undefined;
    }
  }

  async getPlatformResult(
    indexDigest: Digest,
    platform: Platform,
    opts: Opts = {},
  ): Promise<StoredResult | undefined> {
    const top = await this.getResult(indexDigest, opts);
    if (top?.kind !== 'index') return top;
    const entry = top.platforms.find((p) => platformMatches(p.platform ?? undefined, platform));
    if (!entry) return undefined;
    return this.getResult(entry.digest, opts);
  }

  async getImage(img: ImageRef, opts: Opts = {}): Promise<ImageRecord | undefined> {
    const h = await this.run(opts, () => this.redis.hgetall(this.keys.image(img)));
    if (!h.state) return undefined;
    const rec: ImageRecord = {
      id: imageId(img),
      registry: img.registry,
      repository: img.repository,
      digest: img.digest,
      state: h.state as ScanState,
      createdAt: h.createdAt ?? h.updatedAt ?? '',
      updatedAt: h.updatedAt ?? '',
      scans: Number(h.scans ?? '0'),
    };
    if (h.kind) rec.kind = h.kind as ResultKind;
    if (h.error) rec.error = JSON.parse(h.error) as StoredError;
    if (h.source) rec.source = h.source;
    if (h.heartbeatAt) rec.heartbeatAt = h.heartbeatAt;
    if (h.deletedAt) rec.deletedAt = h.deletedAt;
    return rec;
  }

  /** The image a scan id stands for, and its record. */
  async getImageById(id: string, opts: Opts = {}): Promise<ImageRecord | undefined> {
    if (!/^[a-f0-9]{64}$/.test(id)) return undefined;
    const name = await this.run(opts, () => this.redis.get(this.keys.scan(id)));
    const img = name ? parseImageName(name) : undefined;
    return img ? this.getImage(img, opts) : undefined;
  }

  /** Names (`registry/repo@digest`) of the images holding a digest. */
  async imagesOf(digest: Digest, opts: Opts = {}): Promise<string[]> {
    return (await this.run(opts, () => this.redis.smembers(this.keys.imagesOf(digest)))).sort();
  }

  /**
   * Record what a tag points at now (as the registry served it), keeping the history. The image
   * it points at exists: a deletion recorded for it is forgotten.
   */
  async setTag(ref: TagRef, digest: Digest, opts: Opts & { at?: number } = {}): Promise<void> {
    const t = opts.at ?? now();
    await this.run(opts, async () => {
      await this.redis
        .multi()
        .set(this.keys.tag(ref), digest)
        .zadd(this.keys.tagHistory(ref), t, digest)
        .exec()
        .then(checkExec);
      await this.redis.sadd(this.keys.registries(), ref.registry);
      await this.redis.sadd(this.keys.repositories(ref.registry), ref.repository);
      await this.redis.sadd(this.keys.repositoryTags(ref), ref.tag);
      await this.redis.eval(CLEAR_DELETED_LUA, 1, this.keys.image({ ...ref, digest }));
    });
  }

  /** The image exists again (it was pushed): forget a deletion recorded for it. */
  async clearDeleted(img: ImageRef, opts: Opts = {}): Promise<void> {
    await this.run(opts, () => this.redis.eval(CLEAR_DELETED_LUA, 1, this.keys.image(img)));
  }

  /**
   * The registry deleted the image `img`: its record says so (`deletedAt`), its result stays, and
   * every tag of its repository that points at it is dropped (their history stays). Returns
   * whether the store knew the image, and the tags dropped. Idempotent.
   */
  async markDeleted(img: ImageRef, opts: Opts = {}): Promise<{ known: boolean; untagged: string[] }> {
    return this.run(opts, async () => {
      // Tags first, the record last: a reader that sees the image deleted sees its tags gone too.
      const untagged: string[] = [];
      for (const tag of (await this.redis.smembers(this.keys.repositoryTags(img))).sort()) {
        const ref = { registry: img.registry, repository: img.repository, tag };
        if ((await this.redis.eval(UNTAG_IF_LUA, 1, this.keys.tag(ref), img.digest)) === 1)
          untagged.push(tag);
      }
      const known = (await this.redis.eval(MARK_DELETED_LUA, 1, this.keys.image(img), iso(now()))) === 1;
      return { known, untagged };
    });
  }

  /** The registry deleted a tag: it points nowhere now (its history stays). Returns whether it pointed somewhere. */
  async removeTag(ref: TagRef, opts: Opts = {}): Promise<boolean> {
    return (await this.run(opts, () => this.redis.del(this.keys.tag(ref)))) > 0;
  }

  /** The registry deleted a whole repository: every image of it is marked deleted, every tag dropped. */
  async deleteRepository(
    repo: RepositoryName,
    opts: Opts = {},
  ): Promise<{ images: number; untagged: number }> {
    let images = 0;
    for (const digest of await this.repositoryImages(repo, opts))
      if ((await this.markDeleted({ ...repo, digest }, opts)).known) images++;
    let untagged = 0;
    for (const tag of await this.repositoryTags(repo, opts))
      if (await this.removeTag({ ...repo, tag }, opts)) untagged++;
    return { images, untagged };
  }

  /**
   * THE path of a deletion a registry announced (webhooks; reconciliation uses markDeleted): a
   * manifest (`digest`), a tag (`tag` alone) or, with neither, the whole repository. `known`: the
   * store had something it changed.
   */
  async recordDeletion(
    d: RepositoryName & { digest?: Digest; tag?: string },
    opts: Opts = {},
  ): Promise<{ what: 'image' | 'tag' | 'repository'; known: boolean }> {
    const repo = { registry: d.registry, repository: d.repository };
    if (d.digest !== undefined) {
      const r = await this.markDeleted({ ...repo, digest: d.digest }, opts);
      return { what: 'image', known: r.known || r.untagged.length > 0 };
    }
    if (d.tag !== undefined)
      return { what: 'tag', known: await this.removeTag({ ...repo, tag: d.tag }, opts) };
    const r = await this.deleteRepository(repo, opts);
    return { what: 'repository', known: r.images + r.untagged > 0 };
  }

  /** The registries the store knows images or tags of, sorted. */
  async knownRegistries(opts: Opts = {}): Promise<string[]> {
    return (await this.run(opts, () => this.redis.smembers(this.keys.registries()))).sort();
  }

  /** The repositories of `registry` the store knows images or tags of, sorted. */
  async knownRepositories(registry: string, opts: Opts = {}): Promise<string[]> {
    return (await this.run(opts, () => this.redis.smembers(this.keys.repositories(registry)))).sort();
  }

  /** The digests a repository has image records of, sorted. */
  async repositoryImages(repo: RepositoryName, opts: Opts = {}): Promise<Digest[]> {
    return (
      await this.run(opts, () => this.redis.smembers(this.keys.repositoryImages(repo)))
    ).sort() as Digest[];
  }

  /** The tags of a repository the store has recorded (pointing somewhere now or not), sorted. */
  async repositoryTags(repo: RepositoryName, opts: Opts = {}): Promise<string[]> {
    return (await this.run(opts, () => this.redis.smembers(this.keys.repositoryTags(repo)))).sort();
  }

  /**
   * Take the right to scan `digest` for `ttlMs` (one worker scans a digest at a time; the others
   * wait and reuse its result). False when another owner holds it.
   */
  async claimScan(digest: Digest, owner: string, ttlMs: number, opts: Opts = {}): Promise<boolean> {
    const r = await this.run(opts, () =>
      this.redis.set(this.keys.scanning(digest), owner, 'PX', Math.max(1, Math.floor(ttlMs)), 'NX'),
    );
    return r === 'OK';
  }

  /** Extend a claim still held by `owner`; false when it was lost. */
  async renewScan(digest: Digest, owner: string, ttlMs: number, opts: Opts = {}): Promise<boolean> {
    const r = await this.run(opts, () =>
      this.redis.eval(RENEW_IF_OWNER_LUA, 1, this.keys.scanning(digest), owner, String(Math.floor(ttlMs))),
    );
    return r === 1;
  }

  /** Give a claim back (only when `owner` still holds it). */
  async releaseScan(digest: Digest, owner: string, opts: Opts = {}): Promise<void> {
    await this.run(opts, () => this.redis.eval(RELEASE_IF_OWNER_LUA, 1, this.keys.scanning(digest), owner));
  }

  /**
   * Retention: forget image records that failed for good before `cutoffMs` and whose digest has no
   * stored result (the failure is all they hold), walking the failed set in batches. Records with
   * a result, or no longer failed, are left as they are. Returns how many were forgotten.
   */
  async expireFailed(cutoffMs: number, opts: Opts & { batch?: number } = {}): Promise<number> {
    const batch = Math.max(1, opts.batch ?? 200);
    const failed = this.keys.byState('failed');
    let forgotten = 0;
    for (let offset = 0; ;) {
      opts.signal?.throwIfAborted();
      const names = await this.run(opts, () =>
        this.redis.zrangebyscore(failed, '-inf', String(cutoffMs), 'LIMIT', offset, batch),
      );
      for (const name of names) {
        const img = parseImageName(name);
        const gone = img !== undefined && (await this.#forgetFailed(img, name, cutoffMs, opts));
        if (gone) forgotten++;
        else offset++;
      }
      if (names.length < batch) return forgotten;
    }
  }

  async #forgetFailed(img: ImageRef, name: string, cutoffMs: number, opts: Opts): Promise<boolean> {
    return this.run(opts, async () => {
      if ((await this.redis.exists(this.keys.result(img.digest))) > 0) return false;
      if ((await this.redis.eval(EXPIRE_FAILED_LUA, 1, this.keys.image(img), iso(cutoffMs))) !== 1)
        return false;
      await this.redis.zrem(this.keys.byState('failed'), name);
      await this.redis.srem(this.keys.imagesOf(img.digest), name);
      await this.redis.srem(this.keys.repositoryImages(img), img.digest);
      await this.redis.del(this.keys.scan(imageId(img)));
      return true;
    });
  }

  /** Retention: keep the newest `keep` entries of a tag's history. Returns how many were dropped. */
  async trimTagHistory(ref: TagRef, keep: number, opts: Opts = {}): Promise<number> {
    return this.run(opts, () =>
      this.redis.zremrangebyrank(this.keys.tagHistory(ref), 0, -(Math.max(1, Math.floor(keep)) + 1)),
    );
  }

  async getTag(ref: TagRef, opts: Opts = {}): Promise<Digest | undefined> {
    const d = await this.run(opts, () => this.redis.get(this.keys.tag(ref)));
    return (d ?? undefined) as Digest | undefined;
  }

  /** Digests a tag pointed at, most recent first, with when each was last seen there. */
  async tagHistory(ref: TagRef, opts: Opts = {}): Promise<{ digest: Digest; at: string }[]> {
    const flat = await this.run(opts, () =>
      this.redis.zrevrange(this.keys.tagHistory(ref), 0, -1, 'WITHSCORES'),
    );
    const out: { digest: Digest; at: string }[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2)
      out.push({ digest: flat[i] as Digest, at: iso(Number(flat[i + 1])) });
    return out;
  }

  private async page(key: string, page: Page, opts: Opts): Promise<PageResult<string>> {
    const { offset, limit } = clampPage(page);
    return this.run(opts, async () => {
      const [items, total] = await Promise.all([
        this.redis.zrange(key, String(offset), String(offset + limit - 1)),
        this.redis.zcard(key),
      ]);
      return { items, total };
    });
  }

  /** Images (names) whose recipe has package `name`, or `name@version` when version is given. */
  findByPackage(
    name: string,
    version: string | undefined,
    page: Page = {},
    opts: Opts = {},
  ): Promise<PageResult<string>> {
    return this.page(this.keys.byPackage(version === undefined ? name : `${name}@${version}`), page, opts);
  }
  findByChannel(url: string, commit: string, page: Page = {}, opts: Opts = {}): Promise<PageResult<string>> {
    return this.page(this.keys.byChannel(url, commit), page, opts);
  }
  findByStorePath(path: string, page: Page = {}, opts: Opts = {}): Promise<PageResult<string>> {
    return this.page(this.keys.byStorePath(path), page, opts);
  }
  /** Images by scan state (the set is maintained after each record change; check the record). */
  findByState(state: ScanState, page: Page = {}, opts: Opts = {}): Promise<PageResult<string>> {
    return this.page(this.keys.byState(state), page, opts);
  }

  /** Every image with a record, first recorded first (ties by name). */
  findAll(page: Page = {}, opts: Opts = {}): Promise<PageResult<string>> {
    return this.page(this.keys.allImages(), page, opts);
  }

  /** Round trip to Redis (readiness). */
  async ping(opts: Opts = {}): Promise<void> {
    await this.run(opts, () => this.redis.ping());
  }
}

function checkExec(res: [Error | null, unknown][] | null): void {
  if (res === null) throw new RecipeError('unavailable', 'Redis transaction aborted');
  for (const [err] of res) if (err) throw err;
}
