/**
 * `GET /v2/_catalog` (distribution's catalog API, not part of the OCI distribution spec): the
 * repositories of a registry, one page at a time. Many registries refuse it (Docker Hub, GHCR,
 * Quay...): `catalogRefused` tells such an answer from trouble worth retrying.
 */
import { isRecipeError } from '../../errors.js';
import { checkRepositoryPath } from '../reference.js';
import { getListPage, type ListPage, type PageStart } from './listing.js';
import type { Transport } from './transport.js';

/** The token scope the catalog needs (distribution's token auth). */
export const CATALOG_SCOPE = 'registry:catalog:*';

/** Whether a repository name is one we can use (the reference grammar). */
export function validRepository(name: string): boolean {
  try {
    checkRepositoryPath(name);
    return true;
  } catch {
    return false;
  }
}

/** One page of the registry's repositories. */
export function catalogPage(
  t: Transport,
  registry: string,
  start: PageStart,
  opts: { signal: AbortSignal },
): Promise<ListPage> {
  return getListPage(
    t,
    { registry, path: '/v2/_catalog', scope: CATALOG_SCOPE, what: `catalog of ${registry}` },
    start,
    (json) => {
      const repos = (json as { repositories?: unknown } | null)?.repositories;
      return Array.isArray(repos) ? (repos as unknown[]) : repos === null ? [] : undefined;
    },
    validRepository,
    opts,
  );
}

/**
 * Whether the registry refused its catalog (it has none, or not for us): 404, 401/403, or the
 * distribution error codes UNSUPPORTED / DENIED. Other failures are trouble, not a refusal.
 */
export function catalogRefused(err: unknown): boolean {
  if (!isRecipeError(err)) return false;
  if (err.code === 'not-found' || err.code === 'unauthorized' || err.code === 'forbidden') return true;
  const codes = err.details?.codes;
  return Array.isArray(codes) && codes.some((c) => c === 'UNSUPPORTED' || c === 'DENIED');
}
