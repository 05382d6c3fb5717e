/**
 * The registry client's HTTP transport on undici 7: one call = retries around round trips.
 *   - only configured registries are contacted directly; redirects are followed by hand, each target
 *     checked by the host policy, credentials only ever sent to the registry's own origin;
 *   - a 401 is answered once with new authorization (auth.ts), the token endpoint is one capped GET;
 *   - 5xx, resets and timeouts are retried with backoff and jitter; 429/503 honour `Retry-After`;
 *   - `--tls-verify=false` (tlsVerify: false) falls back from https to http when the registry does
 *     not speak TLS;
 *   - every call has a deadline and the caller's AbortSignal; errors are RecipeErrors
 *     (registry-error.ts) whose messages carry no token, password or query string.
 * What a successful answer means (manifest, blob, ping) is the caller's: see `call`.
 */
import { rootCertificates } from 'node:tls';
import type { Dispatcher } from 'undici';
import { Agent, request } from './http-client.js';
import { RecipeError, isRecipeError, toRecipeError } from '../../errors.js';
import { apiHost } from '../reference.js';
import { RegistryAuth } from './auth.js';
import { discard, readCapped, readErrorBody } from './body-readers.js';
import type { ClientSettings } from './client-settings.js';
import { HostPolicy, urlHostPort } from './host-policy.js';
import { redactUrl } from './redact.js';
import { parseRetryAfter, registryErrorFor, withContext } from './registry-error.js';
import type { EndpointTls, RegistryEndpoint } from './registry-endpoint.js';
import { tlsFailureMessage } from './tls-advice.js';

export type Headers = Record<string, string | string[] | undefined>;

/** The first value of a response header. */
export function header(h: Headers, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

/** One request to one registry. */
export interface Call {
  /** The registry's `host[:port]` (must be configured). */
  registry: string;
  method: 'GET' | 'HEAD';
  /** Path under the registry's base URL, e.g. `/v2/repo/manifests/tag`. */
  path: string;
  headers: Record<string, string>;
  /** Token scope (`repository:x:pull`), '' for none (ping). */
  scope: string;
  /** What the call fetches, for messages: `manifest host/repo:tag`. */
  what: string;
}

/** A response the caller accepted, its body not yet read. */
export interface Answer {
  status: number;
  headers: Headers;
  body: Dispatcher.ResponseData['body'];
  url: URL;
}

export interface CallOptions {
  signal: AbortSignal;
  /** Whole-call deadline; undefined: the caller sets its own (blob reads do). */
  timeoutMs?: number;
  /** Statuses handed to `onSuccess`. Default: any 2xx. */
  okStatuses?: number[];
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

interface RegistryState {
  endpoint: RegistryEndpoint;
  auth: RegistryAuth;
  /** The registry's own connections when it has TLS material of its own (a CA, a client certificate). */
  agent?: Agent;
  /** The base URL, once known (`--tls-verify=false` may fall back from https to http). */
  base?: Promise<URL>;
}

/** The transport for a set of registries; share it (it pools connections and caches tokens). */
export class Transport {
  readonly policy: HostPolicy;
  readonly #registries = new Map<string, RegistryState>();
  readonly #verifying: Agent;
  readonly #insecure: Agent;

  constructor(
    endpoints: RegistryEndpoint[],
    readonly settings: ClientSettings,
  ) {
    const hosts = endpoints.flatMap((r) => [r.host, apiHost(r.host)]);
    this.policy = new HostPolicy(hosts);
    const s = settings;
    const agentOpts = (rejectUnauthorized: boolean, tls: EndpointTls = {}) => ({
      connections: s.connections,
      headersTimeout: s.timeouts.headersMs,
      bodyTimeout: s.timeouts.bodyIdleMs,
      connect: {
        timeout: s.timeouts.connectMs,
        rejectUnauthorized,
        lookup: this.policy.connectLookup() as never,
        // Node's `ca` replaces the system's trust: keep it, and add the registry's own CA.
        ...(tls.ca !== undefined ? { ca: [...rootCertificates, tls.ca] } : {}),
        ...(tls.cert !== undefined ? { cert: tls.cert, key: tls.key } : {}),
      },
    });
    this.#verifying = new Agent(agentOpts(true));
    this.#insecure = new Agent(agentOpts(false));
    for (const endpoint of endpoints) {
      const state: RegistryState = {
        endpoint,
        auth: new RegistryAuth(
          endpoint,
          this.policy,
          (url, headers, signal) => this.#tokenGet(url, headers, signal),
          { tokenBytes: s.limits.tokenBytes, tokenMarginMs: s.tokenMarginMs },
        ),
      };
      if (endpoint.tls) state.agent = new Agent(agentOpts(endpoint.tlsVerify, endpoint.tls));
      this.#registries.set(endpoint.host, state);
      this.#registries.set(apiHost(endpoint.host), state);
    }
  }

  /** The configured registry for `host[:port]`; `host-not-allowed` when it is not configured. */
  endpoint(host: string): RegistryEndpoint {
    return this.#state(host).endpoint;
  }

  #state(host: string): RegistryState {
    const st = this.#registries.get(host.toLowerCase());
    if (!st) throw new RecipeError('host-not-allowed', `registry ${host} is not configured`);
    return st;
  }

  /**
   * Run one call with retries. `onSuccess` gets an accepted answer and must consume or destroy its
   * body; what it throws ends the call (a RecipeError it throws is not retried unless `truncated`).
   */
  async call<T>(call: Call, opts: CallOptions, onSuccess: (a: Answer) => Promise<T>): Promise<T> {
    const state = this.#state(call.registry);
    const { timeoutMs, okStatuses } = opts;
    const callerSignal = opts.signal;
    const deadline = timeoutMs !== undefined ? AbortSignal.timeout(timeoutMs) : undefined;
    const signal = deadline ? AbortSignal.any([callerSignal, deadline]) : callerSignal;
    const r = this.settings.retries;
    for (let attempt = 0; ; attempt++) {
      try {
        const a = await this.#roundTrip(state, call, signal);
        const ok = okStatuses ? okStatuses.includes(a.status) : a.status >= 200 && a.status < 300;
        if (ok) return await onSuccess(a);
        const body = await readErrorBody(a.body, this.settings.limits.errorBodyBytes);
        const retryAfterMs = parseRetryAfter(header(a.headers, 'retry-after'));
        const err = registryErrorFor(a.status, body, call.what, retryAfterMs);
        if (a.status === 429 || (a.status === 503 && retryAfterMs !== undefined)) {
          const wait = retryAfterMs ?? backoff(attempt, r.baseDelayMs, r.maxDelayMs);
          if (attempt < r.max && wait <= r.maxRetryAfterMs) {
            await sleep(wait, signal);
            continue;
          }
          throw new RecipeError(
            'rate-limited',
            `${call.what}: the registry asks to wait (HTTP ${a.status}${retryAfterMs !== undefined ? `, Retry-After ${Math.ceil(retryAfterMs / 1000)} s` : ''})`,
            { retryAfterMs: wait, details: err.details },
          );
        }
        if (err.kind === 'retryable' && attempt < r.max) {
          await sleep(backoff(attempt, r.baseDelayMs, r.maxDelayMs), signal);
          continue;
        }
        throw err;
      } catch (e) {
        if (callerSignal.aborted) throw new RecipeError('aborted', `${call.what}: aborted`, { cause: e });
        if (deadline?.aborted)
          throw new RecipeError('timeout', `${call.what}: no answer within ${timeoutMs} ms`, { cause: e });
        let err = toRecipeError(e);
        // Whatever else the transport threw (TLS, protocol, DNS) is the registry being unreachable.
        if (!isRecipeError(e) && err.code === 'internal') {
          // A TLS failure says what to do about it (tls-advice.ts) and is not retried: it will not pass.
          const tls = tlsFailureMessage(e);
          err = new RecipeError('registry-error', `cannot reach the registry: ${tls ?? err.message}`, {
            cause: e,
          });
          if (tls !== undefined) throw withContext(err, call.what);
        }
        if (
          (err.code === 'registry-error' || err.code === 'timeout' || err.code === 'truncated') &&
          !isRecipeError(e, 'rate-limited') &&
          attempt < r.max &&
          isTransport(e)
        ) {
          await sleep(backoff(attempt, r.baseDelayMs, r.maxDelayMs), signal).catch(() => undefined);
          if (callerSignal.aborted) throw new RecipeError('aborted', `${call.what}: aborted`, { cause: e });
          continue;
        }
        throw err === e ? err : withContext(err, call.what);
      }
    }
  }

  /** Close every connection. */
  async close(): Promise<void> {
    const own = new Set([...this.#registries.values()].flatMap((st) => (st.agent ? [st.agent] : [])));
    await Promise.all([this.#verifying.close(), this.#insecure.close(), ...[...own].map((a) => a.close())]);
  }

  /** The base URL of a registry; with `tlsVerify: false` an https registry that does not speak TLS is used over http. */
  #base(state: RegistryState, signal: AbortSignal): Promise<URL> {
    if (!state.base) {
      const host = apiHost(state.endpoint.host);
      const https = new URL(`https://${host}`);
      if (state.endpoint.scheme === 'http') state.base = Promise.resolve(new URL(`http://${host}`));
      else if (state.endpoint.tlsVerify) state.base = Promise.resolve(https);
      else {
        state.base = (async () => {
          try {
            const res = await request(new URL('/v2/', https), {
              dispatcher: state.agent ?? this.#insecure,
              method: 'GET',
              signal,
              headers: { 'user-agent': this.settings.userAgent },
            });
            await res.body.dump({ limit: this.settings.limits.errorBodyBytes });
            return https;
          } catch (err) {
            if (signal.aborted) throw err;
            return new URL(`http://${host}`);
          }
        })();
        state.base.catch(() => (state.base = undefined));
      }
    }
    return state.base;
  }

  /** One attempt: authorization, the request, redirects by hand, one re-authorization on 401. */
  async #roundTrip(state: RegistryState, call: Call, signal: AbortSignal): Promise<Answer> {
    const base = await this.#base(state, signal);
    const start = new URL(call.path, base);
    let authorization = call.scope ? await state.auth.authorization(call.scope, signal) : undefined;
    let reauthorized = false;
    let url = start;
    for (let hops = 0; ;) {
      const sameOrigin = url.origin === base.origin;
      const headers: Record<string, string> = { ...call.headers, 'user-agent': this.settings.userAgent };
      if (sameOrigin && authorization) headers.authorization = authorization;
      const res = await request(url, {
        dispatcher: this.#agentFor(url),
        method: call.method,
        headers,
        signal,
      });
      if (REDIRECT_STATUSES.has(res.statusCode)) {
        const location = header(res.headers, 'location');
        await res.body.dump({ limit: this.settings.limits.errorBodyBytes }).catch(() => undefined);
        if (!location)
          throw new RecipeError(
            'registry-error',
            `${call.what}: redirect (HTTP ${res.statusCode}) without a Location`,
          );
        if (++hops > this.settings.maxRedirects)
          throw new RecipeError(
            'registry-error',
            `${call.what}: more than ${this.settings.maxRedirects} redirects`,
          );
        let target: URL;
        try {
          target = new URL(location, url);
        } catch {
          throw new RecipeError('registry-error', `${call.what}: redirect to an unparseable Location`);
        }
        await this.policy.check(target, `${call.what}: redirect to`);
        url = target;
        continue;
      }
      if (res.statusCode === 401 && sameOrigin && !reauthorized) {
        const challenge = header(res.headers, 'www-authenticate');
        let retry: boolean;
        try {
          retry = await state.auth.onUnauthorized(challenge, call.scope);
        } catch (err) {
          discard(res.body); // a refused realm: nobody will read this answer
          throw err;
        }
        if (retry) {
          await res.body.dump({ limit: this.settings.limits.errorBodyBytes }).catch(() => undefined);
          reauthorized = true;
          authorization = await state.auth.authorization(call.scope, signal);
          url = start;
          hops = 0;
          continue;
        }
      }
      return { status: res.statusCode, headers: res.headers, body: res.body, url };
    }
  }

  /** A registry's own agent (its CA, its client certificate), else the shared one for its verification. */
  #agentFor(url: URL): Agent {
    const st = this.#registries.get(urlHostPort(url));
    if (st?.agent) return st.agent;
    return st && !st.endpoint.tlsVerify ? this.#insecure : this.#verifying;
  }

  /** The token endpoint: one capped GET, no redirects, within the request deadline. */
  async #tokenGet(url: URL, headers: Record<string, string>, signal: AbortSignal) {
    const s = AbortSignal.any([signal, AbortSignal.timeout(this.settings.timeouts.requestMs)]);
    const res = await request(url, {
      dispatcher: this.#agentFor(url),
      method: 'GET',
      headers: { ...headers, 'user-agent': this.settings.userAgent },
      signal: s,
    });
    const status = res.statusCode;
    const body =
      status === 200
        ? await readCapped(
            res.body,
            header(res.headers, 'content-length'),
            this.settings.limits.tokenBytes,
            `token endpoint ${redactUrl(url)}`,
          )
        : await readErrorBody(res.body, this.settings.limits.errorBodyBytes);
    return { status, headers: res.headers, body };
  }
}

/** Errors thrown by the transport (not decisions of ours) are the ones worth another attempt. */
function isTransport(e: unknown): boolean {
  if (!isRecipeError(e)) return true;
  return e.code === 'truncated';
}

function backoff(attempt: number, baseMs: number, maxMs: number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** attempt);
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
