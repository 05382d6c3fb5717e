/**
 * What one registry is to the client (its endpoint: host, scheme, TLS, credentials), as configured
 * or as a reference names it. How the client behaves towards all of them is client-settings.ts.
 *
 * Only configured registries are contacted directly; a configured host:port is also the only kind
 * of loopback/private address a redirect or a token realm may lead to.
 */
import { RecipeError } from '../../errors.js';
import { normaliseRegistryHost } from '../reference.js';

/** Basic credentials (also what the token endpoint receives). Never logged. */
export interface Credentials {
  username: string;
  password: string;
}

/** TLS material for one registry, as PEM text (shared/config/registry-access.ts reads the files). */
export interface EndpointTls {
  ca?: string;
  cert?: string;
  key?: string;
}

/** One registry, keyed by `host[:port]` as written in references. */
export interface RegistryEndpoint {
  /** `host[:port]`, e.g. `ghcr.io`, `127.0.0.1:5000`, `docker.io`. */
  host: string;
  /** `https` (default). Plain `http` only when configured so (e.g. `http://host:port` in GUIX_RECIPES_REGISTRIES). */
  scheme: 'https' | 'http';
  /** Verify the TLS certificate (default true; `--tls-verify=false` turns it off and also allows plain http). */
  tlsVerify: boolean;
  /** Basic credentials for the registry and its token endpoint. Default: anonymous. */
  credentials?: Credentials;
  /**
   * A bearer token sent as it is (`Authorization: Bearer <token>`) to the registry itself, never to
   * another host; no token exchange happens. Wins over `credentials`. Never logged.
   */
  token?: string;
  /**
   * TLS towards this registry only (never towards hosts it redirects to): `ca`, extra CA certificates
   * trusted besides the system's; `cert` + `key`, a client certificate for mutual TLS. PEM text.
   */
  tls?: EndpointTls;
  /**
   * Other hosts the credentials may be sent to as a token realm. The registry's own host is always
   * allowed, and `auth.docker.io` for Docker Hub. Default: none.
   */
  tokenRealmHosts?: string[];
}

/**
 * A registry endpoint from a `host[:port]` or `http(s)://host[:port]` string; `http://` marks a
 * plain-http registry (the spelling of GUIX_RECIPES_REGISTRIES).
 */
export function registryEndpoint(
  spec: string,
  extra: Partial<Omit<RegistryEndpoint, 'host'>> = {},
): RegistryEndpoint {
  const m = /^(https?):\/\/(.*)$/i.exec(spec.trim());
  const scheme = m ? (m[1]!.toLowerCase() as 'http' | 'https') : (extra.scheme ?? 'https');
  const host = normaliseRegistryHost(m ? m[2]! : spec);
  if (host === '' || host.includes('/') || /[\s@]/.test(host))
    throw new RecipeError(
      'usage',
      `not a registry host (want host[:port] or http(s)://host[:port]): ${JSON.stringify(spec)}`,
    );
  const cfg: RegistryEndpoint = { host, scheme, tlsVerify: extra.tlsVerify ?? true };
  if (extra.credentials) cfg.credentials = extra.credentials;
  if (extra.token !== undefined) cfg.token = extra.token;
  if (extra.tls && (extra.tls.ca !== undefined || extra.tls.cert !== undefined)) cfg.tls = extra.tls;
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
