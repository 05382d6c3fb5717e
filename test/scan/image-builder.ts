// Builds small images in memory for scan tests: layer tars packed with tar-stream, OCI manifests and
// indexes, served by MemorySource.
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { sha256Digest } from '../../shared/content/digest.js';
import { type Descriptor } from '../../shared/content/descriptor.js';
import { type Platform } from '../../shared/content/platform.js';
import { MediaType } from '../../shared/content/media-types.js';
import type { VerifiedSource } from '../../shared/content/verified-source.js';
import { memorySource, describe, type MemorySource } from '../../shared/oci/sources/memory-source.js';

export interface Member {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link';
  content?: string | Buffer;
  linkname?: string;
}

/** A tar with these members, in order. */
export async function tarOf(members: Member[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack as AsyncIterable<Buffer>) chunks.push(c);
  })();
  for (const m of members) {
    const type = m.type ?? 'file';
    const header = {
      name: m.name,
      type,
      mode: type === 'directory' ? 0o755 : 0o644,
      ...(m.linkname !== undefined && { linkname: m.linkname }),
    };
    await new Promise<void>((resolve, reject) => {
      if (type === 'file') pack.entry(header, m.content ?? '', (err) => (err ? reject(err) : resolve()));
      else pack.entry(header, (err) => (err ? reject(err) : resolve()));
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

export const PROFILE = '/gnu/store/3gv5kxr28h7b55vflyc0da0mvlm04c1d-profile';
export const PROFILE_DIR = PROFILE.slice(1);

export function guixConfig(profile = PROFILE, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    architecture: 'amd64',
    os: 'linux',
    config: { env: [`PATH=${profile}/bin`] },
    history: [{ created_by: 'guix pack -f docker', comment: 'guix pack' }],
    ...extra,
  };
}

export interface BuiltImage {
  manifest: { descriptor: Descriptor; bytes: Buffer };
  config: Descriptor;
  layers: Descriptor[];
  blobs: Map<string, Uint8Array>;
}

/** An OCI image: layers bottom first; each layer gzip'd unless `gzip: false`. */
export function imageOf(
  layers: Buffer[],
  config: Record<string, unknown>,
  opts: {
    gzip?: boolean;
    layerDescriptors?: (d: Descriptor, i: number) => Descriptor;
    manifestExtra?: Record<string, unknown>;
  } = {},
): BuiltImage {
  const blobs = new Map<string, Uint8Array>();
  const configBytes = Buffer.from(JSON.stringify(config));
  const configDesc = describe(MediaType.OciConfig, configBytes);
  blobs.set(configDesc.digest, configBytes);
  const layerDescs = layers.map((l, i) => {
    const bytes = opts.gzip === false ? l : gzipSync(l);
    const d = describe(opts.gzip === false ? MediaType.OciLayer : MediaType.OciLayerGzip, bytes);
    blobs.set(d.digest, bytes);
    return opts.layerDescriptors ? opts.layerDescriptors(d, i) : d;
  });
  const bytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: configDesc,
      layers: layerDescs,
      ...opts.manifestExtra,
    }),
  );
  const descriptor = describe(MediaType.OciManifest, bytes);
  blobs.set(descriptor.digest, bytes);
  return { manifest: { descriptor, bytes }, config: configDesc, layers: layerDescs, blobs };
}

export function sourceOf(img: BuiltImage, chunkSize?: number): VerifiedSource<MemorySource> {
  return memorySource({
    manifest: img.manifest,
    blobs: img.blobs,
    ...(chunkSize !== undefined && { chunkSize }),
  });
}

/** An OCI index over images, one platform each. */
export function indexOf(images: { image: BuiltImage; platform: Platform }[]): VerifiedSource<MemorySource> {
  const blobs = new Map<string, Uint8Array>();
  for (const { image } of images) for (const [k, v] of image.blobs) blobs.set(k, v);
  const bytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciIndex,
      manifests: images.map(({ image, platform }) => ({ ...image.manifest.descriptor, platform })),
    }),
  );
  const descriptor: Descriptor = {
    mediaType: MediaType.OciIndex,
    digest: sha256Digest(bytes),
    size: bytes.length,
  };
  return memorySource({ manifest: { descriptor, bytes }, blobs });
}

export function signal(ms = 60_000): AbortSignal {
  return AbortSignal.timeout(ms);
}
