/**
 * The `guix pack -f squashfs` options a pack reveals, as a Rebuild (rebuild.ts). Guix's
 * `squashfs-image` (guix/scripts/pack.scm) writes the traces read here:
 *   - compression: `-C xz` / `-C zstd` (gzip is the default and not written);
 *   - `--entry-point=FILE`: `/.singularity.d/runscript` -> `<profile>/FILE`;
 *   - `-S SOURCE=TARGET`: a symlink SOURCE -> `<profile>/TARGET`. Guix adds `/bin=bin` itself when
 *     no `-S` names `/bin`; it is still written, which builds the same image and says what is there;
 *   - `--localstatedir`: `/var/guix`;
 *   - `-R` / `-RR`: the manifest's items are wrappers (pack-relocation.ts);
 *   - `--save-provenance`: the manifest records provenance (without it the rebuilt profile, and so
 *     the image, would differ).
 * Without provenance there is no channels.scm: the command is a plain `guix pack`, and the Guix
 * revision is among the unknowns.
 */
import type { Recipe } from '../guix/recipe.js';
import type { PackFacts, SquashfsFacts } from './artifact.js';
import { packRelocation } from './pack-relocation.js';
import {
  makeRebuild,
  NO_GRAFTS_UNKNOWN,
  NO_PROVENANCE,
  type Rebuild,
  type RebuildOptions,
  type UnknownOption,
} from './rebuild.js';

/** The rebuild command of a squashfs pack. `arch`: the SIF header's architecture, when there is one. */
export function squashfsPackRebuild(
  recipe: Pick<Recipe, 'channels' | 'packages'>,
  squashfs: Pick<SquashfsFacts, 'compression'>,
  pack: Pick<PackFacts, 'entryPoint' | 'symlinks' | 'localstatedir'>,
  arch?: string,
): Rebuild {
  const provenance = recipe.channels.length > 0;
  const unknown: UnknownOption[] = [];
  const options: RebuildOptions = {
    entryPoint: pack.entryPoint,
    symlinks: pack.symlinks.map((s) => ({ source: s.source, target: s.target })),
    localStateDir: pack.localstatedir,
  };
  const c = squashfs.compression;
  if (c === 'gzip' || c === 'xz' || c === 'zstd') options.compression = c;
  else unknown.push({ option: '-C', reason: `guix pack does not write ${c}-compressed squashfs images` });
  // A squashfs is one file system: what is not read of it is not known, so -RR stays unknown.
  const reloc = packRelocation(recipe, []);
  if (reloc.unknown === undefined || reloc.relocatable !== null) options.relocatable = reloc.relocatable;
  if (reloc.unknown !== undefined) unknown.push(reloc.unknown);
  options.saveProvenance = provenance;
  if (!provenance) unknown.push(NO_PROVENANCE);
  unknown.push({
    option: '--system',
    reason: `a squashfs does not record the system it was built for${arch !== undefined && arch !== 'unknown' ? ` (the SIF header says ${arch}, the machine that made the SIF)` : ''}`,
  });
  unknown.push(NO_GRAFTS_UNKNOWN);
  return makeRebuild({ kind: 'pack', format: 'squashfs', options, unknown });
}
