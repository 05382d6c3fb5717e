/**
 * How a recipe rebuilds its subject: the two files (`channels.scm`, and `manifest.scm` for a profile
 * or `configuration.scm` for a system) and the `guix` command over them. The CycloneDX formulation
 * and the SLSA build type both describe this one step.
 */
import type { AttestRecipe, AttestSubject } from './attest-input.js';

export const CHANNELS_FILE = 'channels.scm';
export const MANIFEST_FILE = 'manifest.scm';
export const CONFIGURATION_FILE = 'configuration.scm';

/**
 * The recipe's own file besides channels.scm: `manifest.scm` for a profile, `configuration.scm`
 * for a system. `text` is undefined when the recipe has none (a system image built without
 * --save-provenance).
 */
export function recipeFile(recipe: Pick<AttestRecipe, 'kind' | 'texts'>): {
  name: string;
  text: string | undefined;
} {
  return recipe.kind === 'system'
    ? { name: CONFIGURATION_FILE, text: recipe.texts.configuration }
    : { name: MANIFEST_FILE, text: recipe.texts.manifest };
}

/**
 * The command, run next to the two files:
 * - `guix time-machine -C channels.scm -- pack -f docker -m manifest.scm` for a profile found in an image
 *   (an image with the same profile; the pack options of the original, such as its entry point, are not
 *   recorded in the profile, so the image itself need not be byte-identical);
 * - `guix time-machine -C channels.scm -- package -m manifest.scm` for a profile on disk;
 * - `guix time-machine -C channels.scm -- system image -t docker --save-provenance configuration.scm`
 *   for a system (the `guix system image` it came from; a system without configuration.scm cannot be
 *   rebuilt, and its command says `system image -t docker` over a configuration.scm to be written);
 * - `guix time-machine -C channels.scm -- build -m manifest.scm` for other kinds of recipe (the packages).
 * Without channels (no provenance) there is nothing to travel to: the same command without
 * `time-machine -C channels.scm --`, with whatever Guix runs it.
 */
export function rebuildCommand(
  recipe: Pick<AttestRecipe, 'kind' | 'texts'>,
  subject: Pick<AttestSubject, 'kind'>,
): string {
  const guix = recipe.texts.channels === undefined ? 'guix' : `guix time-machine -C ${CHANNELS_FILE} --`;
  if (recipe.kind === 'system')
    return `${guix} system image -t docker${recipe.texts.configuration === undefined ? '' : ' --save-provenance'} ${CONFIGURATION_FILE}`;
  let action = 'build';
  if (recipe.kind === 'profile') action = subject.kind === 'image' ? 'pack -f docker' : 'package';
  return `${guix} ${action} -m ${MANIFEST_FILE}`;
}
