/**
 * The only thing a scan needs from where an image lives, in two layers:
 *
 * - `RawImageSource`: what each place implements (a registry, a docker-archive, an oci-archive, an
 *   OCI layout directory, memory for tests; shared/oci/sources/*): manifest bytes as found, blob
 *   streams as found, byte ranges. It checks nothing it does not know better than anyone else
 *   (a file's size, what an HTTP answer announces) and hashes nothing.
 * - `ImageSource`: a raw source behind the one wrapper (verified-source.ts) that enforces size,
 *   digest and range lengths for every source alike. The scan, the CLI and the workers only ever see
 *   this, and trust it: each byte of each blob is hashed exactly once, there.
 */
import type { Readable } from 'node:stream';
import type { Descriptor } from './descriptor.js';
import type { Digest } from './digest.js';
import type { Compression } from './media-types.js';

export interface FetchOptions {
  signal: AbortSignal;
  /**
   * Inclusive byte range of the blob, for formats that need random access (squashfs in SIF).
   * A ranged read is not digest-verified (only its length is): check the whole blob in a separate pass.
   */
  range?: { start: number; end: number };
  /**
   * With `range`: told once, before the first byte, how the source serves it: `direct` (only the
   * range is read: a file, an HTTP 206) or `from-start` (the source reads the blob from its start and
   * cuts the range out: a registry that ignored `Range`, a compressed archive). A source that never
   * calls it serves ranges directly.
   */
  onRangeServed?: (how: RangeService) => void;
}

/** How a source serves a byte range (FetchOptions.onRangeServed). */
export type RangeService = 'direct' | 'from-start';

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
  /**
   * The top-level manifest (index or image), size-capped and digest-verified. `descriptor.mediaType`
   * is what the source announced ('' when it announced nothing: the parsed manifest then says).
   */
  manifest(opts: { signal: AbortSignal }): Promise<{ descriptor: Descriptor; bytes: Uint8Array }>;
  /**
   * A manifest or blob by descriptor, as a stream of its raw (still compressed) bytes. The stream
   * errors at its end with a `digest-mismatch` / `truncated` RecipeError when size or digest differ,
   * and never yields more than `desc.size` bytes. A ranged read yields exactly the range or fails.
   */
  fetch(desc: Descriptor, opts: FetchOptions): Promise<Readable>;
  /** The archive's own layout, for a docker-archive file only (an optional capability). */
  dockerArchive?(): DockerArchiveLayout | undefined;
  /** Release files and connections. Optional. */
  close?(): Promise<void>;
}

/** The top-level manifest as a raw source found it. */
export interface RawManifest {
  bytes: Uint8Array;
  /** The media type the source announces (a Content-Type, an index entry's), '' when none. */
  mediaType: string;
  /**
   * The digest the bytes must have: the one asked for, or the one the source claims
   * (`Docker-Content-Digest`, an index entry's). Absent: the source knows none (a tag without the
   * header, a manifest the source wrote itself), and the sha256 of the bytes is their digest.
   */
  digest?: Digest;
  /** The size the source claims (an index entry's); checked when present. */
  size?: number;
  /** Annotations the source keeps beside the manifest (an OCI layout's index entry: its ref name). */
  annotations?: Record<string, string>;
  /**
   * The source wrote these bytes and computed `digest` from them itself (a docker-archive's
   * synthesised manifest): they are not hashed again.
   */
  hashed?: boolean;
}

/** A blob as a raw source serves it. */
export interface RawBlob {
  /**
   * The blob's bytes, or exactly the range asked for. Destroying it releases the file or connection.
   * The errors it emits are RecipeErrors, or are made so by `mapError`.
   */
  stream: Readable;
  /**
   * Turns what `stream` emits into one RecipeError (an HTTP body that breaks off is `truncated`), so
   * a body can be handed on as it is, without a pass-through stream to translate its errors.
   */
  mapError?: (err: unknown) => Error;
  /**
   * What the source knows before the first byte (a file's size; `Content-Length` and
   * `Docker-Content-Digest` of a whole read): each that disagrees with the descriptor refuses the
   * read at once with `digest-mismatch`.
   */
  announced?: { size?: number; digest?: string };
  /**
   * The source itself computed `desc.digest` from these very bytes before (a docker-archive hashes
   * its members while indexing, and its descriptors are those hashes): they are counted and capped,
   * not hashed again. The source's contract comment says what that trusts.
   */
  hashed?: boolean;
}

/** What each place an image lives implements; see the file comment. */
export interface RawImageSource {
  readonly name: string;
  manifest(opts: { signal: AbortSignal }): Promise<RawManifest>;
  /**
   * A blob (or a child manifest) by descriptor. A range is already checked to lie inside
   * `0..desc.size-1` when this is called.
   */
  fetch(desc: Descriptor, opts: FetchOptions): Promise<RawBlob>;
  /** The archive's own layout, for a docker-archive file only (an optional capability). */
  dockerArchive?(): DockerArchiveLayout;
  close?(): Promise<void>;
}
