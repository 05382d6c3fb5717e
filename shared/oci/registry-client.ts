/**
 * A small OCI distribution client on undici 7 (distribution-spec "Pulling manifests/blobs"):
 * ping, manifestGet, manifestHead, blobGet. Safe by default:
 *   - only configured registries are contacted directly; redirects are followed by hand, each
 *     target checked by the host policy, credentials only ever sent to the registry's own origin;
 *   - every manifest and blob is digest-verified (blobs as they stream), every read is capped, every
 *     call has a deadline and the caller's AbortSignal;
 *   - 5xx, resets and timeouts are retried with backoff and jitter; 429/503 honour `Retry-After`;
 *   - errors are RecipeErrors whose messages carry no token, password or query string.
 */
import type { Readable, Transform } from 'node:stream';
import { Agent, request, type Dispatcher } from 'undici';
import { RecipeError, isRecipeError, toRecipeError } from '../errors.js';
import { parseDigest, verifyBytes, digestAlgorithm, type Digest } from '../content/digest.js';
import { type Descriptor } from '../content/descriptor.js';
import {
  MANIFEST_ACCEPT,
  isImageManifestMediaType,
  isIndexMediaType,
  isSchema1MediaType,
} from '../content/media-types.js';
import { RegistryAuth, pullScope } from './auth.js';
import { HostPolicy, urlHostPort } from './host-policy.js';
import { redactUrl } from './redact.js';
import { parseRetryAfter, registryErrorFor } from './registry-error.js';
import { apiHost, manifestReference, type Reference, type RepositoryName } from './reference.js';
import {
  resolveClientSettings,
  type ClientSettings,
  type ClientSettingsInput,
  type RegistryConfig,
} from './registry-config.js';
import { exactLengthStream, sliceStream } from '../content/range-stream.js';
import { VerifyStream } from '../content/verify-stream.js';
import { createHash } from 'node:crypto';

export interface RegistryClientOptions {
  /** The registries this client may contact (and the only private hosts redirects may reach). */
  registries: RegistryConfig[];
  /** Timeouts, caps, retries; defaults in DEFAULT_CLIENT_SETTINGS. */
  settings?: ClientSettingsInput;
}

/** A fetched manifest: its verified descriptor and exact bytes. */
export interface ManifestResult {
  descriptor: Descriptor;
  bytes: Uint8Array;
}

export interface BlobGetOptions {
  signal: AbortSignal;
  /** Inclusive byte range; the answer is then not digest-verified (the caller checks the whole blob separately). */
  range?: { start: number; end: number };
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

type Headers = Record<string, string | string[] | undefined>;

function header(h: Headers, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

interface RegistryState {
  config: RegistryConfig;
  auth: RegistryAuth;
  /** The base URL, once known (`--tls-verify=false` may fall back from https to http). */
  base?: Promise<URL>;
}

interface Call {
  state: RegistryState;
  method: 'GET' | 'HEAD';
  path: string;
  headers: Record<string, string>;
  scope: string;
  /** What the call fetches, for messages: `manifest host/repo:tag`. */
  what: string;
}

interface Answer {
  status: number;
  headers: Headers;
  body: Dispatcher.ResponseData['body'];
  url: URL;
}

/** One client for many registries; share it (it pools connections and caches tokens). */
export class RegistryClient {
  readonly settings: ClientSettings;
  readonly policy: HostPolicy;
  readonly #registries = new Map<string, RegistryState>();
  readonly #verifying: Agent;
  readonly #insecure: Agent;

  constructor(opts: RegistryClientOptions) {
    this.settings = resolveClientSettings(opts.settings);
    const hosts = opts.registries.flatMap((r) => [r.host, apiHost(r.host)]);
    this.policy = new HostPolicy(hosts);
    const s = this.settings;
    const agentOpts = (rejectUnauthorized: boolean) => ({
      connections: s.connections,
      headersTimeout: s.timeouts.headersMs,
      bodyTimeout: s.timeouts.bodyIdleMs,
      connect: {
        timeout: s.timeouts.connectMs,
        rejectUnauthorized,
        lookup: this.policy.connectLookup() as never,
      },
    });
    this.#verifying = new Agent(agentOpts(true));
    this.#insecure = new Agent(agentOpts(false));
    for (const config of opts.registries) {
      const state: RegistryState = {
        config,
        auth: new RegistryAuth(
          config,
          this.policy,
          (url, headers, signal) => this.#tokenGet(url, headers, signal),
          {
            tokenBytes: s.limits.tokenBytes,
            tokenMarginMs: s.tokenMarginMs,
          },
        ),
      };
      this.#registries.set(config.host, state);
      this.#registries.set(apiHost(config.host), state);
    }
  }

  /** The configured registry for `host[:port]`; `host-not-allowed` when it is not configured. */
  registry(host: string): RegistryConfig {
    return this.#state(host).config;
  }

  #state(host: string): RegistryState {
    const st = this.#registries.get(host.toLowerCase());
    if (!st) throw new RecipeError('host-not-allowed', `registry ${host} is not configured`);
    return st;
  }

  /** `GET /v2/`: the registry answers (200, or 401 that our credentials resolve). */
  async ping(registry: string, opts: { signal: AbortSignal }): Promise<void> {
    const state = this.#state(registry);
    await this.#call(
      { state, method: 'GET', path: '/v2/', headers: {}, scope: '', what: `registry ${registry}` },
      opts.signal,
      this.settings.timeouts.requestMs,
      async (a) => {
        await a.body.dump({ limit: this.settings.limits.errorBodyBytes });
      },
    );
  }

  /**
   * The manifest of a reference (by digest when it has one, else by tag), verified against
   * `Docker-Content-Digest` and, by digest, against the digest asked. Schema 1 is refused.
   */
  async manifestGet(
    ref: Reference,
    opts: { signal: AbortSignal; accept?: string[] },
  ): Promise<ManifestResult> {
    const state = this.#state(ref.registry);
    const id = manifestReference(ref);
    const what = `manifest ${ref.registry}/${ref.repository}${ref.digest ? '@' : ':'}${id}`;
    const accept = (opts.accept ?? MANIFEST_ACCEPT).join(', ');
    return this.#call(
      {
        state,
        method: 'GET',
        path: `/v2/${ref.repository}/manifests/${id}`,
        headers: { accept },
        scope: pullScope(ref.repository),
        what,
      },
      opts.signal,
      this.settings.timeouts.requestMs,
      async (a) => {
        const contentType = mediaTypeOf(header(a.headers, 'content-type'));
        if (isSchema1MediaType(contentType)) {
          discard(a.body);
          throw new RecipeError(
            'unsupported-media-type',
            `${what} is a Docker schema 1 manifest (${contentType}), which is not supported`,
          );
        }
        const bytes = await readCapped(a, this.settings.limits.manifestBytes, what);
        return { descriptor: checkManifest(bytes, contentType, a.headers, ref.digest, what), bytes };
      },
    );
  }

  /** Resolve a reference to its manifest descriptor with a HEAD (no body; cheap on rate limits). */
  async manifestHead(ref: Reference, opts: { signal: AbortSignal }): Promise<Descriptor> {
    const state = this.#state(ref.registry);
    const id = manifestReference(ref);
    const what = `manifest ${ref.registry}/${ref.repository}${ref.digest ? '@' : ':'}${id}`;
    const headed = await this.#call(
      {
        state,
        method: 'HEAD',
        path: `/v2/${ref.repository}/manifests/${id}`,
        headers: { accept: MANIFEST_ACCEPT.join(', ') },
        scope: pullScope(ref.repository),
        what,
      },
      opts.signal,
      this.settings.timeouts.requestMs,
      async (a) => {
        await a.body.dump({ limit: 0 });
        const mediaType = mediaTypeOf(header(a.headers, 'content-type'));
        if (isSchema1MediaType(mediaType))
          throw new RecipeError(
            'unsupported-media-type',
            `${what} is a Docker schema 1 manifest (${mediaType}), which is not supported`,
          );
        const digestHeader = header(a.headers, 'docker-content-digest');
        const length = Number(header(a.headers, 'content-length'));
        if (
          !digestHeader ||
          !Number.isSafeInteger(length) ||
          !(isIndexMediaType(mediaType) || isImageManifestMediaType(mediaType))
        )
          return undefined;
        const digest = parseDigestHeader(digestHeader, what);
        if (ref.digest && digest !== ref.digest)
          throw new RecipeError('digest-mismatch', `${what}: the registry says ${digest}`, {
            details: { expected: ref.digest, actual: digest },
          });
        if (length > this.settings.limits.manifestBytes)
          throw new RecipeError(
            'size-limit',
            `${what} is ${length} bytes, over the ${this.settings.limits.manifestBytes} byte cap`,
          );
        return { mediaType, digest, size: length } satisfies Descriptor;
      },
    );
    // Without the digest header (or with an odd Content-Type) only the bytes can tell: GET them.
    return headed ?? (await this.manifestGet(ref, opts)).descriptor;
  }

  /**
   * A blob (or a manifest by digest, when `desc` is one) as a stream of its raw bytes. Whole reads
   * error at the end with `truncated` / `digest-mismatch` when the bytes differ from `desc`; ranged
   * reads check only their length.
   */
  async blobGet(repo: RepositoryName, desc: Descriptor, opts: BlobGetOptions): Promise<Readable> {
    const state = this.#state(repo.registry);
    const digest = parseDigest(desc.digest);
    if (!Number.isSafeInteger(desc.size) || desc.size < 0)
      throw new RecipeError('invalid-image', `descriptor of ${digest} has an invalid size`);
    const what = `blob ${repo.registry}/${repo.repository}@${digest}`;
    const range = opts.range;
    const headers: Record<string, string> = { 'accept-encoding': 'identity' };
    if (range) {
      if (
        !Number.isSafeInteger(range.start) ||
        !Number.isSafeInteger(range.end) ||
        range.start < 0 ||
        range.end < range.start ||
        range.end >= desc.size
      )
        throw new RecipeError(
          'usage',
          `${what}: range ${range.start}-${range.end} is outside 0-${desc.size - 1}`,
        );
      headers.range = `bytes=${range.start}-${range.end}`;
    }
    const deadline = AbortSignal.timeout(this.settings.timeouts.blobMs);
    const signal = AbortSignal.any([opts.signal, deadline]);
    return this.#call(
      {
        state,
        method: 'GET',
        path: `/v2/${repo.repository}/blobs/${digest}`,
        headers,
        scope: pullScope(repo.repository),
        what,
      },
      signal,
      undefined,
      async (a) => {
        if (range) {
          const want = range.end - range.start + 1;
          const part = `${what} bytes ${range.start}-${range.end}`;
          if (a.status === 206) {
            const contentRange = header(a.headers, 'content-range') ?? '';
            const cr = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(contentRange);
            if (!cr || Number(cr[1]) !== range.start || Number(cr[2]) !== range.end) {
              discard(a.body);
              throw new RecipeError(
                'registry-error',
                `${part}: the registry answered Content-Range ${JSON.stringify(contentRange.slice(0, 100))}`,
              );
            }
            return this.#stream(a.body, [exactLengthStream(want, part)], opts.signal, deadline, what);
          }
          // 200: the server (often object storage behind a redirect) ignored Range; cut the range out.
          return this.#stream(
            a.body,
            [sliceStream(range.start, want), exactLengthStream(want, part)],
            opts.signal,
            deadline,
            what,
          );
        }
        const length = header(a.headers, 'content-length');
        if (length !== undefined && Number(length) !== desc.size) {
          discard(a.body);
          throw new RecipeError(
            'digest-mismatch',
            `${what}: the registry announces ${length.slice(0, 20)} bytes, the descriptor says ${desc.size}`,
            {
              details: { expected: digest, size: desc.size },
            },
          );
        }
        const announced = header(a.headers, 'docker-content-digest');
        if (announced !== undefined && announced.trim() !== digest) {
          discard(a.body);
          throw new RecipeError(
            'digest-mismatch',
            `${what}: the registry says its digest is ${announced.slice(0, 140)}`,
            { details: { expected: digest } },
          );
        }
        return this.#stream(
          a.body,
          [new VerifyStream({ digest, size: desc.size, what })],
          opts.signal,
          deadline,
          what,
        );
      },
      range ? [200, 206] : [200],
    );
  }

  /**
   * Pipe a response body through checks. The returned stream errors with one RecipeError (a drop
   * mid-body is `truncated`); destroying it (an early stop) closes the connection.
   */
  #stream(
    body: Readable,
    through: Transform[],
    caller: AbortSignal,
    deadline: AbortSignal,
    what: string,
  ): Readable {
    const last = through[through.length - 1]!;
    const mapError = (err: unknown): RecipeError => {
      if (caller.aborted) return new RecipeError('aborted', `${what}: aborted`, { cause: err });
      if (deadline.aborted)
        return new RecipeError(
          'timeout',
          `${what}: the read took longer than ${this.settings.timeouts.blobMs} ms`,
          { cause: err },
        );
      if (isRecipeError(err)) return err;
      const re = toRecipeError(err);
      if (re.code === 'timeout' || re.code === 'aborted') return re;
      return new RecipeError('truncated', `${what}: the connection dropped mid-body (${re.message})`, {
        cause: err,
      });
    };
    const fail = (err: unknown) => {
      if (!last.destroyed) last.destroy(mapError(err));
    };
    let prev: Readable = body;
    for (const t of through) {
      prev.pipe(t);
      prev = t;
    }
    body.on('error', fail);
    for (const t of through.slice(0, -1)) t.on('error', fail);
    last.once('close', () => {
      discard(body);
      for (const t of through) if (!t.destroyed) t.destroy();
    });
    return last;
  }

  /** Close every connection. */
  async close(): Promise<void> {
    await Promise.all([this.#verifying.close(), this.#insecure.close()]);
  }

  // ---------------------------------------------------------------------------------------------

  /** Run one call with retries; `onSuccess` gets a 2xx answer (it must consume or destroy the body). */
  async #call<T>(
    call: Call,
    callerSignal: AbortSignal,
    timeoutMs: number | undefined,
    onSuccess: (a: Answer) => Promise<T>,
    okStatuses?: number[],
  ): Promise<T> {
    const deadline = timeoutMs !== undefined ? AbortSignal.timeout(timeoutMs) : undefined;
    const signal = deadline ? AbortSignal.any([callerSignal, deadline]) : callerSignal;
    const r = this.settings.retries;
    for (let attempt = 0; ; attempt++) {
      try {
        const a = await this.#roundTrip(call, signal);
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
            {
              retryAfterMs: wait,
              details: err.details,
            },
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
        if (!isRecipeError(e) && err.code === 'internal')
          err = new RecipeError('registry-error', `cannot reach the registry: ${err.message}`, { cause: e });
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

  /** The base URL of a registry; with `tlsVerify: false` an https registry that does not speak TLS is used over http. */
  #base(state: RegistryState, signal: AbortSignal): Promise<URL> {
    if (!state.base) {
      const host = apiHost(state.config.host);
      const https = new URL(`https://${host}`);
      if (state.config.scheme === 'http') state.base = Promise.resolve(new URL(`http://${host}`));
      else if (state.config.tlsVerify) state.base = Promise.resolve(https);
      else {
        state.base = (async () => {
          try {
            const res = await request(new URL('/v2/', https), {
              dispatcher: this.#insecure,
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
  async #roundTrip(call: Call, signal: AbortSignal): Promise<Answer> {
    const { state } = call;
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

  #agentFor(url: URL): Agent {
    const st = this.#registries.get(urlHostPort(url));
    return st && !st.config.tlsVerify ? this.#insecure : this.#verifying;
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
            { status, headers: res.headers, body: res.body, url },
            this.settings.limits.tokenBytes,
            `token endpoint ${redactUrl(url)}`,
          )
        : await readErrorBody(res.body, this.settings.limits.errorBodyBytes);
    return { status, headers: res.headers, body };
  }
}

/** Drop a body we will not read (destroying it without a listener would throw its AbortError). */
function discard(body: Readable): void {
  body.on('error', () => undefined);
  if (!body.destroyed) body.destroy();
}

/** Errors thrown by the transport (not decisions of ours) are the ones worth another attempt. */
function isTransport(e: unknown): boolean {
  if (!isRecipeError(e)) return true;
  return e.code === 'truncated';
}

function withContext(err: RecipeError, what: string): RecipeError {
  if (err.message.startsWith(what)) return err;
  const opts: { cause: unknown; details?: Record<string, unknown>; retryAfterMs?: number } = {
    cause: err.cause ?? err,
  };
  if (err.details) opts.details = err.details;
  if (err.retryAfterMs !== undefined) opts.retryAfterMs = err.retryAfterMs;
  return new RecipeError(err.code, `${what}: ${err.message}`, opts);
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

/** Read at most `cap` bytes of an error body; the rest is dropped with the connection. */
async function readErrorBody(body: Readable, cap: number): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let n = 0;
  try {
    for await (const c of body as AsyncIterable<Buffer>) {
      const room = cap - n;
      if (c.length >= room) {
        chunks.push(c.subarray(0, room));
        n = cap;
        break;
      }
      chunks.push(c);
      n += c.length;
    }
  } catch {
    // an error body that breaks off is still an error; what we have is enough
  }
  discard(body);
  return Buffer.concat(chunks);
}

/** Read a whole body that must fit in `cap` bytes (`size-limit` otherwise, `truncated` if it breaks off). */
async function readCapped(a: Answer, cap: number, what: string): Promise<Uint8Array> {
  const announced = header(a.headers, 'content-length');
  if (announced !== undefined && Number(announced) > cap) {
    discard(a.body);
    throw new RecipeError('size-limit', `${what} is ${announced} bytes, over the ${cap} byte cap`);
  }
  const chunks: Buffer[] = [];
  let n = 0;
  try {
    for await (const c of a.body as AsyncIterable<Buffer>) {
      n += c.length;
      if (n > cap) {
        discard(a.body);
        throw new RecipeError('size-limit', `${what} is over the ${cap} byte cap`);
      }
      chunks.push(c);
    }
  } catch (err) {
    if (isRecipeError(err)) throw err;
    const re = toRecipeError(err);
    if (re.code === 'aborted' || re.code === 'timeout') throw re;
    throw new RecipeError('truncated', `${what}: the connection dropped mid-body`, { cause: err });
  }
  const bytes = Buffer.concat(chunks);
  if (announced !== undefined && Number(announced) !== bytes.length)
    throw new RecipeError('truncated', `${what}: got ${bytes.length} of ${announced} bytes`);
  return bytes;
}

function parseDigestHeader(value: string, what: string): Digest {
  try {
    return parseDigest(value.trim());
  } catch {
    throw new RecipeError('registry-error', `${what}: the registry sent an invalid Docker-Content-Digest`);
  }
}

/**
 * The descriptor of fetched manifest bytes: media type from the body and Content-Type (which must
 * agree), digest computed (with the algorithm asked for), checked against the header and the ask.
 */
export function checkManifest(
  bytes: Uint8Array,
  contentType: string,
  headers: Headers,
  asked: Digest | undefined,
  what: string,
): Descriptor {
  let json: {
    schemaVersion?: unknown;
    mediaType?: unknown;
    manifests?: unknown;
    config?: unknown;
    layers?: unknown;
  };
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8')) as typeof json;
  } catch {
    throw new RecipeError('parse-error', `${what} is not JSON`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    throw new RecipeError('invalid-image', `${what} is not a JSON object`);
  if (json.schemaVersion === 1)
    throw new RecipeError(
      'unsupported-media-type',
      `${what} is a Docker schema 1 manifest, which is not supported`,
    );
  const bodyType = typeof json.mediaType === 'string' ? json.mediaType : undefined;
  const known = (t: string) => isIndexMediaType(t) || isImageManifestMediaType(t);
  let mediaType: string;
  if (bodyType !== undefined) {
    if (isSchema1MediaType(bodyType))
      throw new RecipeError(
        'unsupported-media-type',
        `${what} is a Docker schema 1 manifest, which is not supported`,
      );
    if (known(contentType) && bodyType !== contentType)
      throw new RecipeError(
        'invalid-image',
        `${what}: Content-Type ${contentType} but the manifest says ${bodyType.slice(0, 100)}`,
      );
    mediaType = bodyType;
  } else if (known(contentType)) mediaType = contentType;
  else if (Array.isArray(json.manifests)) mediaType = 'application/vnd.oci.image.index.v1+json';
  else if (json.config !== undefined && Array.isArray(json.layers))
    mediaType = 'application/vnd.oci.image.manifest.v1+json';
  else mediaType = contentType;
  if (!known(mediaType))
    throw new RecipeError(
      'unsupported-media-type',
      `${what} has media type ${JSON.stringify(mediaType.slice(0, 100))}, which is not a manifest we read`,
    );

  const headerDigest = header(headers, 'docker-content-digest');
  const algorithm = asked
    ? digestAlgorithm(asked)
    : headerDigest?.startsWith('sha512:')
      ? 'sha512'
      : 'sha256';
  const digest = `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}` as Digest;
  if (headerDigest !== undefined)
    verifyBytes(bytes, parseDigestHeader(headerDigest, what), `${what} (Docker-Content-Digest)`);
  if (asked) verifyBytes(bytes, asked, what);
  return { mediaType, digest, size: bytes.length };
}
