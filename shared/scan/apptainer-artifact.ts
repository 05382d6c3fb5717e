/**
 * Apptainer / Singularity images and plain ORAS files in OCI registries: which manifests hold one,
 * and which of their layers is the file. `apptainer push image.sif oras://REGISTRY/REPO:TAG` stores the
 * SIF file as the one layer of an image manifest, in four shapes over the versions of Apptainer and
 * SingularityCE (OCI or Docker manifest media type; config `application/vnd.sylabs.sif.config.v1+json`
 * or `application/vnd.unknown.config.v1+json`; layer `application/vnd.sylabs.sif.layer.v1.sif` or the
 * legacy, misspelled `appliciation/vnd.sylabs.sif.layer.tar`). `oras push` stores any file the same
 * way, a squashfs among them, its layer typed as a tar, with `artifactType`
 * `application/vnd.unknown.artifact.v1` and the OCI empty config.
 *
 * Decided in this order, each step only when the ones before said nothing:
 *   1. `artifactType`: a SIF type says SIF; ORAS's generic one says nothing; any other names another
 *      kind of artifact (not one of ours);
 *   2. the config media type: Sylabs' SIF config says SIF; the generic ones (unknown, OCI empty) say
 *      nothing; an image config makes it a container image (not one of ours), any other type
 *      another kind of artifact;
 *   3. the layer's first bytes (scan-artifact.ts): `SIF_MAGIC` at 32, or the squashfs magic at 0.
 * The file is the one layer typed as a SIF file, else the manifest's only layer.
 */
import type { Descriptor } from '../content/descriptor.js';
import { MediaType } from '../content/media-types.js';
import type { ArtifactDescription } from './artifact.js';

export const SIF_CONFIG_MEDIA_TYPE = 'application/vnd.sylabs.sif.config.v1+json';
export const SIF_LAYER_MEDIA_TYPE = 'application/vnd.sylabs.sif.layer.v1.sif';
/** The layer type older Singularity wrote (sic), which `apptainer pull` still accepts. */
export const SIF_LAYER_LEGACY_MEDIA_TYPE = 'appliciation/vnd.sylabs.sif.layer.tar';
/** The config type of oras-go v1 (Apptainer 1.0 to 1.2) and of `oras push` without a config. */
export const UNKNOWN_CONFIG_MEDIA_TYPE = 'application/vnd.unknown.config.v1+json';
/** ORAS's default `artifactType` (image-spec 1.1 manifests). */
export const UNKNOWN_ARTIFACT_TYPE = 'application/vnd.unknown.artifact.v1';

const SIF_TYPES = new Set([SIF_CONFIG_MEDIA_TYPE, SIF_LAYER_MEDIA_TYPE]);
const SIF_LAYER_TYPES = new Set([SIF_LAYER_MEDIA_TYPE, SIF_LAYER_LEGACY_MEDIA_TYPE]);
const GENERIC_CONFIG_TYPES = new Set<string>([UNKNOWN_CONFIG_MEDIA_TYPE, MediaType.OciEmpty]);

/** The file formats read (shared/archive/sif, shared/archive/squashfs). */
export type ArtifactFormat = 'sif' | 'squashfs';

/** Which step decided the format. */
export type ClassifiedBy = 'artifactType' | 'config' | 'content';

/** What the manifest alone says about an artifact of ours. */
export type ApptainerClaim =
  | {
      kind: 'apptainer';
      /** The format the types name; null: the layer's first bytes decide. */
      format: ArtifactFormat | null;
      /** The step that named the format (`content` when none did). */
      by: ClassifiedBy;
      /** The layer holding the file. */
      layer: Descriptor;
      /** The artifact type shown in messages (`artifactType`, else the config media type). */
      type: string;
    }
  /** Typed as one of ours, but not something Apptainer could pull (no layer, several files). */
  | { kind: 'unreadable'; reason: string };

/** The manifest fields the decision reads. */
export interface ArtifactManifest {
  artifactType?: string;
  config: Descriptor;
  layers?: readonly Descriptor[];
}

/**
 * What the manifest says: an artifact of ours (with its layer), one typed as ours that cannot be
 * read, or undefined for anything else (a container image, another kind of artifact).
 */
export function apptainerClaim(m: ArtifactManifest): ApptainerClaim | undefined {
  let format: ArtifactFormat | null = null;
  let by: ClassifiedBy = 'content';
  const artifactType = m.artifactType ?? '';
  const configType = m.config.mediaType;
  if (SIF_TYPES.has(artifactType)) {
    format = 'sif';
    by = 'artifactType';
  } else if (artifactType !== '' && artifactType !== UNKNOWN_ARTIFACT_TYPE) {
    return undefined;
  } else if (configType === SIF_CONFIG_MEDIA_TYPE) {
    format = 'sif';
    by = 'config';
  } else if (!GENERIC_CONFIG_TYPES.has(configType)) {
    // An image config (a container image), or another kind of artifact's.
    return undefined;
  }
  const type = artifactType !== '' ? artifactType : configType;
  const layers = m.layers ?? [];
  const sif = layers.filter((l) => SIF_LAYER_TYPES.has(l.mediaType));
  if (sif.length > 1)
    return {
      kind: 'unreadable',
      reason: `an OCI artifact (${type}) with ${sif.length} SIF layers: Apptainer pulls only a manifest with one`,
    };
  const layer = sif[0] ?? (layers.length === 1 ? layers[0] : undefined);
  if (layer === undefined)
    return {
      kind: 'unreadable',
      reason:
        layers.length === 0
          ? `an OCI artifact (${type}) with no layer`
          : `an OCI artifact (${type}) with ${layers.length} layers, none of them typed as a SIF file: which one is the image is not recorded`,
    };
  return { kind: 'apptainer', format, by, layer, type };
}

/** `SIF_MAGIC\0` at offset 32 of a SIF file. */
const SIF_MAGIC = Buffer.from('SIF_MAGIC\0', 'latin1');
/** `hsqs` at offset 0 of a squashfs image (the little-endian magic 0x73717368). */
const SQUASHFS_MAGIC = Buffer.from('hsqs', 'latin1');

/** The format a file's first bytes show (at least 42 of them for a SIF file), or undefined. */
export function sniffFormat(head: Uint8Array): ArtifactFormat | undefined {
  const b = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  if (b.length >= 42 && b.subarray(32, 42).equals(SIF_MAGIC)) return 'sif';
  if (b.length >= 4 && b.subarray(0, 4).equals(SQUASHFS_MAGIC)) return 'squashfs';
  return undefined;
}

/** How the blob was read, and what it cost. */
export interface ArtifactRead {
  /**
   * `ranges`: byte ranges for the parse, and one separate streamed pass that hashes the blob.
   * `streamed`: the source does not serve ranges directly (a registry that ignores `Range`): streamed
   * passes, the first hashing the whole blob and keeping its head and tables, the next taking the
   * blocks the tables point to.
   */
  mode: 'ranges' | 'streamed';
  /** Range requests made (`ranges`), the first-bytes probe included. */
  requests: number;
  /** Passes over the blob (`streamed`: the hashing one included; `ranges`: the hashing one). */
  passes: number;
  /** Bytes taken from the blob for the parse: ranges with their read-ahead, or what passes kept and handed over. */
  bytesRead: number;
  /** Bytes hashed by the verifying pass: the blob's size when the result is verified. */
  bytesHashed: number;
  /** Every byte the source sent, ranges and passes together. */
  bytesTransferred: number;
}

/** An Apptainer image or squashfs pack read from a registry: the file's facts, and how it was read. */
export interface RegistryArtifact extends ArtifactDescription {
  /** The layer blob: the SIF or squashfs file. */
  layer: Descriptor;
  /** Which step of the decision named the format. */
  classifiedBy: ClassifiedBy;
  read: ArtifactRead;
}
