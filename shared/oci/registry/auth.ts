/**
 * Registry authentication: anonymous, Basic, or Bearer tokens from the `WWW-Authenticate`
 * challenge (distribution "Token Authentication Specification": realm, service, scope).
 *
 * The scheme is learnt from the first 401, not guessed. Tokens are cached per (registry, realm,
 * service, scope) until `expires_in` (default 60 s) minus a margin. The realm comes from the
 * registry, so it must pass the host policy (https, or a configured registry), and the registry's
 * credentials go only to a realm on the registry's own host or one configured for it.
 */
import { RecipeError } from '../../errors.js';
import type { Credentials, RegistryEndpoint } from './registry-endpoint.js';
import type { HostPolicy } from './host-policy.js';
import { redactUrl } from './redact.js';
import { registryErrorFor } from './registry-error.js';
import { DOCKER_HUB, apiHost } from '../reference.js';

/** One challenge of a `WWW-Authenticate` header. */
export interface Challenge {
  /** Lower case: `bearer`, `basic`, ... */
  scheme: string;
  /** Parameter names lower case, values unquoted. */
  params: Record<string, string>;
}

/** Parse a `WWW-Authenticate` value (RFC 9110 §11.6.1), which may hold several challenges. */
export function parseChallenges(header: string): Challenge[] {
  const out: Challenge[] = [];
  let i = 0;
  const s = header;
  const skipWs = () => {
    while (i < s.length && /[\s,]/.test(s[i]!)) i++;
  };
  const token = () => {
    const m = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+/.exec(s.slice(i));
    if (!m) return '';
    i += m[0].length;
    return m[0];
  };
  while (i < s.length) {
    skipWs();
    const scheme = token();
    if (!scheme) break;
    const ch: Challenge = { scheme: scheme.toLowerCase(), params: {} };
    out.push(ch);
    for (;;) {
      skipWs();
      const save = i;
      const name = token();
      while (i < s.length && s[i] === ' ') i++;
      if (!name || s[i] !== '=') {
        i = save; // the next challenge's scheme (or token68, which no registry uses)
        break;
      }
      i++;
      while (i < s.length && s[i] === ' ') i++;
      let value = '';
      if (s[i] === '"') {
        i++;
        while (i < s.length && s[i] !== '"') {
          if (s[i] === '\\' && i + 1 < s.length) i++;
          value += s[i];
          i++;
        }
        i++;
      } else value = token();
      ch.params[name.toLowerCase()] = value;
    }
    if (i === 0) break;
  }
  return out;
}

/** The pull scope of a repository (distribution "Token Scope Documentation"). */
export function pullScope(repository: string): string {
  return `repository:${repository}:pull`;
}

/** What the auth layer needs from the HTTP layer: one capped GET without redirects. */
export type TokenGet = (
  url: URL,
  headers: Record<string, string>,
  signal: AbortSignal,
) => Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Uint8Array }>;

interface CachedToken {
  token: string;
  expiresAt: number;
}

/** How long a token is used when the endpoint says nothing. */
const DEFAULT_TOKEN_SECONDS = 60;

/** Encode `Authorization: Basic`. */
export function basicAuthorization(c: Credentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`, 'utf8').toString('base64')}`;
}

/** Authentication state for one registry. */
export class RegistryAuth {
  #mode: 'unknown' | 'basic' | 'bearer' = 'unknown';
  #bearer: { realm: URL; service: string | undefined } | undefined;
  readonly #tokens = new Map<string, CachedToken>();
  readonly #inflight = new Map<string, Promise<CachedToken>>();

  constructor(
    readonly registry: RegistryEndpoint,
    private readonly policy: HostPolicy,
    private readonly get: TokenGet,
    private readonly opts: { tokenBytes: number; tokenMarginMs: number; now?: () => number },
  ) {}

  #now(): number {
    return this.opts.now ? this.opts.now() : Date.now();
  }

  /** The `Authorization` value for a request needing `scope`, or undefined (anonymous). */
  async authorization(scope: string, signal: AbortSignal): Promise<string | undefined> {
    if (this.registry.token !== undefined) return `Bearer ${this.registry.token}`;
    if (this.#mode === 'basic' && this.registry.credentials)
      return basicAuthorization(this.registry.credentials);
    if (this.#mode === 'bearer') return `Bearer ${(await this.#token(scope, signal)).token}`;
    return undefined;
  }

  /**
   * Learn from a 401: returns true when retrying with new authorization can help (a new scheme, a
   * token to refresh). The caller retries at most once.
   */
  async onUnauthorized(wwwAuthenticate: string | undefined, scope: string): Promise<boolean> {
    // A configured token is all there is: a 401 with it is the registry's answer, not a challenge.
    if (this.registry.token !== undefined) return false;
    const challenges = parseChallenges(wwwAuthenticate ?? '');
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    if (bearer) {
      const realmText = bearer.params.realm;
      if (!realmText)
        throw new RecipeError('registry-error', `${this.registry.host}: Bearer challenge without a realm`);
      let realm: URL;
      try {
        realm = new URL(realmText);
      } catch {
        throw new RecipeError(
          'registry-error',
          `${this.registry.host}: Bearer challenge with an unparseable realm`,
        );
      }
      await this.policy.check(realm, 'token realm');
      this.#mode = 'bearer';
      this.#bearer = { realm, service: bearer.params.service };
      const s = bearer.params.scope || scope;
      this.#tokens.delete(this.#key(s));
      if (s !== scope) this.#tokens.delete(this.#key(scope));
      return true;
    }
    if (challenges.some((c) => c.scheme === 'basic') && this.registry.credentials) {
      if (this.#mode === 'basic') return false; // they were sent and refused
      this.#mode = 'basic';
      return true;
    }
    return false;
  }

  #key(scope: string): string {
    return `${this.#bearer?.realm.href ?? ''}\n${this.#bearer?.service ?? ''}\n${scope}`;
  }

  async #token(scope: string, signal: AbortSignal): Promise<CachedToken> {
    const key = this.#key(scope);
    const cached = this.#tokens.get(key);
    if (cached && cached.expiresAt > this.#now()) return cached;
    let p = this.#inflight.get(key);
    if (!p) {
      p = this.#fetchToken(scope, signal).finally(() => this.#inflight.delete(key));
      this.#inflight.set(key, p);
    }
    const t = await p;
    if (t.expiresAt > this.#now()) this.#tokens.set(key, t);
    return t;
  }

  /** Whether the registry's credentials may be sent to this realm host. */
  #mayReceiveCredentials(realm: URL): boolean {
    const host = realm.host.toLowerCase();
    const own = this.registry.host;
    const allowed = new Set([
      own,
      apiHost(own),
      ...(this.registry.tokenRealmHosts ?? []).map((h) => h.toLowerCase()),
    ]);
    if (own === DOCKER_HUB) allowed.add('auth.docker.io');
    return allowed.has(host) || allowed.has(realm.hostname.toLowerCase());
  }

  async #fetchToken(scope: string, signal: AbortSignal): Promise<CachedToken> {
    const b = this.#bearer;
    if (!b) throw new RecipeError('internal', 'token asked before a Bearer challenge');
    const url = new URL(b.realm.href);
    if (b.service) url.searchParams.set('service', b.service);
    for (const s of scope.split(' ').filter(Boolean)) url.searchParams.append('scope', s);
    const headers: Record<string, string> = { accept: 'application/json' };
    const creds = this.registry.credentials;
    if (creds) {
      if (!this.#mayReceiveCredentials(b.realm))
        throw new RecipeError(
          'host-not-allowed',
          `token realm ${redactUrl(b.realm)} is not on ${this.registry.host}; its credentials are not sent there (configure it in tokenRealmHosts)`,
        );
      headers.authorization = basicAuthorization(creds);
    }
    const res = await this.get(url, headers, signal);
    if (res.status === 401 || res.status === 403)
      throw new RecipeError(
        'unauthorized',
        `token endpoint ${redactUrl(b.realm)} refused ${creds ? 'the credentials' : 'anonymous access'} (HTTP ${res.status})`,
      );
    if (res.status !== 200)
      throw registryErrorFor(res.status, res.body, `token endpoint ${redactUrl(b.realm)}`);
    let json: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      json = JSON.parse(Buffer.from(res.body).toString('utf8')) as typeof json;
    } catch {
      throw new RecipeError(
        'registry-error',
        `token endpoint ${redactUrl(b.realm)} answered something that is not JSON`,
      );
    }
    const token =
      typeof json.token === 'string' && json.token
        ? json.token
        : typeof json.access_token === 'string'
          ? json.access_token
          : '';
    if (!token || /[\r\n]/.test(token))
      throw new RecipeError(
        'registry-error',
        `token endpoint ${redactUrl(b.realm)} answered no usable token`,
      );
    const seconds =
      typeof json.expires_in === 'number' && json.expires_in > 0 ? json.expires_in : DEFAULT_TOKEN_SECONDS;
    return { token, expiresAt: this.#now() + seconds * 1000 - this.opts.tokenMarginMs };
  }
}
