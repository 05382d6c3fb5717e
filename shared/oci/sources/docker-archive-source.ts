/**
 * `docker-archive:PATH`: a tar or tar.gz as `guix pack -f docker` (or `docker save`, `skopeo copy`)
 * writes it: `manifest.json` with `Config` and `Layers` (`<id>/layer.tar`, `sha256:<hex>/layer.tar`,
 * `blobs/sha256/<hex>`, with or without `./`). It is served as an OCI image whose descriptors we
 * synthesise: each layer's digest is the sha256 of the member as stored, its media type says tar,
 * tar+gzip or tar+zstd from its magic number. Read in place, streamed (tar-archive.ts). The archive's
 * own layout (compression, member names, tags) is kept for the rebuild command (`dockerArchive()`).
 *
 * Contract (hashing): the one pass that indexes the archive hashes every member, and those hashes
 * ARE the digests of the config and layer descriptors; the synthesised manifest is hashed once when
 * it is written. So every blob of this source is served `hashed`: its bytes are counted and held to
 * their size, not hashed a second time. What that trusts: the file does not change between
 * `openDockerArchive` and the reads (a member rewritten in place with the same length would go
 * unnoticed). The archive is a local file the caller named; hashing each layer twice would double
 * the cost of every layer read, and of a gzipped archive's re-inflation.
 */
import { RecipeError } from '../../errors.js';
import { sha256Digest, type Digest } from '../../content/digest.js';
import { type Descriptor } from '../../content/descriptor.js';
import type {
  DockerArchiveLayout,
  FetchOptions,
  RawBlob,
  RawImageSource,
  RawManifest,
} from '../../content/image-source.js';
import { MediaType } from '../../content/media-types.js';
import { verifiedSource, type VerifiedSource } from '../../content/verified-source.js';
import { TarArchive, type ArchiveMember } from '../../archive/tar-archive.js';
import { bytesStream } from './bytes-stream.js';

export interface DockerArchiveOptions {
  signal: AbortSignal;
  /** Which image of a multi-image archive, by one of its RepoTags. Default: the first. */
  ref?: string;
  /** Largest manifest.json / config accepted. Default 4 MiB. */
  maxJsonBytes?: number;
  /** Most archive members. Default 100,000. */
  maxMembers?: number;
}

interface ArchiveImage {
  Config: string;
  RepoTags?: string[];
  Layers: string[];
}

interface Held {
  descriptor: Descriptor;
  bytes: Uint8Array;
}

export class DockerArchiveSource implements RawImageSource {
  readonly name: string;
  readonly #archive: TarArchive;
  readonly #manifest: Held;
  readonly #config: Held;
  readonly #layers: Map<Digest, ArchiveMember>;
  readonly #layout: DockerArchiveLayout;

  /** Use openDockerArchive. */
  constructor(
    name: string,
    archive: TarArchive,
    manifest: Held,
    config: Held,
    layers: Map<Digest, ArchiveMember>,
    layout: DockerArchiveLayout,
  ) {
    this.name = name;
    this.#archive = archive;
    this.#manifest = manifest;
    this.#config = config;
    this.#layers = layers;
    this.#layout = layout;
  }

  dockerArchive(): DockerArchiveLayout {
    return { ...this.#layout, layers: [...this.#layout.layers], repoTags: [...this.#layout.repoTags] };
  }

  async manifest(): Promise<RawManifest> {
    const { descriptor, bytes } = this.#manifest;
    return { bytes, mediaType: descriptor.mediaType, digest: descriptor.digest, hashed: true };
  }

  async fetch(desc: Descriptor, opts: FetchOptions): Promise<RawBlob> {
    for (const held of [this.#manifest, this.#config]) {
      if (held.descriptor.digest === desc.digest)
        return {
          stream: bytesStream(held.bytes, opts),
          announced: { size: held.bytes.length },
          hashed: true,
        };
    }
    const m = this.#layers.get(desc.digest);
    if (m === undefined)
      throw new RecipeError('not-found', `${this.name} blob ${desc.digest}: not in the archive`);
    return { stream: this.#archive.openMember(m, opts), announced: { size: m.size }, hashed: true };
  }
}

function layerMediaType(head: Buffer): string {
  if (head[0] === 0x1f && head[1] === 0x8b) return MediaType.OciLayerGzip;
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd)
    return MediaType.OciLayerZstd;
  return MediaType.OciLayer;
}

function parseArchiveManifest(bytes: Buffer, path: string): ArchiveImage[] {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new RecipeError('invalid-image', `${path}: manifest.json is not JSON`, { cause: err });
  }
  const ok =
    Array.isArray(json) &&
    json.every(
      (x) =>
        x !== null &&
        typeof x === 'object' &&
        typeof (x as ArchiveImage).Config === 'string' &&
        Array.isArray((x as ArchiveImage).Layers) &&
        (x as ArchiveImage).Layers.every((l) => typeof l === 'string') &&
        ((x as ArchiveImage).RepoTags === undefined ||
          (x as ArchiveImage).RepoTags === null ||
          (Array.isArray((x as ArchiveImage).RepoTags) &&
            (x as ArchiveImage).RepoTags!.every((t) => typeof t === 'string'))),
    );
  if (!ok || (json as unknown[]).length === 0)
    throw new RecipeError('invalid-image', `${path}: manifest.json is not a list of {Config, Layers}`);
  return json as ArchiveImage[];
}

/** Index the archive at `path` and synthesise its OCI manifest. */
export async function openDockerArchive(
  path: string,
  opts: DockerArchiveOptions,
): Promise<VerifiedSource<DockerArchiveSource>> {
  const maxJson = opts.maxJsonBytes ?? 4 * 1024 * 1024;
  const archive = await TarArchive.open(path, {
    signal: opts.signal,
    hash: true,
    ...(opts.maxMembers !== undefined && { maxMembers: opts.maxMembers }),
  });
  const mm = archive.member('manifest.json');
  if (mm === undefined)
    throw new RecipeError('invalid-image', `${path}: not a docker-archive (no manifest.json)`);
  const images = parseArchiveManifest(await archive.readMember(mm, maxJson, opts.signal), path);
  const image = opts.ref === undefined ? images[0] : images.find((i) => i.RepoTags?.includes(opts.ref!));
  if (image === undefined)
    throw new RecipeError('not-found', `${path}: no image tagged ${opts.ref ?? ''} in the archive`, {
      details: { tags: images.flatMap((i) => i.RepoTags ?? []) },
    });
  const cm = archive.member(image.Config);
  if (cm === undefined) throw new RecipeError('invalid-image', `${path}: config ${image.Config} is missing`);
  if (cm.digest === undefined)
    throw new RecipeError('internal', `${path}: the archive was indexed without hashes`);
  const configBytes = await archive.readMember(cm, maxJson, opts.signal);
  const config: Held = {
    descriptor: { mediaType: MediaType.OciConfig, digest: cm.digest, size: configBytes.length },
    bytes: configBytes,
  };
  const layers = new Map<Digest, ArchiveMember>();
  const layerDescs: Descriptor[] = image.Layers.map((name) => {
    const m = archive.member(name);
    if (m?.digest === undefined) throw new RecipeError('invalid-image', `${path}: layer ${name} is missing`);
    layers.set(m.digest, m);
    return { mediaType: layerMediaType(m.head), digest: m.digest, size: m.size };
  });
  const manifestBytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: config.descriptor,
      layers: layerDescs,
    }),
  );
  const manifest: Held = {
    descriptor: {
      mediaType: MediaType.OciManifest,
      digest: sha256Digest(manifestBytes),
      size: manifestBytes.length,
    },
    bytes: manifestBytes,
  };
  const layout: DockerArchiveLayout = {
    compression: archive.compression,
    config: image.Config,
    layers: [...image.Layers],
    repoTags: [...(image.RepoTags ?? [])],
    repositories: archive.member('repositories') !== undefined,
  };
  return verifiedSource(
    new DockerArchiveSource(`docker-archive:${path}`, archive, manifest, config, layers, layout),
    { maxManifestBytes: maxJson },
  );
}
