/**
 * Writes a multi-platform image as an OCI layout directory (what `oci:DIR:REF` reads): an index with
 * one image per platform, each a Guix profile manifest in a layer, or an image that is not Guix.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { digestHex, sha256Digest } from '../../shared/content/digest.js';
import { type Platform } from '../../shared/content/platform.js';
import { MediaType } from '../../shared/content/media-types.js';
import { guixConfig, imageOf, PROFILE, PROFILE_DIR, tarOf, type BuiltImage } from '../scan/image-builder.js';

export type LayoutEntry =
  { platform: Platform; profileManifest: string } | { platform: Platform; notGuix: true };

/** Write the layout into `dir` (created); returns the source `oci:DIR:REF`. */
export async function writeOciIndexLayout(
  dir: string,
  entries: LayoutEntry[],
  ref = 'multi',
): Promise<string> {
  mkdirSync(join(dir, 'blobs/sha256'), { recursive: true });
  const put = (bytes: Uint8Array) =>
    writeFileSync(join(dir, 'blobs/sha256', digestHex(sha256Digest(bytes))), bytes);
  const images: [BuiltImage, Platform][] = [];
  for (const e of entries) {
    const arch = { architecture: e.platform.architecture, os: e.platform.os };
    const image =
      'profileManifest' in e
        ? imageOf(
            [await tarOf([{ name: `${PROFILE_DIR}/manifest`, content: e.profileManifest }])],
            guixConfig(PROFILE, arch),
          )
        : imageOf([await tarOf([{ name: 'etc/debian_version', content: '12.5\n' }])], {
            ...arch,
            config: { Env: ['PATH=/usr/local/bin:/usr/bin:/bin'] },
            history: [{ created_by: '/bin/sh -c #(nop) ADD file:debian in /' }],
          });
    images.push([image, e.platform]);
    for (const b of image.blobs.values()) put(b);
  }
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciIndex,
      manifests: images.map(([img, platform]) => ({ ...img.manifest.descriptor, platform })),
    }),
  );
  put(index);
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: MediaType.OciIndex,
          digest: sha256Digest(index),
          size: index.length,
          annotations: { 'org.opencontainers.image.ref.name': ref },
        },
      ],
    }),
  );
  return `oci:${dir}:${ref}`;
}
