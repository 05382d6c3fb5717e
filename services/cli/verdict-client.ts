/**
 * `gate --server URL`: ask a guix-recipes service for a verdict instead of scanning here.
 *
 * The contract: `POST URL/v1/verdicts` with `{"image": REF, "policy"?: NAME | DOCUMENT, "platform"?:
 * "os/arch"}` (JSON), `Authorization: Bearer $GUIX_RECIPES_TOKEN` when that is set; the answer is a
 * Verdict (shared/policy/verdict.ts) with 200, or application/problem+json with an error status.
 * Every call has a deadline and the caller's abort signal; the answer is read up to a size cap.
 */
import { request } from 'undici';
import { Value } from 'typebox/value';
import { RecipeError } from '../../shared/errors.js';
import type { PolicyDocument } from '../../shared/policy/policy-schema.js';
import { VerdictSchema, type VerdictJson } from '../../shared/policy/verdict-schema.js';
import { readCappedText, serviceUrl } from './service-url.js';

export interface VerdictRequest {
  image: string;
  policy?: string | PolicyDocument;
  platform?: string;
}

export interface VerdictClientOptions {
  /** The service's base URL (`https://recipes.example.org`, a path prefix allowed). */
  server: string;
  /** Sent as a bearer token when set. */
  token?: string;
  signal: AbortSignal;
  /** Deadline of the whole call, in ms. Default 120,000 (the server may wait for a scan). */
  timeoutMs?: number;
  /** Largest answer read, in bytes. Default 4 MiB. */
  maxResponseBytes?: number;
}

export const DEFAULT_VERDICT_TIMEOUT_MS = 120_000;
export const DEFAULT_MAX_VERDICT_BYTES = 4 * 1024 * 1024;

/** The verdicts URL of a base URL; `usage` when it is not http(s) or carries credentials. */
export function verdictsUrl(server: string): URL {
  return serviceUrl(server, '/v1/verdicts');
}

/** The problem+json `detail` (or `title`), one line, or the status alone. */
function problemText(status: number, text: string): string {
  try {
    const p = JSON.parse(text) as { detail?: unknown; title?: unknown };
    const said = typeof p.detail === 'string' ? p.detail : typeof p.title === 'string' ? p.title : '';
    if (said !== '') return `the server answered ${status}: ${said.slice(0, 500)}`;
  } catch {
    // not JSON: the status says enough
  }
  return `the server answered ${status}`;
}

/** Ask the server. Failures are RecipeErrors: `usage` for what the server calls a bad request. */
export async function requestVerdict(req: VerdictRequest, opts: VerdictClientOptions): Promise<VerdictJson> {
  const url = verdictsUrl(opts.server);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_VERDICT_TIMEOUT_MS;
  const signal = AbortSignal.any([opts.signal, AbortSignal.timeout(timeoutMs)]);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json, application/problem+json',
  };
  if (opts.token !== undefined && opts.token !== '') headers.authorization = `Bearer ${opts.token}`;
  let res;
  try {
    res = await request(url, {
      method: 'POST',
      headers,
      body: JSON.stringify(req),
      signal,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
  } catch (err) {
    if (opts.signal.aborted) throw err;
    if (signal.aborted)
      throw new RecipeError('timeout', `the server did not answer within ${timeoutMs / 1000} s`, {
        cause: err,
      });
    const code = (err as { code?: string }).code;
    throw new RecipeError(
      'unavailable',
      `cannot reach the server ${url.origin}: ${code ?? (err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  let text: string;
  try {
    text = await readCappedText(res.body, opts.maxResponseBytes ?? DEFAULT_MAX_VERDICT_BYTES);
  } catch (err) {
    if (err instanceof RecipeError || opts.signal.aborted) throw err;
    if (signal.aborted)
      throw new RecipeError('timeout', `the server did not answer within ${timeoutMs / 1000} s`, {
        cause: err,
      });
    throw new RecipeError('unavailable', `the server's answer broke off: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (res.statusCode !== 200) {
    const message = problemText(res.statusCode, text);
    // The server judged our request malformed (bad reference, bad inline policy): a usage error here.
    if (res.statusCode === 400 || res.statusCode === 422) throw new RecipeError('usage', message);
    throw new RecipeError('unavailable', message, { details: { status: res.statusCode } });
  }
  let verdict: unknown;
  try {
    verdict = JSON.parse(text);
  } catch {
    throw new RecipeError('unavailable', 'the server answered 200 with something other than JSON');
  }
  if (!Value.Check(VerdictSchema, verdict))
    throw new RecipeError('unavailable', 'the server answered 200 with something other than a verdict');
  return verdict;
}
