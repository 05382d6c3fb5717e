/**
 * `backfill --server URL`: ask a guix-recipes service to start (POST) or report (GET) a backfill,
 * `URL/v1/registries/HOST/backfill`, with `Authorization: Bearer $GUIX_RECIPES_TOKEN` when set
 * (the route needs the `admin` scope). Every call has a deadline and the caller's signal; the answer
 * is read up to a cap and must be a backfill status.
 */
import { request } from 'undici';
import { RecipeError } from '../../shared/errors.js';
import type { BackfillStatus } from '../../shared/store/backfill-store.js';
import { readCappedText, serviceUrl } from './service-url.js';

const MAX_ANSWER_BYTES = 1024 * 1024;

/** The backfill URL of a service base URL; `usage` when it is not http(s) or carries credentials. */
export function backfillUrl(server: string, host: string, restart: boolean): URL {
  const url = serviceUrl(server, `/v1/registries/${encodeURIComponent(host)}/backfill`);
  if (restart) url.search = 'restart=true';
  return url;
}

export async function backfillRequest(
  method: 'GET' | 'POST',
  url: URL,
  opts: { token?: string; signal: AbortSignal; timeoutMs: number },
): Promise<BackfillStatus> {
  const signal = AbortSignal.any([opts.signal, AbortSignal.timeout(opts.timeoutMs)]);
  const headers: Record<string, string> = { accept: 'application/json, application/problem+json' };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let res;
  try {
    res = await request(url, { method, headers, signal });
  } catch (err) {
    if (opts.signal.aborted) throw err;
    throw new RecipeError('unavailable', `cannot reach the server ${url.origin}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const text = await readCappedText(res.body, MAX_ANSWER_BYTES);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new RecipeError(
      'unavailable',
      `the server answered ${res.statusCode} with something other than JSON`,
    );
  }
  if (res.statusCode >= 400) {
    const p = body as { detail?: unknown; code?: unknown };
    const said = typeof p.detail === 'string' ? p.detail.slice(0, 500) : `HTTP ${res.statusCode}`;
    const code = res.statusCode === 404 ? 'not-found' : res.statusCode === 400 ? 'usage' : 'unavailable';
    throw new RecipeError(code, `the server answered ${res.statusCode}: ${said}`, {
      details: { status: res.statusCode, code: p.code },
    });
  }
  const s = body as BackfillStatus;
  if (typeof s?.state !== 'string' || typeof s.run !== 'number')
    throw new RecipeError('unavailable', 'the server answered with something other than a backfill status');
  return s;
}
