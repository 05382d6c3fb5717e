/**
 * One error vocabulary for the whole project.
 *
 * Every failure the domain can report is a `RecipeError` with a stable `code`. The code decides, in
 * one table below, whether the failure is worth retrying, which HTTP status the API answers with and
 * which exit status the CLI ends with. Each edge maps errors exactly once:
 *   - the CLI: `exitCodeFor` (services/cli),
 *   - the API: `httpStatusFor` into application/problem+json (services/api),
 *   - the worker: `kind` into BullMQ retry / UnrecoverableError / rate limit (shared/queue).
 */

/** How a failure should be handled by anything that could try again. */
export type ErrorKind = 'retryable' | 'permanent' | 'rate-limited';

/** What each stable code means for retries, HTTP and the CLI. */
const CODES = {
  /** Bad command-line or API usage. */
  usage: { kind: 'permanent', status: 400, exit: 2 },
  /** Input text is not valid s-expression / JSON / tar / manifest syntax. */
  'parse-error': { kind: 'permanent', status: 422, exit: 1 },
  /** A Guix profile manifest of a format version we do not read. */
  'unsupported-manifest-version': { kind: 'permanent', status: 422, exit: 1 },
  /** A well-formed manifest whose content does not have the expected shape. */
  'invalid-manifest': { kind: 'permanent', status: 422, exit: 1 },
  /** No Guix profile was found where one was looked for. */
  'no-guix-profile': { kind: 'permanent', status: 404, exit: 3 },
  /** The profile records no provenance, so no channels can be exported (Guix's own refusal). */
  'no-provenance': { kind: 'permanent', status: 422, exit: 4 },
  /** Bytes did not hash to the digest they were announced with. */
  'digest-mismatch': { kind: 'permanent', status: 502, exit: 1 },
  /** A size cap was hit (manifest, blob, inflated layer, string, nesting...). */
  'size-limit': { kind: 'permanent', status: 413, exit: 1 },
  /** A stream ended before its announced size, or a connection dropped mid-body. */
  truncated: { kind: 'retryable', status: 502, exit: 1 },
  /** A media type we do not read (schema 1 manifests among them). */
  'unsupported-media-type': { kind: 'permanent', status: 415, exit: 1 },
  /** An image archive or layout that is not what it claims to be. */
  'invalid-image': { kind: 'permanent', status: 422, exit: 1 },
  /** A policy document with mistakes (details.issues lists each, with its field and line). */
  'invalid-policy': { kind: 'permanent', status: 422, exit: 2 },
  /** An image reference that does not parse. */
  'invalid-reference': { kind: 'permanent', status: 400, exit: 2 },
  /** A manifest, blob, file or tag that does not exist. */
  'not-found': { kind: 'permanent', status: 404, exit: 1 },
  /** A platform asked of an index that does not have it. */
  'platform-not-found': { kind: 'permanent', status: 404, exit: 1 },
  /** The registry refused our credentials (or we had none). */
  unauthorized: { kind: 'permanent', status: 401, exit: 1 },
  /** Transient registry trouble: 5xx, connection reset, timeout. */
  'registry-error': { kind: 'retryable', status: 502, exit: 1 },
  /** The registry said 429 (or 503 with Retry-After). */
  'rate-limited': { kind: 'rate-limited', status: 503, exit: 1 },
  /** An authenticated caller without the scope a route needs (API tokens). */
  forbidden: { kind: 'permanent', status: 403, exit: 1 },
  /** A host (registry, token realm, redirect target) that configuration does not allow. */
  'host-not-allowed': { kind: 'permanent', status: 403, exit: 1 },
  /** A call ran out of time. */
  timeout: { kind: 'retryable', status: 504, exit: 1 },
  /** The caller aborted. */
  aborted: { kind: 'retryable', status: 499, exit: 1 },
  /** Redis, the queue or another dependency of ours is down. */
  unavailable: { kind: 'retryable', status: 503, exit: 1 },
  /** A bug or an unexpected failure: never silently retried forever. */
  internal: { kind: 'retryable', status: 500, exit: 1 },
} as const satisfies Record<string, { kind: ErrorKind; status: number; exit: number }>;

export type ErrorCode = keyof typeof CODES;

export interface RecipeErrorOptions {
  cause?: unknown;
  /** For rate limits: how long the other side asked us to wait. */
  retryAfterMs?: number;
  /** Small, non-secret facts for logs and problem+json (never credentials). */
  details?: Record<string, unknown>;
}

/** The one error class of the domain. `message` is one line meant for people. */
export class RecipeError extends Error {
  readonly code: ErrorCode;
  readonly retryAfterMs: number | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, opts: RecipeErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'RecipeError';
    this.code = code;
    this.retryAfterMs = opts.retryAfterMs;
    this.details = opts.details;
    Object.setPrototypeOf(this, new.target.prototype);
  }

  get kind(): ErrorKind {
    return CODES[this.code].kind;
  }

  get status(): number {
    return CODES[this.code].status;
  }

  get exitCode(): number {
    return CODES[this.code].exit;
  }
}

export function isRecipeError(err: unknown, code?: ErrorCode): err is RecipeError {
  return err instanceof RecipeError && (code === undefined || err.code === code);
}

/**
 * Turn anything thrown into a RecipeError: aborts and timeouts get their codes, network failures
 * become retryable registry errors, anything else is `internal` (message kept, stack not shown).
 */
export function toRecipeError(err: unknown): RecipeError {
  if (err instanceof RecipeError) return err;
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    if (
      err.name === 'TimeoutError' ||
      code === 'UND_ERR_HEADERS_TIMEOUT' ||
      code === 'UND_ERR_BODY_TIMEOUT' ||
      code === 'UND_ERR_CONNECT_TIMEOUT'
    )
      return new RecipeError('timeout', `timed out: ${err.message}`, { cause: err });
    if (err.name === 'AbortError' || code === 'ABORT_ERR')
      return new RecipeError('aborted', 'aborted', { cause: err });
    if (
      typeof code === 'string' &&
      /^(ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|EAI_AGAIN|UND_ERR_SOCKET|UND_ERR_CLOSED)$/.test(code)
    )
      return new RecipeError('registry-error', `network error: ${err.message}`, { cause: err });
    if (code === 'Z_DATA_ERROR' || code === 'Z_BUF_ERROR')
      return new RecipeError('invalid-image', `corrupt compressed data: ${err.message}`, { cause: err });
    return new RecipeError('internal', err.message, { cause: err });
  }
  return new RecipeError('internal', String(err));
}
