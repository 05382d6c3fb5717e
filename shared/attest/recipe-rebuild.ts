/**
 * How a recipe rebuilds its subject: the two files (`channels.scm`, `manifest.scm`) and the `guix`
 * command over them. The CycloneDX formulation and the SLSA build type both describe this one step.
 */
import type { AttestRecipe, AttestSubject } from './attest-input.js';

export const CHANNELS_FILE = 'channels.scm';
export const MANIFEST_FILE = 'manifest.scm';

/**
 * The command, run next to the two files:
 * - `guix time-machine -C channels.scm -- pack -f docker -m manifest.scm` for a profile found in an image
 *   (an image with the same profile; the pack options of the original, such as its entry point, are not
 *   recorded in the profile, so the image itself need not be byte-identical);
 * - `guix time-machine -C channels.scm -- package -m manifest.scm` for a profile on disk;
 * - `guix time-machine -C channels.scm -- build -m manifest.scm` for other kinds of recipe (the packages).
 * Without channels (no provenance) there is nothing to travel to: the same command without
 * `time-machine -C channels.scm --`, with whatever Guix runs it.
 */
export function rebuildCommand(
  recipe: Pick<AttestRecipe, 'kind' | 'texts'>,
  subject: Pick<AttestSubject, 'kind'>,
): string {
  const guix = recipe.texts.channels === undefined ? 'guix' : `guix time-machine -C ${CHANNELS_FILE} --`;
  let action = 'build';
  if (recipe.kind === 'profile') action = subject.kind === 'image' ? 'pack -f docker' : 'package';
  return `${guix} ${action} -m ${MANIFEST_FILE}`;
}
