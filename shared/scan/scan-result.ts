/**
 * What scanning one image yields. Failures are RecipeErrors (shared/errors.ts), never results.
 */
import type { Descriptor } from '../content/descriptor.js';
import type { Platform } from '../content/platform.js';
import type { Recipe } from '../guix/recipe.js';
import type { Rebuild } from './rebuild.js';
import type { RegistryArtifact } from './apptainer-artifact.js';

export type ScanResult =
  | {
      kind: 'recipe';
      platform?: Platform;
      /** The image manifest this result is for. */
      manifest: Descriptor;
      recipe: Recipe;
      /** Every byte that contributed was digest-checked (no early stop left a blob unverified). */
      verified: boolean;
      /** The `guix pack` command that makes the image again, with what the image cannot reveal. */
      rebuild: Rebuild;
      /** For an Apptainer image or squashfs pack stored as an OCI artifact: the file, and how it was read. */
      artifact?: RegistryArtifact;
    }
  | { kind: 'no-profile'; platform?: Platform; manifest: Descriptor; reason: string }
  | { kind: 'not-guix'; platform?: Platform; manifest: Descriptor; reason: string };

/** The scan of one top-level reference: an image, or an index with one result per platform. */
export interface ImageScan {
  /** The top-level manifest (image or index). */
  manifest: Descriptor;
  results: ScanResult[];
  /** Bytes read from blobs (compressed), for metrics and the layer-cache tests. */
  bytesRead: number;
  /**
   * Bytes hashed by verifying passes apart from the parse (artifacts read through byte ranges or
   * streamed passes); absent when every blob was hashed as it was parsed.
   */
  bytesHashed?: number;
}
