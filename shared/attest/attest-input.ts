/**
 * What every attestation document (CycloneDX, SPDX, SLSA) is made from: a recipe, the thing it was
 * recovered from (the subject), the scan time and the tool. The documents are pure functions of it,
 * so the API and the CLI print the same bytes for the same input (docs/sbom.md).
 */
import { RecipeError } from '../errors.js';
import type { Digest } from '../content/digest.js';
import type { Platform } from '../content/platform.js';
import { formatPlatform } from '../content/platform.js';
import type { Recipe } from '../guix/recipe.js';

/**
 * The parts of a Recipe the documents read. A profile's Recipe is one; so is a system's, which lists
 * packages and channels the same way: `kind` is only reported, never branched on except to name the
 * recipe's file and the rebuild command (recipe-rebuild.ts).
 */
export type AttestRecipe = Pick<Recipe, 'profile' | 'packages' | 'channels' | 'packagesWithoutProvenance'> & {
  kind: string;
  /** The (system) profile manifest's version; null for a system image without system profile. */
  manifestVersion?: number | null;
  /** A profile's recipe has `manifest`; a system's has `configuration` (recipe-rebuild.ts: recipeFile). */
  texts: { channels?: string; manifest?: string; configuration?: string };
};

/** What the recipe was recovered from. */
export interface AttestSubject {
  /**
   * `image`: `digest` is the image manifest's (one platform's manifest for an index).
   * `profile`: a profile on disk; `digest` is its `manifest` file's (there is no image).
   */
  kind: 'image' | 'profile';
  /**
   * What the documents call the subject: `registry/repository` for an image in a registry; the source
   * as opened otherwise (`docker-archive:/abs/image.tar.gz`, `oci:/abs/dir:tag`); for a profile, its
   * directory (links resolved) or, when only a manifest file was named, that file's path.
   */
  name: string;
  digest: Digest;
  /** The platform of this image in its index; absent for a single image and for profiles. */
  platform?: Platform;
  /** For an image in a registry: where it lives (gives the subject its `pkg:oci` package URL). */
  registry?: { registry: string; repository: string };
}

/** The tool that wrote the document (shared/package-info.ts). */
export interface AttestTool {
  name: string;
  version: string;
}

export interface AttestInput {
  recipe: AttestRecipe;
  subject: AttestSubject;
  /**
   * When the subject was scanned, as an ISO 8601 date-time. Every timestamp in the documents comes from
   * it (truncated to whole seconds, UTC), never from the clock.
   */
  scannedAt: string;
  tool: AttestTool;
}

/** The subject of an image in a registry: named `registry/repository`, as the API and `docker://` name it. */
export function registryImageSubject(image: {
  registry: string;
  repository: string;
  digest: Digest;
  platform?: Platform;
}): AttestSubject {
  const subject: AttestSubject = {
    kind: 'image',
    name: `${image.registry}/${image.repository}`,
    digest: image.digest,
    registry: { registry: image.registry, repository: image.repository },
  };
  if (image.platform) subject.platform = image.platform;
  return subject;
}

/**
 * `scannedAt` as the documents print it: `YYYY-MM-DDThh:mm:ssZ` (UTC, whole seconds: the form SPDX and
 * SLSA require, used by CycloneDX too). RecipeError `usage` for anything that is not a date-time in
 * years 0000-9999.
 */
export function documentTimestamp(scannedAt: string): string {
  const ms = Date.parse(scannedAt);
  const iso = Number.isNaN(ms) ? '' : new Date(ms).toISOString();
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(iso))
    throw new RecipeError(
      'usage',
      `not a date-time in years 0000-9999: ${JSON.stringify(scannedAt.slice(0, 80))}`,
    );
  return `${iso.slice(0, 19)}Z`;
}

/** `os/arch[/variant]` of the subject, when it is one platform of an index. */
export function subjectPlatform(subject: AttestSubject): string | undefined {
  return subject.platform ? formatPlatform(subject.platform) : undefined;
}

/** `sha256` and the hex of a digest (`sha256:<hex>`), as in-toto and the hash fields want them. */
export function splitDigest(digest: Digest): { algorithm: 'sha256' | 'sha512'; hex: string } {
  const colon = digest.indexOf(':');
  return { algorithm: digest.slice(0, colon) as 'sha256' | 'sha512', hex: digest.slice(colon + 1) };
}

/**
 * The sentence each document carries to say what it is: recovered from the subject after the fact, not
 * issued by whoever built it, and signed by nobody.
 */
export function recoveryNote(
  input: Pick<AttestInput, 'subject' | 'tool'> & { recipe?: Pick<AttestRecipe, 'kind'> },
): string {
  const from =
    input.recipe?.kind === 'system'
      ? "the Guix system's provenance files found in the image's layers"
      : input.subject.kind === 'image'
        ? "the Guix profile manifest found in the image's layers"
        : "the profile's manifest file";
  return (
    `Recovered by ${input.tool.name} ${input.tool.version} from ${from}, after the build: ` +
    'not issued or signed by the builder of the subject.'
  );
}
