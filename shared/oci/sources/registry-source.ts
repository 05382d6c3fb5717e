/**
 * An image in a registry, as a raw image source: `docker://HOST/REPO[:TAG|@DIGEST]`.
 * The reference is resolved once (tag -> the digest the registry names) and every later read is by
 * digest. Manifests and blobs come as the registry sends them (capped, media types and announced
 * lengths passed on); the VerifiedSource around it (`registryImageSource`, `registrySource`) hashes
 * and checks them, once.
 */
import { Readable } from 'node:stream';
import { RecipeError } from '../../errors.js';
import type { Descriptor } from '../../content/descriptor.js';
import type { FetchOptions, RawBlob, RawImageSource, RawManifest } from '../../content/image-source.js';
import { isImageManifestMediaType, isIndexMediaType } from '../../content/media-types.js';
import { verifiedSource, type VerifiedSource } from '../../content/verified-source.js';
import {
  DOCKER_TRANSPORT,
  ORAS_TRANSPORT,
  formatReference,
  parseReference,
  withDigest,
  type Reference,
} from '../reference.js';
import { RegistryClient } from '../registry/registry-client.js';
import type { ClientSettingsInput } from '../registry/client-settings.js';
import { registryEndpoint, type Credentials, type RegistryEndpoint } from '../registry/registry-endpoint.js';
import { credentialsFromAuthFiles } from '../registry/auth-file.js';

/** A raw source reading one reference through a (shared) RegistryClient. */
export class RegistrySource implements RawImageSource {
  readonly name: string;
  #pinned: Reference | undefined;

  /** `ownsClient`: close the client with the source (the factory's case); `transport`: the name's prefix. */
  constructor(
    readonly client: RegistryClient,
    readonly reference: Reference,
    private readonly opts: { ownsClient?: boolean; transport?: RegistryTransport } = {},
  ) {
    this.name = `${opts.transport ?? DOCKER_TRANSPORT}${formatReference(reference)}`;
    // Fail now, not at the first read, when the registry is not configured.
    client.registry(reference.registry);
  }

  /** The reference pinned to the digest the registry named for the top-level manifest (after `manifest()`). */
  get resolved(): Reference | undefined {
    return this.#pinned;
  }

  async manifest(opts: { signal: AbortSignal }): Promise<RawManifest> {
    const got = await this.client.manifestGetRaw(this.#pinned ?? this.reference, opts);
    if (got.digest !== undefined) this.#pinned = withDigest(this.reference, got.digest);
    return got;
  }

  async fetch(desc: Descriptor, opts: FetchOptions): Promise<RawBlob> {
    if (!opts.range && (isIndexMediaType(desc.mediaType) || isImageManifestMediaType(desc.mediaType))) {
      // Manifests live under /manifests/, not /blobs/.
      const got = await this.client.manifestGetRaw(withDigest(this.reference, desc.digest), {
        signal: opts.signal,
        accept: [desc.mediaType],
      });
      return {
        stream: Readable.from([Buffer.from(got.bytes.buffer, got.bytes.byteOffset, got.bytes.byteLength)]),
        announced: { size: got.bytes.length },
      };
    }
    return this.client.blobGetRaw(this.reference, desc, opts);
  }

  async close(): Promise<void> {
    if (this.opts.ownsClient) await this.client.close();
  }
}

/** The ImageSource for `reference` through a shared client (the service's case). */
export function registryImageSource(
  client: RegistryClient,
  reference: Reference,
): VerifiedSource<RegistrySource> {
  return verifiedSource(new RegistrySource(client, reference), {
    maxManifestBytes: client.settings.limits.manifestBytes,
  });
}

/** The prefixes a registry reference is spelled with: skopeo's, and Apptainer's for OCI artifacts. */
export type RegistryTransport = typeof DOCKER_TRANSPORT | typeof ORAS_TRANSPORT;

/** How `registrySource()` builds its registry config (the skopeo flags, plus configured registries). */
export interface RegistrySourceOptions {
  /** Registries already configured (GUIX_RECIPES_REGISTRIES...); the reference's own is added when missing. */
  registries?: RegistryEndpoint[];
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

/** The transport (`docker://` or `oras://`) and the reference after it; undefined for anything else. */
export function registryTransportReference(
  s: string,
): { transport: RegistryTransport; rest: string } | undefined {
  for (const transport of [DOCKER_TRANSPORT, ORAS_TRANSPORT] as const)
    if (s.startsWith(transport)) return { transport, rest: s.slice(transport.length) };
  return undefined;
}

/**
 * The ImageSource (owning its client) for `docker://HOST/REPO[:TAG|@DIGEST]`, or the same reference
 * spelled `oras://` (Apptainer's name for images stored as OCI artifacts: the same client reads
 * them). The reference's registry becomes a configured registry: the user named it.
 */
export async function registrySource(
  spec: string,
  opts: RegistrySourceOptions = {},
): Promise<VerifiedSource<RegistrySource>> {
  const parsed = registryTransportReference(spec);
  if (parsed === undefined)
    throw new RecipeError(
      'usage',
      `not a docker:// or oras:// reference: ${JSON.stringify(spec.slice(0, 200))}`,
    );
  const { transport, rest } = parsed;
  const ref = parseReference(rest);
  const registries = [...(opts.registries ?? [])];
  let cfg = registries.find((r) => r.host === ref.registry);
  if (!cfg) {
    cfg = registryEndpoint(ref.registry);
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
  return verifiedSource(new RegistrySource(client, ref, { ownsClient: true, transport }), {
    maxManifestBytes: client.settings.limits.manifestBytes,
  });
}
