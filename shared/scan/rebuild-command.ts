/**
 * The `guix pack -f squashfs` command line that rebuilds a pack, from what the image shows. Guix's
 * `squashfs-image` (guix/scripts/pack.scm) writes the traces read here:
 *   - compression: `-C xz` / `-C zstd` (gzip is the default and not written);
 *   - `--entry-point=FILE`: `/.singularity.d/runscript` -> `<profile>/FILE`;
 *   - `-S SOURCE=TARGET`: a symlink SOURCE -> `<profile>/TARGET`. Guix adds `/bin=bin` itself when
 *     no `-S` names `/bin`; it is still written, which builds the same image and says what is there;
 *   - `--localstatedir`: `/var/guix`;
 *   - `--save-provenance`: the manifest records provenance (without it the rebuilt profile, and so
 *     the image, would differ).
 * Without provenance there is no channels.scm: the command is a plain `guix pack`, and the Guix
 * revision is among the unknowns.
 */
import type { Recipe } from '../guix/recipe.js';
import type { PackFacts, RebuildCommand, SquashfsFacts } from './artifact.js';

/** The rebuild command of a pack. `arch`: the SIF header's architecture, when there is one. */
export function rebuildCommand(
  recipe: Pick<Recipe, 'channels'>,
  squashfs: Pick<SquashfsFacts, 'compression'>,
  pack: Pick<PackFacts, 'entryPoint' | 'symlinks' | 'localstatedir'>,
  arch?: string,
): RebuildCommand {
  const provenance = recipe.channels.length > 0;
  const command = provenance
    ? ['guix', 'time-machine', '-C', 'channels.scm', '--', 'pack', '-f', 'squashfs']
    : ['guix', 'pack', '-f', 'squashfs'];
  if (squashfs.compression !== 'gzip') command.push('-C', squashfs.compression);
  if (pack.entryPoint !== null) command.push(`--entry-point=${pack.entryPoint}`);
  for (const s of pack.symlinks) command.push('-S', `${s.source}=${s.target}`);
  if (pack.localstatedir) command.push('--localstatedir');
  if (provenance) command.push('--save-provenance');
  command.push('-m', 'manifest.scm');
  const unknown: string[] = [];
  if (!provenance)
    unknown.push('the Guix revision: the profile records no provenance, so there is no channels.scm');
  unknown.push(
    `--system / --target: a squashfs does not record the system it was built for${arch !== undefined && arch !== 'unknown' ? ` (the SIF header says ${arch})` : ''}`,
  );
  unknown.push('--no-grafts: grafting leaves no trace in the profile manifest');
  unknown.push('--relocatable: not recorded in the image');
  return { command, text: command.map(shellQuote).join(' '), unknown };
}

/** One word for a POSIX shell: as is when safe, else single-quoted. */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}
