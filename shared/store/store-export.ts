/**
 * `guix-recipes export DIR`: every result, image record, tag and API-stored policy of the store
 * written as files (export-layout.ts). The store is read with SCAN (every master of a Cluster) and
 * plain reads: an export taken while the service runs is a consistent picture of each key, not of
 * the whole store at one instant. Records of scans still queued or running are listed as pending,
 * not exported. Derived data is not exported: the secondary indexes are rebuilt by `import` (their
 * scores, the first-seen times that order query answers, are kept in image.json), the verdict
 * indexes by the API, the layer cache by the next scans.
 *
 * DIR may not exist, be empty, or hold an earlier export (its index file): the export then
 * replaces it, files no longer in the store removed from `results/`, `images/` and `policies/`;
 * anything else there (a `.git`, a README) is left alone. Any other folder is refused.
 */
import { mkdir, readdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { RecipeError } from '../errors.js';
import type { Digest } from '../content/digest.js';
import { formatPlatform } from '../content/platform.js';
import type { Recipe } from '../guix/recipe.js';
import { profileRebuild, STORED_BEFORE_REBUILD } from '../scan/profile-rebuild.js';
import { rebuildScript, type RebuildTexts } from '../scan/rebuild-script.js';
import { imageName, type ImageRef, type TagRef } from '../oci/reference.js';
import {
  EXPORT_FORMAT,
  EXPORT_FORMAT_VERSION,
  EXPORT_INDEX,
  digestDir,
  encodeHash,
  jsonText,
  repositoryDir,
  resultDir,
  textFile,
  type ExportIndex,
} from './export-layout.js';
import type { RecipeStore, RollupEntry } from './recipe-store.js';
import { scanKeys } from './scan-keys.js';

/** What an image record's file holds besides the record. */
export interface ImageFile {
  image: string;
  registry: string;
  repository: string;
  digest: Digest;
  record: ReturnType<typeof encodeHash>['encoded'];
  /** Whether the image is among those holding its digest (`images:{digest}`). */
  listed: boolean;
  /** Where its result is (relative to the export), when one is stored. */
  result?: string;
  /** The score of the image in its by-state set, when it differs from `updatedAt`. */
  stateSince?: number;
  /** The score under which the secondary indexes list it (first-seen time, ms). */
  indexedAt?: number;
  /** Index keys (relative to the key namespace) whose score differs from `indexedAt`; null: not listed there. */
  indexedAtByKey?: Record<string, number | null>;
}

export interface TagFileEntry {
  /** The digest the tag points at now; null when it points nowhere (deleted). */
  digest: Digest | null;
  /** `[digest, ms]` by time seen, oldest first. */
  history: [Digest, number][];
}

export interface ExportSummary {
  results: number;
  images: number;
  pending: number;
  repositories: number;
  policies: number;
  files: number;
}

/** Every key matching `pattern`, sorted, each once. */
async function allKeys(store: RecipeStore, pattern: string, signal?: AbortSignal): Promise<string[]> {
  const out = new Set<string>();
  for await (const batch of scanKeys(store.redis, pattern, signal ? { signal } : {}))
    for (const k of batch) out.add(k);
  return [...out].sort();
}

/** The most frequent value (the smallest among equals). */
function mode(values: number[]): number | undefined {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: number | undefined;
  for (const [v, n] of counts)
    if (best === undefined || n > counts.get(best)! || (n === counts.get(best)! && v < best)) best = v;
  return best;
}

/** Folder names of an index's platforms, in roll-up order (`linux-arm64-v8`, `-2` for a repeat). */
export function platformDirs(platforms: readonly RollupEntry[]): string[] {
  const seen = new Map<string, number>();
  return platforms.map((p) => {
    const base = p.platform ? formatPlatform(p.platform).replaceAll('/', '-') : 'unknown';
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base}-${n}`;
  });
}

/** The folders an export owns inside DIR. */
const OWNED = ['results', 'images', 'policies'];

/** Refuse a DIR that holds something else than an earlier export. */
async function checkExportDir(dir: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new RecipeError('usage', `export: cannot read ${dir}: ${(err as Error).message}`);
  }
  if (names.length > 0 && !names.includes(EXPORT_INDEX))
    throw new RecipeError(
      'usage',
      `export: ${dir} is neither empty nor an earlier export (no ${EXPORT_INDEX}): choose another folder`,
    );
}

/** Remove files under the owned folders that this export did not write, then empty folders. */
async function prune(dir: string, written: ReadonlySet<string>): Promise<void> {
  const walk = async (path: string): Promise<boolean> => {
    let entries;
    try {
      entries = await readdir(path, { withFileTypes: true });
    } catch {
      return true;
    }
    let empty = true;
    for (const e of entries) {
      const full = join(path, e.name);
      if (e.isDirectory()) {
        if (await walk(full)) await rmdir(full).catch(() => {});
        else empty = false;
      } else if (!written.has(relative(dir, full))) await rm(full, { force: true });
      else empty = false;
    }
    return empty;
  };
  for (const top of OWNED) if (await walk(join(dir, top))) await rmdir(join(dir, top)).catch(() => {});
}

export async function exportStore(
  store: RecipeStore,
  dir: string,
  opts: { storeSchema: number; signal?: AbortSignal },
): Promise<ExportSummary> {
  const { keys, redis } = store;
  const signal = opts.signal;
  await checkExportDir(dir);
  const written = new Set<string>();
  const put = async (path: string, content: string, mode?: number): Promise<void> => {
    const full = join(dir, path);
    await mkdir(dirname(full), { recursive: true });
    await writeFile(full, content, mode === undefined ? undefined : { mode });
    written.add(path);
  };
  const index: ExportIndex = {
    format: EXPORT_FORMAT,
    formatVersion: EXPORT_FORMAT_VERSION,
    storeSchema: opts.storeSchema,
    results: [],
    images: [],
    pending: [],
    repositories: [],
    policies: [],
  };

  // Results, content-addressed.
  const resultDigests = (await allKeys(store, `${keys.root}:result:{*}`, signal)).flatMap(
    (k) => keys.parseResultKey(k) ?? [],
  );
  for (const digest of resultDigests) {
    signal?.throwIfAborted();
    const h = await redis.hgetall(keys.result(digest));
    if (!h.kind) continue;
    const path = resultDir(digest);
    const { encoded, files: extra } = encodeHash(h, (field) =>
      field === 'recipe' ? 'recipe.json' : field.startsWith('text:') ? textFile(field) : undefined,
    );
    for (const [file, content] of extra) await put(`${path}/${file}`, content);
    await put(`${path}/result.json`, jsonText({ digest, ...encoded }));
    index.results.push({ digest, path });
  }
  const stored = new Set(index.results.map((r) => r.digest));

  // Image records, with what lists them.
  const images = (await allKeys(store, `${keys.root}:image:{*}:*`, signal))
    .flatMap((k) => keys.parseImageKey(k) ?? [])
    .sort((a, b) => (imageName(a) < imageName(b) ? -1 : imageName(a) > imageName(b) ? 1 : 0));
  for (const img of images) {
    signal?.throwIfAborted();
    const h = await redis.hgetall(keys.image(img));
    if (!h.state) continue;
    const name = imageName(img);
    if (h.state === 'queued' || h.state === 'running') {
      index.pending.push(name);
      continue;
    }
    const path = `${repositoryDir(img)}/${digestDir(img.digest)}`;
    await put(`${path}/image.json`, jsonText(await imageFile(store, img, h, stored)));
    await writeRecipeCopies(store, img, path, put);
    index.images.push({ image: name, path });
  }

  // Tags, by repository.
  const tags = new Map<string, Map<string, TagFileEntry>>();
  const tagRefs = new Map<string, TagRef>();
  for (const key of await allKeys(store, `${keys.root}:tag:{*}*`, signal)) {
    const parsed = keys.parseTagKey(key);
    if (parsed) tagRefs.set(`${parsed.ref.registry}/${parsed.ref.repository}:${parsed.ref.tag}`, parsed.ref);
  }
  for (const ref of tagRefs.values()) {
    const repo = `${ref.registry}/${ref.repository}`;
    const digest = (await redis.get(keys.tag(ref))) as Digest | null;
    const flat = await redis.zrange(keys.tagHistory(ref), '0', '-1', 'WITHSCORES');
    const history: [Digest, number][] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) history.push([flat[i] as Digest, Number(flat[i + 1])]);
    if (!tags.has(repo)) tags.set(repo, new Map());
    tags.get(repo)!.set(ref.tag, { digest, history });
  }
  for (const repo of [...tags.keys()].sort()) {
    const entries = tags.get(repo)!;
    const slash = repo.indexOf('/');
    const path = `${repositoryDir({ registry: repo.slice(0, slash), repository: repo.slice(slash + 1) })}/tags.json`;
    const sorted = Object.fromEntries([...entries.keys()].sort().map((t) => [t, entries.get(t)!]));
    await put(path, jsonText(sorted));
    index.repositories.push({ repository: repo, path });
  }

  // Policies stored through the API (file and built-in ones come from the configuration).
  for (const name of (await redis.smembers(keys.policies())).sort()) {
    const h = await redis.hgetall(keys.policy(name));
    if (h.origin !== 'api' || h.deleted !== undefined || !h.document) continue;
    const path = `policies/${name}.json`;
    await put(path, jsonText({ name, ...encodeHash(h).encoded }));
    index.policies.push({ name, path });
  }

  await put(EXPORT_INDEX, jsonText(index));
  await prune(dir, written);
  return {
    results: index.results.length,
    images: index.images.length,
    pending: index.pending.length,
    repositories: index.repositories.length,
    policies: index.policies.length,
    files: written.size,
  };
}

/** The recipes a stored result holds: itself, or an index's platforms. */
async function recipesOf(store: RecipeStore, digest: Digest): Promise<Recipe[]> {
  const top = await store.getResult(digest);
  if (!top) return [];
  if (top.kind === 'recipe') return [top.recipe];
  if (top.kind !== 'index') return [];
  const out: Recipe[] = [];
  for (const p of top.platforms) {
    const r = await store.getResult(p.digest);
    if (r?.kind === 'recipe') out.push(r.recipe);
  }
  return out;
}

async function imageFile(
  store: RecipeStore,
  img: ImageRef,
  h: Record<string, string>,
  stored: ReadonlySet<Digest>,
): Promise<ImageFile> {
  const { keys, redis } = store;
  const name = imageName(img);
  const file: ImageFile = {
    image: name,
    registry: img.registry,
    repository: img.repository,
    digest: img.digest,
    record: encodeHash(h).encoded,
    listed: (await redis.sismember(keys.imagesOf(img.digest), name)) === 1,
  };
  if (stored.has(img.digest)) file.result = resultDir(img.digest);
  const stateScore = await redis.zscore(keys.byState(h.state!), name);
  if (stateScore !== null && Number(stateScore) !== Date.parse(h.updatedAt ?? ''))
    file.stateSince = Number(stateScore);
  const indexKeys = new Set<string>();
  for (const recipe of await recipesOf(store, img.digest))
    for (const k of store.recipeIndexKeys(recipe)) indexKeys.add(k);
  const scores = new Map<string, number | null>();
  for (const k of [...indexKeys].sort()) {
    const s = await redis.zscore(k, name);
    scores.set(k.slice(keys.root.length + 1), s === null ? null : Number(s));
  }
  const at = mode([...scores.values()].filter((s): s is number => s !== null));
  if (at !== undefined) file.indexedAt = at;
  for (const [k, s] of scores) if (s !== at) (file.indexedAtByKey ??= {})[k] = s;
  return file;
}

/** The recipe files of an image for people: its recipe, or each platform's in its folder. */
async function writeRecipeCopies(
  store: RecipeStore,
  img: ImageRef,
  path: string,
  put: (path: string, content: string, mode?: number) => Promise<void>,
): Promise<void> {
  const top = await store.getResult(img.digest);
  if (!top) return;
  const targets: { dir: string; digest: Digest }[] = [];
  if (top.kind === 'index') {
    const dirs = platformDirs(top.platforms);
    top.platforms.forEach((p, i) => targets.push({ dir: `${path}/${dirs[i]}`, digest: p.digest }));
  } else targets.push({ dir: path, digest: img.digest });
  for (const t of targets) {
    const r = t.digest === top.digest ? top : await store.getResult(t.digest);
    if (r?.kind !== 'recipe') continue;
    const recipe = r.recipe;
    const [channels, manifest, configuration] = await store.redis.hmget(
      store.keys.result(t.digest),
      'text:channels.scm:classic',
      'text:manifest.scm:pinned:classic',
      'text:configuration.scm',
    );
    // The texts as stored at scan time (the recipe's own when a variant was not stored), and the
    // script `inspect --output rebuild` prints for them (rebuild-script.ts).
    const texts: RebuildTexts = {};
    const ch = channels ?? recipe.texts.channels;
    if (ch !== undefined) texts.channels = ch;
    if (recipe.kind === 'system') {
      const conf = configuration ?? recipe.texts.configuration;
      if (conf !== undefined) texts.configuration = conf;
    } else texts.manifest = manifest ?? recipe.texts.manifest;
    await put(`${t.dir}/recipe.json`, jsonText(recipe));
    if (texts.channels !== undefined) await put(`${t.dir}/channels.scm`, texts.channels);
    if (texts.manifest !== undefined) await put(`${t.dir}/manifest.scm`, texts.manifest);
    if (texts.configuration !== undefined) await put(`${t.dir}/configuration.scm`, texts.configuration);
    const rebuild = r.rebuild ?? profileRebuild(recipe, 'docker', STORED_BEFORE_REBUILD);
    // A recipe whose rebuild needs a file the image did not keep has no script (rebuild-script.ts refuses).
    let script: string | undefined;
    try {
      script = rebuildScript(rebuild, texts);
    } catch {
      script = undefined;
    }
    if (script !== undefined) await put(`${t.dir}/rebuild.sh`, script, 0o755);
  }
}
