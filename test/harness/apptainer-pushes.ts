/**
 * The pushes of every SIF and squashfs file of test/fixtures/apptainer, each in its manifest shape
 * (index.json names the shape of each fixture manifest, copied unchanged): the five fixture manifests
 * as given; the xz and zstd squashfs packs, which have none, in the ORAS shape of the gzip one (its
 * manifest with the layer swapped, field order kept); and shape D again with the legacy, misspelled
 * layer type older Singularity wrote. Each push uploads the `{}` config and the file.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MediaType } from '../../shared/content/media-types.js';
import { SIF_LAYER_LEGACY_MEDIA_TYPE, SIF_LAYER_MEDIA_TYPE } from '../../shared/scan/apptainer-artifact.js';
import { describeBytes, pushArtifact, type Digest } from './oras-push.js';

export const APPTAINER_DIR = 'test/fixtures/apptainer';
export const APPTAINER_REPO = 'guix/seed-python-numpy';
export const APPTAINER_CHANNELS = readFileSync(
  join(APPTAINER_DIR, 'seed-python-numpy/expected-channels.scm'),
  'utf8',
);
export const APPTAINER_PROFILE = '/gnu/store/3gv5kxr28h7b55vflyc0da0mvlm04c1d-profile';
const CONFIG = Buffer.from('{}');

interface IndexEntry {
  case: string;
  kind: 'sif' | 'plain-squashfs';
  tag: string;
  manifest_file: string;
  manifest_digest: Digest;
  manifest_content_type: string;
  manifest_shape: string;
  sif_file: string | null;
  squashfs_file: string;
}

/** One push: the tag, the manifest bytes and media type, the file, and what a scan should say. */
export interface ArtifactPush {
  tag: string;
  shape: string;
  manifest: Buffer;
  mediaType: string;
  /** The file, relative to APPTAINER_DIR. */
  file: string;
  format: 'sif' | 'squashfs';
  classifiedBy: 'artifactType' | 'config' | 'content';
  /** The digest index.json recorded, for the manifests copied unchanged. */
  expectedDigest?: Digest;
}

/** The ORAS shape of `template` with its layer swapped for `file`. */
function orasManifest(file: string, template: Buffer): Buffer {
  const m = JSON.parse(template.toString('utf8')) as {
    layers: { mediaType: string; digest: string; size: number; annotations: Record<string, string> }[];
  };
  const { digest, size } = describeBytes(readFileSync(join(APPTAINER_DIR, file)));
  m.layers[0] = {
    mediaType: m.layers[0]!.mediaType,
    digest,
    size,
    annotations: { 'org.opencontainers.image.title': file.slice(file.lastIndexOf('/') + 1) },
  };
  return Buffer.from(JSON.stringify(m));
}

function artifactPushes(): ArtifactPush[] {
  const index = JSON.parse(readFileSync(join(APPTAINER_DIR, 'index.json'), 'utf8')) as {
    fixtures: IndexEntry[];
  };
  const out: ArtifactPush[] = index.fixtures
    .filter((e) => e.case === 'seed-python-numpy')
    .map((e) => {
      const sif = e.kind === 'sif';
      return {
        tag: e.tag,
        shape: e.manifest_shape,
        manifest: readFileSync(join(APPTAINER_DIR, e.manifest_file)),
        mediaType: e.manifest_content_type,
        file: sif ? e.sif_file! : e.squashfs_file,
        format: sif ? 'sif' : 'squashfs',
        // Shapes A-C name Sylabs' SIF config; D's config and ORAS's are generic: the first bytes decide.
        classifiedBy: ['A', 'B', 'C'].includes(e.manifest_shape) ? 'config' : 'content',
        expectedDigest: e.manifest_digest,
      };
    });
  const oras = out.find((p) => p.shape === 'ORAS')!;
  for (const c of ['xz', 'zst']) {
    const file = `seed-python-numpy/squashfs/python-python-numpy-squashfs-pack.${c}.squashfs`;
    out.push({
      tag: `${c}-squashfs`,
      shape: 'ORAS',
      manifest: orasManifest(file, oras.manifest),
      mediaType: MediaType.OciManifest,
      file,
      format: 'squashfs',
      classifiedBy: 'content',
    });
  }
  const { expectedDigest: _, ...d } = out.find((p) => p.shape === 'D')!;
  out.push({
    ...d,
    tag: 'legacy-layer',
    shape: 'D, legacy layer type',
    manifest: Buffer.from(
      d.manifest.toString('utf8').replace(SIF_LAYER_MEDIA_TYPE, SIF_LAYER_LEGACY_MEDIA_TYPE),
    ),
  });
  return out;
}

export const APPTAINER_PUSHES: readonly ArtifactPush[] = artifactPushes();

/** Push one to `registryUrl` under APPTAINER_REPO; the digest the registry names. */
export function pushFixtureArtifact(registryUrl: string, p: ArtifactPush): Promise<Digest> {
  return pushArtifact(registryUrl, APPTAINER_REPO, p.tag, {
    manifest: p.manifest,
    mediaType: p.mediaType,
    blobs: [{ bytes: CONFIG }, { bytes: readFileSync(join(APPTAINER_DIR, p.file)) }],
  });
}
