/**
 * What the service needs from registries, built from configuration: an ImageSource for an image
 * (credentials from configuration, never from job data), a tag resolved to the digest the
 * registry serves now (manifest HEAD), and the registry's listings (catalog, tags), paged. Only
 * configured registries are reachable.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { RecipeError, isRecipeError } from '../errors.js';
import type { ImageSource } from '../content/image-source.js';
import type { Digest } from '../content/digest.js';
import type { ImageRef, RepositoryName, TagRef } from '../oci/reference.js';
import type { ListPage, PageStart } from '../oci/registry/listing.js';
import { RegistryClient } from '../oci/registry/registry-client.js';
import { registryImageSource } from '../oci/sources/registry-source.js';
import type { ClientSettingsInput } from '../oci/registry/client-settings.js';
import {
  registryEndpoint,
  type EndpointTls,
  type RegistryEndpoint,
} from '../oci/registry/registry-endpoint.js';
import type { Config, RegistryConfig as ConfiguredRegistry } from './config-schema.js';

export interface RegistryAccess {
  /** The image `registry/repository@digest`, or `host-not-allowed` when the registry is not configured. */
  source(img: ImageRef): ImageSource;
  /** The digest `registry/repository:tag` points at now; `not-found` when the tag does not exist. */
  resolveTag(ref: TagRef, opts: { signal: AbortSignal }): Promise<Digest>;
  /** Whether the registry still serves the manifest `img` (a HEAD by digest; `not-found` is false). */
  manifestExists(img: ImageRef, opts: { signal: AbortSignal }): Promise<boolean>;
  /** One page of the registry's repositories (`/v2/_catalog`; many registries refuse it). */
  catalogPage(registry: string, start: PageStart, opts: { signal: AbortSignal }): Promise<ListPage>;
  /** One page of a repository's tags. */
  tagsPage(repo: RepositoryName, start: PageStart, opts: { signal: AbortSignal }): Promise<ListPage>;
  /** Release connections. */
  close(): Promise<void>;
}

/** Largest PEM file read for a registry's TLS (a CA bundle, a certificate, a key). */
const MAX_PEM_BYTES = 1024 * 1024;

/** A PEM file named in the configuration, read whole (capped); `usage` naming the field when it cannot be. */
function readPem(path: string, field: string): string {
  let text: string;
  try {
    // Non-blocking: a FIFO named here must not hang the start-up.
    const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      if (!fstatSync(fd).isFile()) throw new Error('not a regular file');
      const buf = Buffer.alloc(MAX_PEM_BYTES + 1);
      const n = readSync(fd, buf, 0, buf.length, 0);
      if (n > MAX_PEM_BYTES) throw new Error(`larger than ${MAX_PEM_BYTES} bytes`);
      text = buf.subarray(0, n).toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    throw new RecipeError('usage', `${field}: cannot read ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (!text.includes('-----BEGIN ')) throw new RecipeError('usage', `${field}: ${path} holds no PEM block`);
  return text;
}

/**
 * The registry client's view of a configured registry: scheme, TLS verification, credentials, a
 * bearer token, and its own TLS material (CA file, client certificate and key, read here).
 */
export function endpointOf(r: ConfiguredRegistry): RegistryEndpoint {
  const extra: Partial<Omit<RegistryEndpoint, 'host'>> = {
    scheme: r.insecure ? 'http' : 'https',
    tlsVerify: r.tls?.verify ?? true,
  };
  if (r.username !== undefined) extra.credentials = { username: r.username, password: r.password ?? '' };
  if (r.token !== undefined) extra.token = r.token;
  const tls = r.tls ?? { verify: true };
  if ((tls.certFile === undefined) !== (tls.keyFile === undefined))
    throw new RecipeError(
      'usage',
      `registries[${r.host}].tls: certFile and keyFile go together (a client certificate and its key)`,
    );
  const field = (name: string) => `registries[${r.host}].tls.${name}`;
  const material: EndpointTls = {};
  if (tls.caFile !== undefined) material.ca = readPem(tls.caFile, field('caFile'));
  if (tls.certFile !== undefined && tls.keyFile !== undefined) {
    material.cert = readPem(tls.certFile, field('certFile'));
    material.key = readPem(tls.keyFile, field('keyFile'));
  }
  if (material.ca !== undefined || material.cert !== undefined) extra.tls = material;
  return registryEndpoint(`${r.insecure ? 'http' : 'https'}://${r.host}`, extra);
}

/** Registry access for the service: one shared RegistryClient over the configured registries. */
export function createRegistryAccess(
  config: Pick<Config, 'registries'>,
  opts: { settings?: ClientSettingsInput } = {},
): RegistryAccess {
  const clientOpts: ConstructorParameters<typeof RegistryClient>[0] = {
    registries: config.registries.map(endpointOf),
  };
  if (opts.settings) clientOpts.settings = opts.settings;
  const client = new RegistryClient(clientOpts);
  return {
    source(img) {
      return registryImageSource(client, {
        registry: img.registry,
        repository: img.repository,
        digest: img.digest,
      });
    },
    async resolveTag(ref, { signal }) {
      const desc = await client.manifestHead(
        { registry: ref.registry, repository: ref.repository, tag: ref.tag },
        { signal },
      );
      return desc.digest;
    },
    async manifestExists(img, { signal }) {
      try {
        await client.manifestHead(img, { signal });
        return true;
      } catch (err) {
        if (isRecipeError(err, 'not-found')) return false;
        throw err;
      }
    },
    catalogPage: (registry, start, opts) => client.catalogPage(registry, start, opts),
    tagsPage: (repo, start, opts) => client.tagsPage(repo, start, opts),
    close: () => client.close(),
  };
}
