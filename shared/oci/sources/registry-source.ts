/**
 * An image in a registry, as an ImageSource: `docker://HOST/REPO[:TAG|@DIGEST]`.
 * The reference is resolved once (tag → digest) and every later read is by digest.
 */
import { Readable } from 'node:stream';
import { RecipeError } from '../../errors.js';
import type { Descriptor } from '../../content/descriptor.js';
import type { FetchOptions, ImageSource } from '../../content/image-source.js';
import { isImageManifestMediaType, isIndexMediaType } from '../../content/media-types.js';
import {
  DOCKER_TRANSPORT,
  formatReference,
  parseReference,
  withDigest,
  type Reference,
} from '../reference.js';
import { RegistryClient } from '../registry-client.js';
import {
  registryConfig,
  type ClientSettingsInput,
  type Credentials,
  type RegistryConfig,
} from '../registry-config.js';
import { credentialsFromAuthFiles } from '../auth-file.js';

/** An ImageSource reading one reference through a (shared) RegistryClient. */
export class RegistrySource implements ImageSource {
  readonly name: string;
  #pinned: Reference | undefined;

  /** `ownsClient`: close the client with the source (the factory's case). */
  constructor(
    readonly client: RegistryClient,
    readonly reference: Reference,
    private readonly opts: { ownsClient?: boolean } = {},
  ) {
    this.name = `${DOCKER_TRANSPORT}${formatReference(reference)}`;
    // Fail now, not at the first read, when the registry is not configured.
    client.registry(reference.registry);
  }

  /** The reference pinned to the digest the top-level manifest had (after `manifest()`). */
  get resolved(): Reference | undefined {
    return this.#pinned;
  }

  async manifest(opts: { signal: AbortSignal }): Promise<{ descriptor: Descriptor; bytes: Uint8Array }> {
    const got = await this.client.manifestGet(this.#pinned ?? this.reference, opts);
    this.#pinned = withDigest(this.reference, got.descriptor.digest);
    return got;
  }

  async fetch(desc: Descriptor, opts: FetchOptions): Promise<Readable> {
    if (!opts.range && (isIndexMediaType(desc.mediaType) || isImageManifestMediaType(desc.mediaType))) {
      // Manifests live under /manifests/, not /blobs/; the client verifies the digest asked.
      const got = await this.client.manifestGet(withDigest(this.reference, desc.digest), {
        signal: opts.signal,
        accept: [desc.mediaType],
      });
      if (got.bytes.length !== desc.size)
        throw new RecipeError(
          'digest-mismatch',
          `manifest ${desc.digest} is ${got.bytes.length} bytes, its descriptor says ${desc.size}`,
        );
      return Readable.from([Buffer.from(got.bytes)]);
    }
    return this.client.blobGet(this.reference, desc, opts);
  }

  async close(): Promise<void> {
    if (this.opts.ownsClient) await this.client.close();
  }
}

/** How `registrySource()` builds its registry config (the skopeo flags, plus configured registries). */
export interface RegistrySourceOptions {
  /** Registries already configured (GUIX_RECIPES_REGISTRIES...); the reference's own is added when missing. */
  registries?: RegistryConfig[];
  /** `--tls-verify=false`: no certificate check, and plain http when the registry does not speak TLS. */
  tlsVerify?: boolean;
  /** `--creds USER:PASS`; wins over auth files. */
  credentials?: Credentials;
  /** `--authfile FILE`; otherwise the default auth files (see auth-file.ts) are read. */
  authFile?: string;
  /** Do not read any auth file (services: credentials come from configuration only). Default false. */
  noAuthFiles?: boolean;
  settings?: ClientSettingsInput;
  /** Environment and home for default auth-file locations (tests). */
  env?: NodeJS.ProcessEnv;
  home?: string;
}

/** Strip `docker://` from a transport string; undefined when it is another transport. */
export function dockerTransportReference(s: string): string | undefined {
  return s.startsWith(DOCKER_TRANSPORT) ? s.slice(DOCKER_TRANSPORT.length) : undefined;
}

/**
 * A RegistrySource (owning its client) for `docker://HOST/REPO[:TAG|@DIGEST]`. The reference's
 * registry becomes a configured registry: the user named it.
 */
export async function registrySource(
  spec: string,
  opts: RegistrySourceOptions = {},
): Promise<RegistrySource> {
  const rest = dockerTransportReference(spec);
  if (rest === undefined)
    throw new RecipeError('usage', `not a docker:// reference: ${JSON.stringify(spec.slice(0, 200))}`);
  const ref = parseReference(rest);
  const registries = [...(opts.registries ?? [])];
  let cfg = registries.find((r) => r.host === ref.registry);
  if (!cfg) {
    cfg = registryConfig(ref.registry);
    registries.push(cfg);
  }
  cfg = { ...cfg };
  if (opts.tlsVerify === false) cfg.tlsVerify = false;
  // --creds, then an explicit --authfile, then configuration, then the default auth files.
  const fromFiles = (authFile?: string) =>
    credentialsFromAuthFiles(ref.registry, ref.repository, { authFile, env: opts.env, home: opts.home });
  const creds =
    opts.credentials ??
    (opts.authFile ? await fromFiles(opts.authFile) : undefined) ??
    cfg.credentials ??
    (opts.noAuthFiles || opts.authFile ? undefined : await fromFiles());
  if (creds) cfg.credentials = creds;
  const all = registries.map((r) => (r.host === cfg.host ? cfg : r));
  const client = new RegistryClient({ registries: all, settings: opts.settings });
  return new RegistrySource(client, ref, { ownsClient: true });
}
