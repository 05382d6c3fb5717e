/**
 * A small OCI distribution client: the facade over the parts of this folder, each one concern —
 *   transport.ts       retries, Retry-After, redirects through the host policy, re-auth, http fallback
 *   body-readers.ts    capped reads, dropped bodies, streamed bodies with one error vocabulary
 *   manifests.ts       manifest GET / HEAD, the one media-type (schema 1) check
 *   blobs.ts           blob GET, whole or ranged
 *   ping.ts            GET /v2/
 *   catalog.ts, tags.ts  the paged listings (listing.ts: Link pagination, capped pages)
 *   auth.ts            challenges, Basic, Bearer tokens; host-policy.ts, redact.ts, registry-error.ts
 *
 * Two kinds of calls:
 *   - `manifestGet`, `manifestHead`, `blobGet`, `ping`: verified answers for callers on their own
 *     (tag resolution, tests), checked by the same functions an ImageSource uses
 *     (content/verified-source.ts);
 *   - `manifestGetRaw`, `blobGetRaw`: what RegistrySource builds on; its VerifiedSource checks them,
 *     so a scan hashes each byte once.
 */
import type { Readable } from 'node:stream';
import { RecipeError } from '../../errors.js';
import { parseDigest } from '../../content/digest.js';
import type { Descriptor } from '../../content/descriptor.js';
import type { FetchOptions, RawBlob, RawManifest } from '../../content/image-source.js';
import { parseManifest } from '../../content/image-manifest.js';
import { checkRange, verifiedBlob, verifiedManifest } from '../../content/verified-source.js';
import type { Reference, RepositoryName } from '../reference.js';
import { blobWhat, getBlob } from './blobs.js';
import { resolveClientSettings, type ClientSettings, type ClientSettingsInput } from './client-settings.js';
import type { HostPolicy } from './host-policy.js';
import { getManifest, headManifest, manifestWhat } from './manifests.js';
import { ping } from './ping.js';
import { catalogPage } from './catalog.js';
import type { ListPage, PageStart } from './listing.js';
import { tagsPage } from './tags.js';
import type { RegistryEndpoint } from './registry-endpoint.js';
import { Transport } from './transport.js';

export interface RegistryClientOptions {
  /** The registries this client may contact (and the only private hosts redirects may reach). */
  registries: RegistryEndpoint[];
  /** Timeouts, caps, retries; defaults in DEFAULT_CLIENT_SETTINGS. */
  settings?: ClientSettingsInput;
}

/** A fetched manifest: its verified descriptor and exact bytes. */
export interface ManifestResult {
  descriptor: Descriptor;
  bytes: Uint8Array;
}

/** One client for many registries; share it (it pools connections and caches tokens). */
export class RegistryClient {
  readonly settings: ClientSettings;
  readonly #t: Transport;

  constructor(opts: RegistryClientOptions) {
    this.settings = resolveClientSettings(opts.settings);
    this.#t = new Transport(opts.registries, this.settings);
  }

  get policy(): HostPolicy {
    return this.#t.policy;
  }

  /** The configured registry for `host[:port]`; `host-not-allowed` when it is not configured. */
  registry(host: string): RegistryEndpoint {
    return this.#t.endpoint(host);
  }

  /** `GET /v2/`: the registry answers (200, or 401 that our credentials resolve). */
  ping(registry: string, opts: { signal: AbortSignal }): Promise<void> {
    return ping(this.#t, registry, opts);
  }

  /**
   * The manifest of a reference (by digest when it has one, else by tag), verified against the
   * digest asked or else `Docker-Content-Digest`; its media type from the Content-Type and the
   * bytes, which must agree. Schema 1 is refused.
   */
  async manifestGet(
    ref: Reference,
    opts: { signal: AbortSignal; accept?: string[] },
  ): Promise<ManifestResult> {
    const what = manifestWhat(ref);
    const raw = await getManifest(this.#t, ref, opts);
    const descriptor = verifiedManifest(raw, what, this.settings.limits.manifestBytes);
    const { mediaType } = parseManifest(raw.bytes, raw.mediaType, what);
    return { descriptor: { ...descriptor, mediaType }, bytes: raw.bytes };
  }

  /** Resolve a reference to its manifest descriptor with a HEAD (no body; cheap on rate limits). */
  async manifestHead(ref: Reference, opts: { signal: AbortSignal }): Promise<Descriptor> {
    const headed = await headManifest(this.#t, ref, opts);
    // Without the digest header (or with an odd Content-Type) only the bytes can tell: GET them.
    return headed ?? (await this.manifestGet(ref, opts)).descriptor;
  }

  /**
   * A blob (or a manifest by digest, when `desc` is one) as a stream of its raw bytes. Whole reads
   * error at the end with `truncated` / `digest-mismatch` when the bytes differ from `desc`; ranged
   * reads check only their length.
   */
  async blobGet(repo: RepositoryName, desc: Descriptor, opts: FetchOptions): Promise<Readable> {
    const what = blobWhat(repo, parseDigest(desc.digest));
    if (!Number.isSafeInteger(desc.size) || desc.size < 0)
      throw new RecipeError('invalid-image', `descriptor of ${desc.digest} has an invalid size`);
    if (opts.range) checkRange(desc, opts.range, what);
    return verifiedBlob(await getBlob(this.#t, repo, desc, opts), desc, opts, what);
  }

  /** The manifest bytes as the registry sent them (capped, media type checked), not hashed. */
  manifestGetRaw(ref: Reference, opts: { signal: AbortSignal; accept?: string[] }): Promise<RawManifest> {
    return getManifest(this.#t, ref, opts);
  }

  /** A blob (or a range of it, already checked to lie inside it) as the registry sent it, not checked. */
  blobGetRaw(repo: RepositoryName, desc: Descriptor, opts: FetchOptions): Promise<RawBlob> {
    return getBlob(this.#t, repo, desc, opts);
  }

  /** One page of the registry's repositories (`/v2/_catalog`); see catalog.ts for refusals. */
  catalogPage(registry: string, start: PageStart, opts: { signal: AbortSignal }): Promise<ListPage> {
    return catalogPage(this.#t, registry, start, opts);
  }

  /** One page of a repository's tags (`/v2/<name>/tags/list`). */
  tagsPage(repo: RepositoryName, start: PageStart, opts: { signal: AbortSignal }): Promise<ListPage> {
    return tagsPage(this.#t, repo, start, opts);
  }

  /** Close every connection. */
  close(): Promise<void> {
    return this.#t.close();
  }
}
