/**
 * The retention pass (configuration `retention`): image records that failed for good longer than
 * `failedSeconds` ago are forgotten (unless their digest has a stored result), and each tag's
 * history is cut to its newest `historyEntries` entries (the tag's current digest is never touched).
 * Recipes are never removed: not those of deleted images, not those no tag points at.
 */
import type { Config } from '../../shared/config/config-schema.js';
import type { RecipeStore } from '../../shared/store/recipe-store.js';

export interface RetentionResult {
  failedForgotten: number;
  historyTrimmed: number;
}

/** Whether any retention setting is on. */
export function retentionOn(r: Config['retention']): boolean {
  return r.failedSeconds > 0 || r.historyEntries > 0;
}

export async function applyRetention(
  store: RecipeStore,
  r: Config['retention'],
  opts: { signal: AbortSignal; now?: number },
): Promise<RetentionResult> {
  const out: RetentionResult = { failedForgotten: 0, historyTrimmed: 0 };
  const now = opts.now ?? Date.now();
  if (r.failedSeconds > 0)
    out.failedForgotten = await store.expireFailed(now - r.failedSeconds * 1000, { signal: opts.signal });
  if (r.historyEntries > 0)
    for (const registry of await store.knownRegistries({ signal: opts.signal }))
      for (const repository of await store.knownRepositories(registry, { signal: opts.signal }))
        for (const tag of await store.repositoryTags({ registry, repository }, { signal: opts.signal }))
          out.historyTrimmed += await store.trimTagHistory({ registry, repository, tag }, r.historyEntries, {
            signal: opts.signal,
          });
  return out;
}
