/**
 * `inspect`'s default output: a short report for people (what the profile holds, where its channels
 * point, what is missing). Not a stable format: scripts use `--output json|channels|manifest`.
 * Every value is passed through `printable`: names and URLs come from the image.
 */
import type { Recipe, RecipeChannel, RecipePackage, SystemRecipe } from '../../shared/guix/recipe.js';
import { SYSTEM_WITHOUT_PROVENANCE } from '../../shared/guix/recipe-texts.js';
import type { Rebuild } from '../../shared/scan/rebuild.js';
import { packageSpec } from '../../shared/guix/build-recipe.js';
import { printable } from './terminal-text.js';

/** Extra lines about the image a recipe came from (absent for `profile:`). */
export interface ImageFacts {
  source: string;
  digest: string;
  platform?: string;
  verified: boolean;
  /** For an Apptainer image or squashfs pack stored as an OCI artifact: what was read, and how. */
  artifact?: string;
}

/** One line of the report; `value` may hold data from the image, hence `printable`. */
function row(label: string, value: string): string {
  return `${label.padEnd(10)} ${printable(value)}\n`;
}

function continuation(value: string): string {
  return row('', value);
}

/** The summary text of a recipe; it ends with the rebuild command, when one is given. */
export function formatSummary(recipe: Recipe, image?: ImageFacts, rebuild?: Rebuild): string {
  let out = '';
  if (image) {
    out += row('image', `${image.source}`);
    out += row('digest', image.digest);
    if (image.platform !== undefined) out += row('platform', image.platform);
    out += row(
      'verified',
      image.verified ? 'yes: every byte read was digest-checked' : 'NO: some bytes were not digest-checked',
    );
    if (image.artifact !== undefined) out += row('artifact', image.artifact);
  }
  if (recipe.kind === 'system') out += systemRows(recipe);
  else {
    out += row('profile', recipe.profile ?? '(unknown store path)');
    out += row(
      'manifest',
      `format version ${recipe.manifestVersion}, ${recipe.packages.length} top-level package${recipe.packages.length === 1 ? '' : 's'}`,
    );
    if (recipe.channels.length === 0) {
      out += row(
        'channels',
        'none: no provenance information for this profile (built without --save-provenance?)',
      );
    } else out += channelRows(recipe.channels);
  }
  recipe.packages.forEach((p, i) => {
    const text = packageText(p, recipe.kind === 'profile');
    out += i === 0 ? row('packages', text) : continuation(text);
  });
  if (recipe.packages.length === 0) out += row('packages', '(none)');
  if (rebuild !== undefined) {
    if (rebuild.unknown.length > 0) out += row('not known', rebuild.unknown.map((u) => u.option).join(' '));
    out += row('rebuild', rebuild.text);
  }
  return out;
}

function channelRows(channels: readonly RecipeChannel[]): string {
  let out = '';
  channels.forEach((c, i) => {
    const others = c.commits.length - 1;
    const text = `${c.name} ${c.url} ${c.commit ?? '(no commit)'}${others > 0 ? ` (+${others} other commit${others === 1 ? '' : 's'})` : ''}${c.introduction === null ? ' (no introduction)' : ''}`;
    out += i === 0 ? row('channels', text) : continuation(text);
  });
  return out;
}

/** One package; a system's take the system's channels, so their provenance is not repeated. */
function packageText(p: RecipePackage, notes: boolean): string {
  const n: string[] = [];
  if (p.transformations.length > 0)
    n.push(p.transformations.map((t) => `--${t.option}=${t.value}`).join(' '));
  if (p.transformationsSexp !== undefined) n.push(`transformations '${p.transformationsSexp}`);
  if (notes && p.channels.length === 0) n.push('no provenance');
  const extra = notes ? p.channels.find((c) => c.name !== 'guix') : undefined;
  if (extra) n.push(`from ${extra.name}`);
  return `${packageSpec(p)}${n.length > 0 ? `  [${n.join('; ')}]` : ''}`;
}

/** The rows of a Guix system's recipe: where the system is, its provenance files, its channels. */
function systemRows(recipe: SystemRecipe): string {
  const sys = recipe.system;
  let out = row(
    'system',
    `${sys.directory} (${sys.foundBy === 'entry-point' ? "the entry point's second element" : 'var/guix/profiles/system-1-link'})`,
  );
  if (!sys.savedProvenance) out += row('recipe', `none: ${SYSTEM_WITHOUT_PROVENANCE}`);
  else {
    const files: [string, string | null][] = [
      ['channels.scm', sys.files.channels],
      ['configuration.scm', sys.files.configuration],
      ['provenance', sys.files.provenance],
    ];
    files.forEach(([name, path], i) => {
      const text = `${name.padEnd(18)} ${path ?? '(none stored)'}`;
      out += i === 0 ? row('recipe', text) : continuation(text);
    });
  }
  if (recipe.channels.length > 0) out += channelRows(recipe.channels);
  else if (sys.savedProvenance) out += row('channels', 'none: the system records no channels');
  const prov = sys.provenance;
  if (prov?.status === 'read')
    out += row(
      'provenance',
      `${prov.channels.map((c) => `${c.name} ${c.commit ?? '(no commit)'}`).join(', ') || 'no channels'}; configuration ${prov.configurationFile ?? '#f'}`,
    );
  out += row('profile', `${recipe.profile ?? '(none)'} (the system profile: not the recipe)`);
  if (recipe.manifestVersion !== null)
    out += row(
      'manifest',
      `format version ${recipe.manifestVersion}, ${recipe.packages.length} top-level package${recipe.packages.length === 1 ? '' : 's'}`,
    );
  sys.warnings.forEach((w, i) => (out += i === 0 ? row('warning', w) : continuation(w)));
  return out;
}
