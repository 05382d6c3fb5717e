/**
 * Paged listings of the distribution API (distribution-spec "Listing Tags", distribution's
 * `/v2/_catalog`): one GET per page, its body read with a cap, the next page named by the answer's
 * `Link: <…>; rel="next"` header. The cursor is that link's query, kept opaque (registries put
 * `last` and `n` there, some add their own keys); it is only ever sent back to the same path of
 * the same registry, so a hostile Link can neither send us elsewhere nor grow without bound.
 */
import { RecipeError } from '../../errors.js';
import { readCapped } from './body-readers.js';
import { header, type Transport } from './transport.js';

/** Where a page starts: the first page, or the cursor a previous page gave. */
export interface PageStart {
  /** The query of the previous page's `Link` (`last=…&n=…`), opaque; absent: the first page. */
  cursor?: string;
  /** Items asked per page on the first page (`n`); a cursor carries its own. */
  pageSize?: number;
}

/** One page of a listing. */
export interface ListPage {
  items: string[];
  /** Items the registry sent that are not valid names (dropped). */
  invalid: number;
  /** The cursor of the next page; absent on the last page. */
  next?: string;
}

/** Longest cursor accepted from a `Link` header. */
export const MAX_CURSOR_LENGTH = 2048;
/** Most items one page may hold (a registry that sends more is refused). */
export const MAX_PAGE_ITEMS = 100_000;

/** The query of the `rel="next"` link of `value`, when it points at `path`; `registry-error` otherwise. */
export function nextCursor(
  value: string | undefined,
  base: URL,
  path: string,
  what: string,
): string | undefined {
  if (value === undefined) return undefined;
  for (const part of value.split(',')) {
    const m = /^\s*<([^>]*)>\s*;(.*)$/.exec(part);
    if (!m || !/(?:^|;)\s*rel\s*=\s*"?next"?\s*(?:;|$)/i.test(m[2]!)) continue;
    let url: URL;
    try {
      url = new URL(m[1]!, base);
    } catch {
      throw new RecipeError('registry-error', `${what}: the registry's next-page link does not parse`);
    }
    if (url.origin !== base.origin || url.pathname !== path)
      throw new RecipeError('registry-error', `${what}: the registry's next-page link leaves the listing`);
    const query = url.search.replace(/^\?/, '');
    if (query === '' || query.length > MAX_CURSOR_LENGTH)
      throw new RecipeError('registry-error', `${what}: the registry's next-page link has no usable cursor`);
    return query;
  }
  return undefined;
}

/**
 * GET one page of a listing at `path` and hand its JSON to `pick`, which returns the names found
 * (checked by `valid`). The body is capped at `limits.listBytes`.
 */
export async function getListPage(
  t: Transport,
  call: { registry: string; path: string; scope: string; what: string },
  start: PageStart,
  pick: (json: unknown) => unknown[] | undefined,
  valid: (name: string) => boolean,
  opts: { signal: AbortSignal },
): Promise<ListPage> {
  if (start.cursor !== undefined && (start.cursor.length > MAX_CURSOR_LENGTH || /[\s#]/.test(start.cursor)))
    throw new RecipeError('usage', `${call.what}: not a listing cursor`);
  const query =
    start.cursor ?? (start.pageSize !== undefined ? `n=${Math.max(1, Math.floor(start.pageSize))}` : '');
  return t.call(
    {
      registry: call.registry,
      method: 'GET',
      path: query === '' ? call.path : `${call.path}?${query}`,
      headers: { accept: 'application/json' },
      scope: call.scope,
      what: call.what,
    },
    { signal: opts.signal, timeoutMs: t.settings.timeouts.requestMs },
    async (a) => {
      const bytes = await readCapped(
        a.body,
        header(a.headers, 'content-length'),
        t.settings.limits.listBytes,
        call.what,
      );
      let json: unknown;
      try {
        json = JSON.parse(Buffer.from(bytes).toString('utf8'));
      } catch {
        throw new RecipeError('registry-error', `${call.what}: the answer is not JSON`);
      }
      const raw = pick(json);
      if (raw === undefined) throw new RecipeError('registry-error', `${call.what}: not a listing`);
      if (raw.length > MAX_PAGE_ITEMS)
        throw new RecipeError('size-limit', `${call.what}: more than ${MAX_PAGE_ITEMS} items in one page`);
      const items: string[] = [];
      let invalid = 0;
      for (const x of raw) {
        if (typeof x === 'string' && valid(x)) items.push(x);
        else invalid++;
      }
      const next = nextCursor(header(a.headers, 'link'), a.url, call.path, call.what);
      return { items, invalid, ...(next !== undefined ? { next } : {}) };
    },
  );
}
