/**
 * The only thing a scan needs from where an image lives.
 *
 * Implementations: a registry (shared/oci/sources/registry-source.ts), a docker-archive, an
 * oci-archive, an OCI layout directory (shared/oci/sources/*), and memory (tests). Workers and the CLI
 * depend on this interface only.
 */
import type { Readable } from 'node:stream';
import type { Descriptor } from './descriptor.js';

export interface FetchOptions {
  signal: AbortSignal;
  /**
   * Inclusive byte range of the blob, for formats that need random access (squashfs in SIF).
   * A ranged read is not digest-verified: check the whole blob in a separate pass.
   */
  range?: { start: number; end: number };
}

export interface ImageSource {
  /** A short, credential-free name for logs and results, e.g. `docker://host/repo@sha256:...`. */
  readonly name: string;
  /** The top-level manifest (index or image), digest-verified. */
  manifest(opts: { signal: AbortSignal }): Promise<{ descriptor: Descriptor; bytes: Uint8Array }>;
  /**
   * A manifest or blob by descriptor, as a stream of its raw (still compressed) bytes. The stream
   * errors at its end with a `digest-mismatch` / `truncated` RecipeError when size or digest differ,
   * and never yields more than `desc.size` bytes.
   */
  fetch(desc: Descriptor, opts: FetchOptions): Promise<Readable>;
  /** Release files and connections. Optional. */
  close?(): Promise<void>;
}
