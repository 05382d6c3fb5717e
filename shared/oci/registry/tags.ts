/**
 * `GET /v2/<name>/tags/list` (distribution-spec "Listing Tags"): the tags of a repository, one page
 * at a time. A repository with no tags answers `"tags": null`.
 */
import type { RepositoryName } from '../reference.js';
import { pullScope } from './auth.js';
import { getListPage, type ListPage, type PageStart } from './listing.js';
import type { Transport } from './transport.js';

const TAG_RE = /^[\w][\w.-]{0,127}$/;

/** One page of a repository's tags. */
export function tagsPage(
  t: Transport,
  repo: RepositoryName,
  start: PageStart,
  opts: { signal: AbortSignal },
): Promise<ListPage> {
  return getListPage(
    t,
    {
      registry: repo.registry,
      path: `/v2/${repo.repository}/tags/list`,
      scope: pullScope(repo.repository),
      what: `tags of ${repo.registry}/${repo.repository}`,
    },
    start,
    (json) => {
      const tags = (json as { tags?: unknown } | null)?.tags;
      return Array.isArray(tags) ? (tags as unknown[]) : tags === null ? [] : undefined;
    },
    (tag) => TAG_RE.test(tag),
    opts,
  );
}
