/**
 * One repository of a registry walk: list its tags (paged, at most `backfill.maxTagsPerRepository`),
 * resolve each to the digest the registry serves (recording the tag, with its history), and submit
 * the scan of every digest not yet scanned in that repository. Tags of one digest give one
 * submission; a digest already scanned elsewhere is submitted and reuses the stored result (the
 * worker reads no layer). In a reconciliation, when the whole tag list was read, tags the store
 * recorded that the registry no longer lists are dropped, and an image those tags pointed at whose
 * manifest the registry no longer serves is marked deleted.
 */
import type { Config } from '../../shared/config/config-schema.js';
import type { RegistryAccess } from '../../shared/config/registry-access.js';
import type { Digest } from '../../shared/content/digest.js';
import { isRecipeError } from '../../shared/errors.js';
import type { RepositoryName } from '../../shared/oci/reference.js';
import type { ScanRequests } from '../../shared/queue/scan-requests.js';
import type { RepositoryWalk } from '../../shared/store/backfill-store.js';
import type { RecipeStore } from '../../shared/store/recipe-store.js';
import type { Walk } from '../../shared/metrics/walk-metrics.js';

export interface RepositoryWalkDeps {
  config: Config;
  store: RecipeStore;
  registries: Pick<RegistryAccess, 'tagsPage' | 'manifestExists'>;
  requests: Pick<ScanRequests, 'resolveTag' | 'submitScan'>;
}

export interface RepositoryWalkResult extends RepositoryWalk {
  /** Tags dropped because the registry no longer lists them (reconciliation). */
  untagged: number;
  /** Images marked deleted because their manifest is gone (reconciliation). */
  deleted: number;
}

/** Pages of one tag listing read at most, whatever the registry's links say. */
const MAX_TAG_PAGES = 10_000;

/** Run `f` over `items` with at most `limit` at once; the first failure is thrown once all settle. */
export async function forEachLimit<T>(
  items: readonly T[],
  limit: number,
  f: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: { err: unknown } | undefined;
  const lane = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const item = items[next++]!;
      try {
        await f(item);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, lane));
  if (failure) throw failure.err;
}

/** The repository's tags as listed, at most `max`; whether the list was read to its end. */
async function listTags(
  deps: RepositoryWalkDeps,
  repo: RepositoryName,
  signal: AbortSignal,
): Promise<{ tags: string[]; skipped: number; complete: boolean }> {
  const max = deps.config.backfill.maxTagsPerRepository;
  const seen = new Set<string>();
  let skipped = 0;
  let cursor: string | undefined;
  for (let pages = 0; pages < MAX_TAG_PAGES; pages++) {
    const page = await deps.registries.tagsPage(
      repo,
      cursor === undefined ? { pageSize: deps.config.backfill.tagPageSize } : { cursor },
      { signal },
    );
    skipped += page.invalid;
    for (const tag of page.items) {
      if (seen.has(tag)) continue;
      if (seen.size >= max) {
        skipped++;
        continue;
      }
      seen.add(tag);
    }
    // A link back to the page just read would never end: the listing stops there.
    if (page.next === undefined || page.next === cursor) return { tags: [...seen], skipped, complete: true };
    if (seen.size >= max) return { tags: [...seen], skipped, complete: false };
    cursor = page.next;
  }
  return { tags: [...seen], skipped, complete: false };
}

export async function walkRepository(
  deps: RepositoryWalkDeps,
  repo: RepositoryName,
  walk: Walk,
  signal: AbortSignal,
): Promise<RepositoryWalkResult> {
  const listed = await listTags(deps, repo, signal);
  let skippedTags = listed.skipped;
  const tagsOf = new Map<Digest, string[]>();
  await forEachLimit(listed.tags, deps.config.backfill.resolveConcurrency, async (tag) => {
    try {
      const digest = await deps.requests.resolveTag({ ...repo, tag }, { signal });
      tagsOf.set(digest, [...(tagsOf.get(digest) ?? []), tag]);
    } catch (err) {
      if (!isRecipeError(err, 'not-found')) throw err;
      skippedTags++; // deleted between the listing and its resolution
    }
  });
  let queued = 0;
  let known = 0;
  for (const digest of [...tagsOf.keys()].sort()) {
    const img = { ...repo, digest };
    const rec = await deps.store.getImage(img, { signal });
    if (rec?.state === 'done') {
      known++;
      continue;
    }
    await deps.requests.submitScan(img, { source: walk }, { signal });
    queued++;
  }
  let untagged = 0;
  let deleted = 0;
  if (walk === 'reconcile' && listed.complete) {
    const listedTags = new Set(listed.tags);
    const gone = new Set<Digest>();
    for (const tag of await deps.store.repositoryTags(repo, { signal })) {
      if (listedTags.has(tag)) continue;
      const ref = { ...repo, tag };
      const was = await deps.store.getTag(ref, { signal });
      if (was === undefined) continue;
      if (await deps.store.removeTag(ref, { signal })) untagged++;
      gone.add(was);
    }
    for (const digest of [...gone].sort()) {
      if (tagsOf.has(digest)) continue; // still tagged
      if (await deps.registries.manifestExists({ ...repo, digest }, { signal })) continue;
      if ((await deps.store.markDeleted({ ...repo, digest }, { signal })).known) deleted++;
    }
  }
  return {
    tags: listed.tags.length,
    skippedTags,
    digests: tagsOf.size,
    queued,
    known,
    untagged,
    deleted,
  };
}
