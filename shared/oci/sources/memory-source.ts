/**
 * An ImageSource over bytes in memory, for tests: blobs by digest, served through the same size and
 * digest checks as the real sources (so a blob stored under the wrong digest fails like it would).
 */
import type { Readable } from 'node:stream';
import { RecipeError } from '../../errors.js';
import { sha256Digest, type Digest } from '../../content/digest.js';
import { type Descriptor } from '../../content/descriptor.js';
import type { FetchOptions, ImageSource } from '../../content/image-source.js';
import { bytesStream, serveBlob } from './serve-blob.js';

export interface MemorySourceInit {
  name?: string;
  /** The top-level manifest (its descriptor's digest is what `manifest()` announces). */
  manifest: { descriptor: Descriptor; bytes: Uint8Array };
  /** Blobs (and child manifests) by the digest they are served under. */
  blobs: Map<string, Uint8Array>;
  /** Chunk size of served streams. Default 64 KiB. */
  chunkSize?: number;
}

export class MemorySource implements ImageSource {
  readonly name: string;
  /** Every fetch, in order (digests), for tests that count reads. */
  readonly fetched: Digest[] = [];

  constructor(private readonly init: MemorySourceInit) {
    this.name = init.name ?? `memory:${init.manifest.descriptor.digest}`;
  }

  async manifest(): Promise<{ descriptor: Descriptor; bytes: Uint8Array }> {
    return this.init.manifest;
  }

  async fetch(desc: Descriptor, opts: FetchOptions): Promise<Readable> {
    const bytes = this.init.blobs.get(desc.digest);
    if (bytes === undefined) throw new RecipeError('not-found', `${this.name}: no blob ${desc.digest}`);
    this.fetched.push(desc.digest);
    return serveBlob(
      bytesStream(bytes, opts, this.init.chunkSize),
      desc,
      opts,
      `${this.name} blob ${desc.digest}`,
    );
  }
}

/** A descriptor for bytes (sha256). */
export function describe(mediaType: string, bytes: Uint8Array): Descriptor {
  return { mediaType, digest: sha256Digest(bytes), size: bytes.length };
}
