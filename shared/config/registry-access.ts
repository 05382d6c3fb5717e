/**
 * What the service needs from registries, built from configuration: an ImageSource for an image
 * (credentials from configuration, never from job data) and a tag resolved to the digest the
 * registry serves now (manifest HEAD). Only configured registries are reachable.
 */
import type { ImageSource } from '../content/image-source.js';
import type { Digest } from '../content/digest.js';
import type { ImageRef, TagRef } from '../oci/reference.js';
import { RegistryClient } from '../oci/registry/registry-client.js';
import { registryImageSource } from '../oci/sources/registry-source.js';
import type { ClientSettingsInput } from '../oci/registry/client-settings.js';
import {
  registryEndpoint,
  type RegistryEndpoint as ClientRegistryConfig,
} from '../oci/registry/registry-endpoint.js';
import type { Config, RegistryConfig as ConfiguredRegistry } from './config-schema.js';

export interface RegistryAccess {
  /** The image `registry/repository@digest`, or `host-not-allowed` when the registry is not configured. */
  source(img: ImageRef): ImageSource;
  /** The digest `registry/repository:tag` points at now; `not-found` when the tag does not exist. */
  resolveTag(ref: TagRef, opts: { signal: AbortSignal }): Promise<Digest>;
  /** Release connections. */
  close(): Promise<void>;
}

/** The registry client's view of a configured registry (scheme, TLS verification, credentials). */
export function clientRegistryConfig(r: ConfiguredRegistry): ClientRegistryConfig {
  const extra: Partial<Omit<ClientRegistryConfig, 'host'>> = {
    scheme: r.insecure ? 'http' : 'https',
    tlsVerify: r.tls?.verify ?? true,
  };
  if (r.username !== undefined) extra.credentials = { username: r.username, password: r.password ?? '' };
  return registryEndpoint(`${r.insecure ? 'http' : 'https'}://${r.host}`, extra);
}

/** Registry access for the service: one shared RegistryClient over the configured registries. */
export function createRegistryAccess(
  config: Pick<Config, 'registries'>,
  opts: { settings?: ClientSettingsInput } = {},
): RegistryAccess {
  const clientOpts: ConstructorParameters<typeof RegistryClient>[0] = {
    registries: config.registries.map(clientRegistryConfig),
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
    close: () => client.close(),
  };
}
