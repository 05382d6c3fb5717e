/**
 * Is this image Guix-built? Decided from the manifest and config alone, before any layer is read, by a
 * chain of classifiers (the first that decides wins). OCI artifacts (an `artifactType`, or a config
 * media type that is not an image config) are recognised here: Apptainer images and squashfs packs
 * go to their reader (scan-artifact.ts), other artifacts are not Guix images.
 */
import { MediaType } from '../content/media-types.js';
import type { Descriptor } from '../content/descriptor.js';
import { pointsIntoStore, profileFromConfig, type ImageConfigInfo } from './find-profile.js';
import { apptainerClaim, type ApptainerClaim } from './apptainer-artifact.js';

export interface ClassifyInput {
  /** The image manifest's own media type, `artifactType`, config descriptor and layers. */
  manifest: { mediaType: string; artifactType?: string; config: Descriptor; layers?: readonly Descriptor[] };
  /** The parsed config, once read (undefined on the first pass, before reading it). */
  config?: ImageConfigInfo;
}

export type Classification =
  | { kind: 'guix'; profile: string | null; reason: string }
  | { kind: 'not-guix'; reason: string }
  /** An OCI artifact we have no reader for. */
  | { kind: 'artifact'; artifactType: string; reason: string }
  /** An Apptainer image or squashfs pack as an OCI artifact (apptainer-artifact.ts), read by scan-artifact.ts. */
  | (Extract<ApptainerClaim, { kind: 'apptainer' }> & { reason: string });

export interface ImageClassifier {
  readonly name: string;
  /** A decision, or undefined to let the next classifier (or a pass with the config) decide. */
  classify(input: ClassifyInput): Classification | undefined;
}

const IMAGE_CONFIG_TYPES = new Set<string>([MediaType.OciConfig, MediaType.DockerConfig]);

/**
 * Apptainer / Singularity images and squashfs packs pushed as OCI artifacts (`oras://`): decided from
 * `artifactType`, then the config media type, and, when both are generic, left to the layer's first
 * bytes (apptainer-artifact.ts). A manifest typed as one that Apptainer could not pull is `not-guix`.
 */
export const apptainerClassifier: ImageClassifier = {
  name: 'apptainer',
  classify({ manifest }) {
    const claim = apptainerClaim(manifest);
    if (claim === undefined) return undefined;
    if (claim.kind === 'unreadable') return { kind: 'not-guix', reason: claim.reason };
    const said =
      claim.format === null ? "its layer's first bytes decide" : `its ${claim.by} says ${claim.format}`;
    return { ...claim, reason: `an Apptainer / ORAS artifact (${claim.type}): ${said}` };
  },
};

/** OCI artifacts: recognised from the manifest alone, so their config is never parsed as an image's. */
export const artifactClassifier: ImageClassifier = {
  name: 'oci-artifact',
  classify({ manifest }) {
    const type =
      manifest.artifactType ??
      (IMAGE_CONFIG_TYPES.has(manifest.config.mediaType) ? undefined : manifest.config.mediaType);
    if (type === undefined) return undefined;
    return {
      kind: 'artifact',
      artifactType: type,
      reason: `an OCI artifact (${type}), not a container image: no reader for it yet`,
    };
  },
};

/** Guix: PATH or the entry point points into /gnu/store, or the history says `guix pack`. */
export const guixConfigClassifier: ImageClassifier = {
  name: 'guix-config',
  classify({ config }) {
    if (config === undefined) return undefined;
    const profile = profileFromConfig(config);
    if (profile !== null) return { kind: 'guix', profile, reason: `the config points to ${profile}` };
    if (pointsIntoStore(config))
      return { kind: 'guix', profile: null, reason: 'the config points into /gnu/store' };
    if (config.history.some((h) => /\bguix pack\b/.test(h.createdBy) || /\bguix pack\b/.test(h.comment)))
      return { kind: 'guix', profile: null, reason: 'the image history says guix pack' };
    return undefined;
  },
};

export const DEFAULT_CLASSIFIERS: readonly ImageClassifier[] = [
  apptainerClassifier,
  artifactClassifier,
  guixConfigClassifier,
];

/** Run the chain; undefined when nobody decided (on the first pass: read the config and run again). */
export function classify(
  input: ClassifyInput,
  classifiers = DEFAULT_CLASSIFIERS,
): Classification | undefined {
  for (const c of classifiers) {
    const r = c.classify(input);
    if (r !== undefined) return r;
  }
  return input.config === undefined
    ? undefined
    : { kind: 'not-guix', reason: 'the config neither points into /gnu/store nor names guix pack' };
}
