/**
 * The registry client's error vocabulary: RecipeError codes (shared/errors.ts) for what registries
 * answer and send. Error answers: the body is the distribution error JSON
 * (`{"errors":[{"code","message","detail"}]}`, distribution-spec "Error Codes"), read with a cap
 * and possibly not JSON at all (2.8.2 answers unknown routes with text/plain).
 */
import { RecipeError, type ErrorCode } from '../../errors.js';
import { parseDigest, type Digest } from '../../content/digest.js';

/** One entry of a distribution error body. */
export interface RegistryDiagnostic {
  code: string;
  message?: string;
}

/** The diagnostics of an error body, or [] when it is not the distribution error JSON. */
export function parseErrorBody(body: Uint8Array): RegistryDiagnostic[] {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch {
    return [];
  }
  const errors = (json as { errors?: unknown } | null)?.errors;
  if (!Array.isArray(errors)) return [];
  const out: RegistryDiagnostic[] = [];
  for (const e of errors.slice(0, 20)) {
    if (e === null || typeof e !== 'object' || typeof (e as { code?: unknown }).code !== 'string') continue;
    const { code, message } = e as { code: string; message?: unknown };
    const d: RegistryDiagnostic = { code: code.slice(0, 64) };
    if (typeof message === 'string') d.message = message.slice(0, 200);
    out.push(d);
  }
  return out;
}

const INVALID_NAME_CODES = new Set(['NAME_INVALID', 'TAG_INVALID', 'DIGEST_INVALID']);

/**
 * The RecipeError for a non-success status. `what` says what was asked (e.g. `manifest
 * host/repo:tag`), never with credentials; `retryAfterMs` only matters for 429/503.
 */
export function registryErrorFor(
  status: number,
  body: Uint8Array,
  what: string,
  retryAfterMs?: number,
): RecipeError {
  const diags = parseErrorBody(body);
  const codes = diags.map((d) => d.code);
  const words = status === 404 && body.length === 0 ? unknownFor(what) : diags;
  const said =
    words.length > 0
      ? words.map((d) => (d.message ? `${d.code}: ${d.message}` : d.code)).join('; ')
      : `HTTP ${status}`;
  let code: ErrorCode;
  if (status === 404) code = 'not-found';
  else if (status === 401 || status === 403) code = 'unauthorized';
  else if (status === 429 || codes.includes('TOOMANYREQUESTS')) code = 'rate-limited';
  else if (status >= 500 || status === 408) code = 'registry-error';
  else if (codes.some((c) => INVALID_NAME_CODES.has(c))) code = 'invalid-reference';
  else if (status === 413) code = 'size-limit';
  else if (status === 415 || codes.includes('UNSUPPORTED')) code = 'unsupported-media-type';
  else code = 'registry-error';
  const opts: { details: Record<string, unknown>; retryAfterMs?: number } = { details: { status, codes } };
  if (retryAfterMs !== undefined) opts.retryAfterMs = retryAfterMs;
  return new RecipeError(code, `${what}: ${said} (HTTP ${status})`, opts);
}

/**
 * What distribution says for a missing manifest or blob (distribution-spec "Error Codes"), for a 404
 * that came without a body: an answer to HEAD has none. So a tag resolved with HEAD (the service) and
 * the same tag read with GET (`inspect`) are reported in the same words, without a second request.
 * A HEAD cannot tell a missing repository (NAME_UNKNOWN) from a missing tag; "manifest unknown" is
 * true of both. A 404 with a body that is not the error JSON keeps saying only its status.
 */
function unknownFor(what: string): RegistryDiagnostic[] {
  if (what.startsWith('manifest ')) return [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }];
  if (what.startsWith('blob ')) return [{ code: 'BLOB_UNKNOWN', message: 'blob unknown to registry' }];
  return [];
}

/**
 * `Retry-After` in milliseconds (delta-seconds or an HTTP date), or undefined when absent or
 * unreadable. A date in the past is 0.
 */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  if (Number.isNaN(t)) return undefined;
  return Math.max(0, t - now);
}

/** `what: message`, unless the message already starts with `what`; code, details and cause kept. */
export function withContext(err: RecipeError, what: string): RecipeError {
  if (err.message.startsWith(what)) return err;
  const opts: { cause: unknown; details?: Record<string, unknown>; retryAfterMs?: number } = {
    cause: err.cause ?? err,
  };
  if (err.details) opts.details = err.details;
  if (err.retryAfterMs !== undefined) opts.retryAfterMs = err.retryAfterMs;
  return new RecipeError(err.code, `${what}: ${err.message}`, opts);
}

/** A `Docker-Content-Digest` header value as a digest; `registry-error` when it is not one. */
export function parseDigestHeader(value: string, what: string): Digest {
  try {
    return parseDigest(value.trim());
  } catch {
    throw new RecipeError('registry-error', `${what}: the registry sent an invalid Docker-Content-Digest`);
  }
}
