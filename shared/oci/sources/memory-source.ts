/**
 * A raw image source over bytes in memory, for tests: blobs by digest, served as they are (a blob
 * stored under the wrong digest or size then fails in the VerifiedSource like it would from any
 * other source). `memorySource()` is the ImageSource over it.
 */
import { RecipeError } from '../../errors.js';
import { sha256Digest, type Digest } from '../../content/digest.js';
import { type Descriptor } from '../../content/descriptor.js';
import type { FetchOptions, RawBlob, RawImageSource, RawManifest } from '../../content/image-source.js';
import { verifiedSource, type VerifiedSource } from '../../content/verified-source.js';
import { bytesStream } from './bytes-stream.js';

export interface MemorySourceInit {
  name?: string;
  /** The top-level manifest (its descriptor's digest and media type are what `manifest()` announces). */
  manifest: { descriptor: Descriptor; bytes: Uint8Array };
  /** Blobs (and child manifests) by the digest they are served under. */
  blobs: Map<string, Uint8Array>;
  /** Chunk size of served streams. Default 64 KiB. */
  chunkSize?: number;
}

export class MemorySource implements RawImageSource {
  readonly name: string;
  /** Every fetch, in order (digests), for tests that count reads. */
  readonly fetched: Digest[] = [];

  constructor(private readonly init: MemorySourceInit) {
    this.name = init.name ?? `memory:${init.manifest.descriptor.digest}`;
  }

  async manifest(): Promise<RawManifest> {
    const { descriptor, bytes } = this.init.manifest;
    return { bytes, mediaType: descriptor.mediaType, digest: descriptor.digest, size: descriptor.size };
  }

  async fetch(desc: Descriptor, opts: FetchOptions): Promise<RawBlob> {
    const bytes = this.init.blobs.get(desc.digest);
    if (bytes === undefined) throw new RecipeError('not-found', `${this.name}: no blob ${desc.digest}`);
    this.fetched.push(desc.digest);
    return { stream: bytesStream(bytes, opts, this.init.chunkSize) };
  }
}

/** The ImageSource over a MemorySource. */
export function memorySource(init: MemorySourceInit): VerifiedSource<MemorySource> {
  return verifiedSource(new MemorySource(init));
}

/** A descriptor for bytes (sha256). */
export function describe(mediaType: string, bytes: Uint8Array): Descriptor {
  return { mediaType, digest: sha256Digest(bytes), size: bytes.length };
}
