/**
 * `inspect`'s default output: a short report for people (what the profile holds, where its channels
 * point, what is missing). Not a stable format: scripts use `--output json|channels|manifest`.
 * Every value is passed through `printable`: names and URLs come from the image.
 */
import type { Recipe } from '../../shared/guix/recipe.js';
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
  } else {
    recipe.channels.forEach((c, i) => {
      const others = c.commits.length - 1;
      const text = `${c.name} ${c.url} ${c.commit ?? '(no commit)'}${others > 0 ? ` (+${others} other commit${others === 1 ? '' : 's'})` : ''}${c.introduction === null ? ' (no introduction)' : ''}`;
      out += i === 0 ? row('channels', text) : continuation(text);
    });
  }
  recipe.packages.forEach((p, i) => {
    const notes: string[] = [];
    if (p.transformations.length > 0)
      notes.push(p.transformations.map((t) => `--${t.option}=${t.value}`).join(' '));
    if (p.transformationsSexp !== undefined) notes.push(`transformations '${p.transformationsSexp}`);
    if (p.channels.length === 0) notes.push('no provenance');
    const extra = p.channels.find((c) => c.name !== 'guix');
    if (extra) notes.push(`from ${extra.name}`);
    const text = `${packageSpec(p)}${notes.length > 0 ? `  [${notes.join('; ')}]` : ''}`;
    out += i === 0 ? row('packages', text) : continuation(text);
  });
  if (recipe.packages.length === 0) out += row('packages', '(none)');
  if (rebuild !== undefined) {
    if (rebuild.unknown.length > 0) out += row('not known', rebuild.unknown.map((u) => u.option).join(' '));
    out += row('rebuild', rebuild.text);
  }
  return out;
}
