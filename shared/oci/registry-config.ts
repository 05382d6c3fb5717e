/**
 * Registry settings: what one registry is (scheme, TLS, credentials) and how the client behaves
 * towards all of them (timeouts, caps, retries, redirects), each with a documented default.
 *
 * Only configured registries are contacted directly; a configured host:port is also the only kind
 * of loopback/private address a redirect or a token realm may lead to.
 */
import { RecipeError } from '../errors.js';
import { normaliseRegistryHost } from './reference.js';

/** Basic credentials (also what the token endpoint receives). Never logged. */
export interface Credentials {
  username: string;
  password: string;
}

/** One registry, keyed by `host[:port]` as written in references. */
export interface RegistryConfig {
  /** `host[:port]`, e.g. `ghcr.io`, `127.0.0.1:5000`, `docker.io`. */
  host: string;
  /** `https` (default). Plain `http` only when configured so (e.g. `http://host:port` in GUIX_RECIPES_REGISTRIES). */
  scheme: 'https' | 'http';
  /** Verify the TLS certificate (default true; `--tls-verify=false` turns it off and also allows plain http). */
  tlsVerify: boolean;
  /** Basic credentials for the registry and its token endpoint. Default: anonymous. */
  credentials?: Credentials;
  /**
   * Other hosts the credentials may be sent to as a token realm. The registry's own host is always
   * allowed, and `auth.docker.io` for Docker Hub. Default: none.
   */
  tokenRealmHosts?: string[];
}

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
  limits: { manifestBytes: 4 * MiB, errorBodyBytes: 64 * KiB, tokenBytes: 64 * KiB },
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

/**
 * A registry config from a `host[:port]` or `http(s)://host[:port]` string; `http://` marks a
 * plain-http registry (the spelling of GUIX_RECIPES_REGISTRIES).
 */
export function registryConfig(
  spec: string,
  extra: Partial<Omit<RegistryConfig, 'host'>> = {},
): RegistryConfig {
  const m = /^(https?):\/\/(.*)$/i.exec(spec.trim());
  const scheme = m ? (m[1]!.toLowerCase() as 'http' | 'https') : (extra.scheme ?? 'https');
  const host = normaliseRegistryHost(m ? m[2]! : spec);
  if (host === '' || host.includes('/') || /[\s@]/.test(host))
    throw new RecipeError(
      'usage',
      `not a registry host (want host[:port] or http(s)://host[:port]): ${JSON.stringify(spec)}`,
    );
  const cfg: RegistryConfig = { host, scheme, tlsVerify: extra.tlsVerify ?? true };
  if (extra.credentials) cfg.credentials = extra.credentials;
  if (extra.tokenRealmHosts) cfg.tokenRealmHosts = extra.tokenRealmHosts;
  return cfg;
}

/** Parse `--creds USER[:PASS]` as skopeo spells it (the password may contain colons). */
export function parseCreds(s: string): Credentials {
  const i = s.indexOf(':');
  const username = i >= 0 ? s.slice(0, i) : s;
  const password = i >= 0 ? s.slice(i + 1) : '';
  if (username === '') throw new RecipeError('usage', '--creds wants USER:PASS');
  return { username, password };
}
