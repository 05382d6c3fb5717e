/**
 * What the service needs from registries, built from configuration: an ImageSource for an image
 * (credentials from configuration, never from job data) and a tag resolved to the digest the
 * registry serves now (manifest HEAD). Only configured registries are reachable.
 */
import type { ImageSource } from '../oci/image-source.js';
import type { Digest } from '../oci/descriptor.js';

export interface ImageCoordinates {
  registry: string;
  repository: string;
  digest: Digest;
}

export interface RegistryAccess {
  /** The image `registry/repository@digest`, or `host-not-allowed` when the registry is not configured. */
  source(img: ImageCoordinates): ImageSource;
  /** The digest `registry/repository:tag` points at now; `not-found` when the tag does not exist. */
  resolveTag(
    ref: { registry: string; repository: string; tag: string },
    opts: { signal: AbortSignal },
  ): Promise<Digest>;
  /** Release connections. */
  close(): Promise<void>;
}
