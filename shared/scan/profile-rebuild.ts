/**
 * The rebuild command when only the profile is known: a `profile:` directory or manifest on disk (no
 * artifact at all), or a result stored before rebuild options were recorded. The command is the
 * pack command without any artifact option; every option an artifact would show is unknown, with
 * the reason given. What the profile itself shows is kept: provenance and `-R`.
 */
import type { Recipe } from '../guix/recipe.js';
import { packRelocation } from './pack-relocation.js';
import {
  makeRebuild,
  NO_GRAFTS_UNKNOWN,
  NO_PROVENANCE,
  type Rebuild,
  type RebuildOptions,
  type UnknownOption,
} from './rebuild.js';

/** The options only an artifact shows, as the command spells them. */
const ARTIFACT_OPTIONS = [
  '--entry-point',
  '--entry-point-argument',
  '-S',
  '--max-layers',
  '--image-tag',
  '--localstatedir',
  '-C',
  '--system',
] as const;

/**
 * A pack rebuild from the profile alone. `format`: the pack format when known (null: unknown, and
 * `-f` is listed); `why`: why the artifact options are unknown.
 */
export function profileRebuild(
  recipe: Pick<Recipe, 'channels' | 'packages'>,
  format: string | null,
  why: string,
): Rebuild {
  const provenance = recipe.channels.length > 0;
  const options: RebuildOptions = {};
  const unknown: UnknownOption[] = [];
  if (format === null) unknown.push({ option: '-f', reason: why });
  for (const option of ARTIFACT_OPTIONS) unknown.push({ option, reason: why });
  const reloc = packRelocation(recipe, []);
  if (reloc.unknown === undefined || reloc.relocatable !== null) options.relocatable = reloc.relocatable;
  if (reloc.unknown !== undefined) unknown.push(reloc.unknown);
  options.saveProvenance = provenance;
  if (!provenance) unknown.push(NO_PROVENANCE);
  unknown.push(NO_GRAFTS_UNKNOWN);
  return makeRebuild({ kind: 'pack', format, options, unknown });
}

/** Why a `profile:` source leaves the artifact options unknown. */
export const NO_ARTIFACT = 'a profile on disk is not a pack: the pack it went into, if any, is not at hand';

/** Why a result stored before rebuild options were recorded leaves them unknown. */
export const STORED_BEFORE_REBUILD =
  'the result was stored before rebuild options were recorded: scan the image again to recover them';
