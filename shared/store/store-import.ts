/**
 * `guix-recipes import DIR`: an export (export-layout.ts) written back into an empty store, so that
 * every API answer about its recipes, images, tags and lookups is what it was, byte for byte:
 * results and image records field for field, the sets naming who holds what, the secondary
 * indexes with their scores (the order of query answers), tags with their history, API-stored
 * policies (their verdict indexes are rebuilt by the API, as after any policy change).
 *
 * The files are input like any other: every path must stay inside DIR, every file is read with a
 * cap, a malformed one stops the import with `parse-error` naming it. A store that holds keys is
 * refused unless forced (then the export is written over it: same keys replaced, others kept).
 * An export of an older store schema is written as it is and then migrated; a newer one is refused.
 */
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { Digest } from '../content/digest.js';
import { isDigest } from '../content/digest.js';
import { RecipeError } from '../errors.js';
import type { Recipe } from '../guix/recipe.js';
import { imageId, imageName, parseImageName } from '../oci/reference.js';
import {
  EXPORT_FORMAT,
  EXPORT_FORMAT_VERSION,
  EXPORT_INDEX,
  decodeHash,
  type EncodedHash,
  type ExportIndex,
} from './export-layout.js';
import type { RecipeStore } from './recipe-store.js';
import { anyKey } from './scan-keys.js';
import type { ImageFile, TagFileEntry } from './store-export.js';
import { STORE_SCHEMA_VERSION } from './store-schema.js';

/** Largest file of an export read. */
export const MAX_EXPORT_FILE_BYTES = 64 * 1024 * 1024;

export interface ImportSummary {
  results: number;
  images: number;
  tags: number;
  policies: number;
  /** The schema the export was written by (the store was migrated from it when older). */
  storeSchema: number;
}

const SAFE_PATH = /^(?:[A-Za-z0-9_.@+-]+\/)*[A-Za-z0-9_.@+-]+$/;

/** A file of the export as text: inside DIR, capped. */
async function readText(dir: string, path: string): Promise<string> {
  if (!SAFE_PATH.test(path) || path.split('/').some((c) => c === '..' || c === '.'))
    throw new RecipeError(
      'parse-error',
      `import: ${JSON.stringify(path.slice(0, 200))} is not a path inside the export`,
    );
  let fh;
  try {
    fh = await open(join(dir, path), 'r');
  } catch (err) {
    throw new RecipeError('parse-error', `import: cannot read ${path}: ${(err as Error).message}`);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new RecipeError('parse-error', `import: ${path} is not a file`);
    if (st.size > MAX_EXPORT_FILE_BYTES)
      throw new RecipeError('size-limit', `import: ${path} is larger than ${MAX_EXPORT_FILE_BYTES} bytes`);
    const buf = Buffer.alloc(st.size);
    const { bytesRead } = await fh.read(buf, 0, st.size, 0);
    return buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await fh.close();
  }
}

async function readJson<T>(dir: string, path: string): Promise<T> {
  const text = await readText(dir, path);
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new RecipeError('parse-error', `import: ${path} is not valid JSON`);
  }
}

function folderOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash + 1);
}

function isEncoded(v: unknown): v is EncodedHash {
  const o = v as EncodedHash | null;
  return (
    typeof o === 'object' &&
    o !== null &&
    typeof o.strings === 'object' &&
    o.strings !== null &&
    typeof o.json === 'object' &&
    o.json !== null &&
    (o.files === undefined || (typeof o.files === 'object' && o.files !== null))
  );
}

/** The hash of an encoded entry of `path` (its files read from the same folder). */
async function hashOf(dir: string, path: string, e: unknown): Promise<Record<string, string>> {
  if (!isEncoded(e)) throw new RecipeError('parse-error', `import: ${path} does not hold an encoded hash`);
  const base = folderOf(path);
  return decodeHash(e, (file) => readText(dir, `${base}${file}`));
}

export async function importStore(
  store: RecipeStore,
  dir: string,
  opts: { force?: boolean; signal?: AbortSignal } = {},
): Promise<ImportSummary> {
  const { keys, redis } = store;
  const signal = opts.signal;
  const index = await readJson<ExportIndex>(dir, EXPORT_INDEX);
  if (index?.format !== EXPORT_FORMAT || index.formatVersion !== EXPORT_FORMAT_VERSION)
    throw new RecipeError(
      'parse-error',
      `import: ${EXPORT_INDEX} is not a guix-recipes export of format ${EXPORT_FORMAT_VERSION}`,
    );
  const schema = index.storeSchema;
  if (!Number.isSafeInteger(schema) || schema < 1)
    throw new RecipeError('parse-error', `import: ${EXPORT_INDEX} names no store schema`);
  if (schema > STORE_SCHEMA_VERSION)
    throw new RecipeError(
      'usage',
      `import: the export was written by store schema ${schema}, newer than the ${STORE_SCHEMA_VERSION} this guix-recipes reads: upgrade guix-recipes`,
    );
  if (!opts.force && (await anyKey(redis, `${keys.root}:*`, signal ? { signal } : {})))
    throw new RecipeError(
      'usage',
      `import: the store at ${keys.prefix} is not empty; import into an empty one (or --force to write over it)`,
    );
  for (const list of [index.results, index.images, index.repositories, index.policies])
    if (!Array.isArray(list)) throw new RecipeError('parse-error', `import: ${EXPORT_INDEX} is incomplete`);

  // Results first: a record never names a result that is not there.
  const recipes = new Map<Digest, Recipe>();
  for (const entry of index.results) {
    signal?.throwIfAborted();
    const path = `${entry.path}/result.json`;
    const file = await readJson<{ digest?: unknown }>(dir, path);
    if (!isDigest(file.digest) || file.digest !== entry.digest)
      throw new RecipeError('parse-error', `import: ${path} is not the result of ${String(entry.digest)}`);
    const h = await hashOf(dir, path, file);
    if (!h.kind || !h.manifest)
      throw new RecipeError('parse-error', `import: ${path} holds no stored result`);
    await redis.multi().del(keys.result(file.digest)).hset(keys.result(file.digest), h).exec();
    if (h.kind === 'recipe' && h.recipe) recipes.set(file.digest, JSON.parse(h.recipe) as Recipe);
  }

  const recipesOf = async (digest: Digest): Promise<Recipe[]> => {
    const own = recipes.get(digest);
    if (own) return [own];
    const platforms = await redis.hget(keys.result(digest), 'platforms');
    if (platforms === null) return [];
    return (JSON.parse(platforms) as { digest: Digest }[]).flatMap((p) => recipes.get(p.digest) ?? []);
  };

  for (const entry of index.images) {
    signal?.throwIfAborted();
    const path = `${entry.path}/image.json`;
    const f = await readJson<ImageFile>(dir, path);
    const img = parseImageName(String(f.image));
    if (!img || f.image !== entry.image || imageName(img) !== f.image)
      throw new RecipeError('parse-error', `import: ${path} does not name the image ${entry.image}`);
    const h = await hashOf(dir, path, f.record);
    if (!h.state) throw new RecipeError('parse-error', `import: ${path} holds no image record`);
    await redis.multi().del(keys.image(img)).hset(keys.image(img), h).exec();
    await redis.set(keys.scan(imageId(img)), f.image);
    if (f.listed === true) await redis.sadd(keys.imagesOf(img.digest), f.image);
    const stateAt = typeof f.stateSince === 'number' ? f.stateSince : Date.parse(h.updatedAt ?? '');
    if (Number.isFinite(stateAt)) await redis.zadd(keys.byState(h.state), stateAt, f.image);
    await redis.sadd(keys.registries(), img.registry);
    await redis.sadd(keys.repositories(img.registry), img.repository);
    await redis.sadd(keys.repositoryImages(img), img.digest);
    const byKey = f.indexedAtByKey ?? {};
    for (const recipe of await recipesOf(img.digest))
      for (const key of store.recipeIndexKeys(recipe)) {
        const rel = key.slice(keys.root.length + 1);
        const score = rel in byKey ? byKey[rel] : f.indexedAt;
        if (typeof score === 'number') await redis.zadd(key, score, f.image);
      }
  }

  let tags = 0;
  for (const entry of index.repositories) {
    signal?.throwIfAborted();
    const slash = String(entry.repository).indexOf('/');
    const repo = {
      registry: entry.repository.slice(0, slash),
      repository: entry.repository.slice(slash + 1),
    };
    const file = await readJson<Record<string, TagFileEntry>>(dir, entry.path);
    for (const [tag, t] of Object.entries(file)) {
      const ref = { ...repo, tag };
      if (t.digest !== null && !isDigest(t.digest))
        throw new RecipeError('parse-error', `import: ${entry.path}: tag ${tag} points at no digest`);
      if (t.digest !== null) await redis.set(keys.tag(ref), t.digest);
      for (const [digest, at] of t.history ?? []) {
        if (!isDigest(digest) || typeof at !== 'number')
          throw new RecipeError('parse-error', `import: ${entry.path}: a malformed history entry of ${tag}`);
        await redis.zadd(keys.tagHistory(ref), at, digest);
      }
      await redis.sadd(keys.registries(), repo.registry);
      await redis.sadd(keys.repositories(repo.registry), repo.repository);
      await redis.sadd(keys.repositoryTags(ref), tag);
      tags++;
    }
  }

  for (const entry of index.policies) {
    signal?.throwIfAborted();
    const f = await readJson<{ name?: unknown }>(dir, entry.path);
    if (typeof f.name !== 'string' || f.name !== entry.name)
      throw new RecipeError('parse-error', `import: ${entry.path} is not the policy ${entry.name}`);
    const h = await hashOf(dir, entry.path, f);
    // Its verdict index is not exported: the API judges every image again under it.
    h.indexed = '0';
    await redis.multi().del(keys.policy(f.name)).hset(keys.policy(f.name), h).exec();
    await redis.sadd(keys.policies(), f.name);
  }

  await redis.hset(keys.meta(), 'schema', String(schema));
  return {
    results: index.results.length,
    images: index.images.length,
    tags,
    policies: index.policies.length,
    storeSchema: schema,
  };
}
