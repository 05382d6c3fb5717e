/**
 * What is known about one image reference when a verdict is asked: the subject of `evaluate`. Either
 * the image has no stored recipe yet (never scanned, its scan queued or running, or its last scan
 * failed), or it is known: one entry per image manifest (one for a single image, one per platform of
 * an index), each a recipe, a Guix image without profile, or not a Guix image.
 */
import type { Recipe } from '../guix/recipe.js';
import { formatPlatform } from '../content/platform.js';
import type { ImageScan } from '../scan/scan-result.js';

/** Why no recipe is stored (the store's scan states, plus never scanned). */
export type UnscannedState = 'never-scanned' | 'queued' | 'running' | 'failed';

/** One image manifest of a known image. */
export type PlatformFacts =
  | {
      kind: 'recipe';
      /** `os/arch[/variant]` of an index entry; absent for a single image. */
      platform?: string;
      /** The image manifest's digest; absent for a local profile. */
      digest?: string;
      recipe: Recipe;
    }
  | { kind: 'no-profile' | 'not-guix'; platform?: string; digest?: string; reason: string };

export type Subject =
  | {
      known: false;
      state: UnscannedState;
      /** With `failed`: the last scan's error. */
      error?: { code: string; message: string };
    }
  | {
      known: true;
      /** The top-level manifest's digest (the index, for a multi-platform image). */
      digest?: string;
      platforms: PlatformFacts[];
    };

/** The subject for an image just scanned (every platform the scan read, in its order). */
export function subjectFromScan(scan: ImageScan): Subject {
  return {
    known: true,
    digest: scan.manifest.digest,
    platforms: scan.results.map((r): PlatformFacts => {
      const where = {
        ...(r.platform ? { platform: formatPlatform(r.platform) } : {}),
        digest: r.manifest.digest,
      };
      return r.kind === 'recipe'
        ? { kind: 'recipe', ...where, recipe: r.recipe }
        : { kind: r.kind, ...where, reason: r.reason };
    }),
  };
}

/** The subject for a recipe read from a local profile (no image, no digest). */
export function subjectFromRecipe(recipe: Recipe): Subject {
  return { known: true, platforms: [{ kind: 'recipe', recipe }] };
}
