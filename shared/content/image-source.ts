/**
 * The only thing a scan needs from where an image lives.
 *
 * Implementations: a registry (shared/oci/sources/registry-source.ts), a docker-archive, an
 * oci-archive, an OCI layout directory (shared/oci/sources/*), and memory (tests). Workers and the CLI
 * depend on this interface only.
 */
import type { Readable } from 'node:stream';
import type { Descriptor } from './descriptor.js';
import type { Compression } from './media-types.js';

export interface FetchOptions {
  signal: AbortSignal;
  /**
   * Inclusive byte range of the blob, for formats that need random access (squashfs in SIF).
   * A ranged read is not digest-verified: check the whole blob in a separate pass.
   */
  range?: { start: number; end: number };
}

/**
 * How a docker-archive file holds its image, as its `manifest.json` says. `guix pack -f docker` writes
 * `config.json`, one `<id>/layer.tar` (or `sha256:<diff-id>/layer.tar` per layer with
 * `--max-layers`) and the tag `<name>:latest`; `docker save` and `skopeo` write other names. What a
 * registry serves keeps none of this.
 */
export interface DockerArchiveLayout {
  /** How the whole file is compressed (its magic number): `guix pack -C`. */
  compression: Compression;
  /** `manifest.json`'s `Config` of the image read. */
  config: string;
  /** `manifest.json`'s `Layers`, bottom first. */
  layers: string[];
  /** `manifest.json`'s `RepoTags` ([] when none). */
  repoTags: string[];
  /** Whether the archive has a `repositories` file. */
  repositories: boolean;
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
  /** The archive's own layout, for a docker-archive file only (an optional capability). */
  dockerArchive?(): DockerArchiveLayout;
  /** Release files and connections. Optional. */
  close?(): Promise<void>;
}
