/**
 * How the registry client behaves towards every registry (timeouts, caps, retries, redirects), each
 * field with a documented default.
 */

/** How the client behaves; every field has a default in `DEFAULT_CLIENT_SETTINGS`. */
export interface ClientSettings {
  timeouts: {
    /** TCP + TLS connect. */
    connectMs: number;
    /** From request sent to response headers received. */
    headersMs: number;
    /** Longest silence between two body chunks. */
    bodyIdleMs: number;
    /** Whole-call deadline for pings, tokens, manifests (headers and body). */
    requestMs: number;
    /** Whole-call deadline for one blob read, headers to last byte. */
    blobMs: number;
  };
  limits: {
    /** Largest manifest or index read. */
    manifestBytes: number;
    /** Largest error body read (the rest is dropped). */
    errorBodyBytes: number;
    /** Largest token endpoint answer. */
    tokenBytes: number;
    /** Largest page of a listing (catalog, tags) read. */
    listBytes: number;
  };
  retries: {
    /** Attempts after the first, for 5xx, resets, timeouts, 429. */
    max: number;
    /** First backoff; doubles each attempt, with full jitter. */
    baseDelayMs: number;
    /** Largest backoff between attempts. */
    maxDelayMs: number;
    /** Longest `Retry-After` we wait for in-process; beyond it we fail fast with `rate-limited`. */
    maxRetryAfterMs: number;
  };
  /** Redirect hops followed per call. */
  maxRedirects: number;
  /** Connections per origin. */
  connections: number;
  /** Token lifetime left unused, so a token never expires mid-request. */
  tokenMarginMs: number;
  userAgent: string;
}

export const MiB = 1024 * 1024;
export const KiB = 1024;

/** The defaults: safe for a service (caps small, everything times out). */
export const DEFAULT_CLIENT_SETTINGS: ClientSettings = {
  timeouts: {
    connectMs: 10_000,
    headersMs: 30_000,
    bodyIdleMs: 30_000,
    requestMs: 60_000,
    blobMs: 30 * 60_000,
  },
  limits: { manifestBytes: 4 * MiB, errorBodyBytes: 64 * KiB, tokenBytes: 64 * KiB, listBytes: 4 * MiB },
  retries: { max: 3, baseDelayMs: 250, maxDelayMs: 8_000, maxRetryAfterMs: 30_000 },
  maxRedirects: 5,
  connections: 8,
  tokenMarginMs: 10_000,
  userAgent: 'guix-recipes/0.1',
};

/** Settings with some fields overridden (nested groups merge field by field). */
export type ClientSettingsInput = {
  [K in keyof ClientSettings]?: ClientSettings[K] extends object
    ? Partial<ClientSettings[K]>
    : ClientSettings[K];
};

export function resolveClientSettings(input: ClientSettingsInput = {}): ClientSettings {
  const d = DEFAULT_CLIENT_SETTINGS;
  return {
    timeouts: { ...d.timeouts, ...input.timeouts },
    limits: { ...d.limits, ...input.limits },
    retries: { ...d.retries, ...input.retries },
    maxRedirects: input.maxRedirects ?? d.maxRedirects,
    connections: input.connections ?? d.connections,
    tokenMarginMs: input.tokenMarginMs ?? d.tokenMarginMs,
    userAgent: input.userAgent ?? d.userAgent,
  };
}
