/**
 * From a profile manifest to its Recipe, and from a Recipe back to Guix's texts. The API stores
 * Recipe JSON and re-renders it with another printer or style, so rendering works from the Recipe alone.
 */
import type { PrinterStyle } from './sexp/pretty-print.js';
import type { readDatum } from './sexp/reader.js';
import { readManifest } from './manifest.js';
import type { Manifest, ManifestEntry } from './manifest.js';
import { entryProvenance } from './provenance.js';
import { collectChannels, exportChannels } from './export-channels.js';
import { exportManifest } from './export-manifest.js';
import type { ManifestStyle } from './export-manifest.js';
import { entryTransformations } from './entry-transformations.js';
import type { ProfileRecipe, Recipe, RecipeDependency, RecipePackage } from './recipe.js';

/** Options of `buildRecipe`. */
export interface BuildRecipeOptions {
  /** The profile's store path when known (e.g. `/gnu/store/<hash>-profile`), else null. */
  profile: string | null;
  /** Reader bounds, passed through to `readDatum`. Default: the reader's. */
  reader?: Parameters<typeof readDatum>[1];
}

/** Read, decode and export a profile manifest's text. Throws RecipeError (parse-error, size-limit, ...). */
export function buildRecipe(manifestText: string, opts: BuildRecipeOptions): ProfileRecipe {
  return recipeFromManifest(readManifest(manifestText, opts.reader), opts);
}

/** The Recipe of a decoded manifest: packages, channels as exported, both default texts. */
export function recipeFromManifest(manifest: Manifest, opts: { profile: string | null }): ProfileRecipe {
  const provenances = manifest.entries.map((e) => entryProvenance(e));
  const seen = new Set<ManifestEntry>();
  const packages: RecipePackage[] = manifest.entries.map((e, i) => {
    const t = entryTransformations(e);
    const p: RecipePackage = {
      name: e.name,
      version: e.version,
      output: e.output,
      storePath: e.item,
      channels: provenances[i]!.map((c) => ({ name: c.name, url: c.url, commit: c.commit })),
      transformations: t.kind === 'options' ? t.options : [],
      propagated: dependencies(e, seen),
    };
    // `(transformations)`: Guix still wraps the package in a procedure over '() (see manifest->code).
    if (t.kind === 'options' && t.options.length === 0) p.emptyTransformations = true;
    if (t.kind === 'sexp') p.transformationsSexp = t.sexp;
    return p;
  });
  const channels = collectChannels(provenances);
  const recipe: ProfileRecipe = {
    schemaVersion: 1,
    kind: 'profile',
    profile: opts.profile,
    manifestVersion: manifest.version,
    packages,
    channels,
    packagesWithoutProvenance: packages.filter((p) => p.channels.length === 0).map(packageSpec),
    texts: { manifest: '' },
  };
  recipe.texts.manifest = renderManifest(recipe, {});
  if (channels.length > 0) recipe.texts.channels = renderChannels(recipe, {});
  return recipe;
}

/** `name@version[:output]`. */
export function packageSpec(p: { name: string; version: string; output: string }): string {
  return `${p.name}${p.version === '' ? '' : `@${p.version}`}${p.output === 'out' ? '' : `:${p.output}`}`;
}

/**
 * The entry's propagated inputs as a tree, depth-first pre-order, iteratively. An entry already listed
 * (same object: the manifest's `repeated`, or a shared v3 subtree never is) comes out as `repeated: true`
 * without its inputs, which keeps the output linear in the manifest's size.
 */
function dependencies(entry: ManifestEntry, seen: Set<ManifestEntry>): RecipeDependency[] {
  const root: RecipeDependency[] = [];
  const stack: { deps: ManifestEntry[]; next: number; out: RecipeDependency[] }[] = [
    { deps: entry.propagatedInputs, next: 0, out: root },
  ];
  seen.add(entry);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.next >= top.deps.length) {
      stack.pop();
      continue;
    }
    const d = top.deps[top.next++]!;
    const node: RecipeDependency = {
      name: d.name,
      version: d.version,
      output: d.output,
      storePath: d.item,
      propagated: [],
    };
    if (seen.has(d)) {
      node.repeated = true;
      top.out.push(node);
      continue;
    }
    seen.add(d);
    top.out.push(node);
    stack.push({ deps: d.propagatedInputs, next: 0, out: node.propagated });
  }
  return root;
}

/** Options of `renderChannels`. */
export interface RenderChannelsOptions {
  /** Default `classic`. */
  printer?: PrinterStyle;
}

/** channels.scm for a Recipe; throws RecipeError `no-provenance` when it has no channels. */
export function renderChannels(recipe: Pick<Recipe, 'channels'>, opts: RenderChannelsOptions = {}): string {
  return exportChannels(recipe.channels, { printer: opts.printer ?? 'classic' });
}

/** Options of `renderManifest`. */
export interface RenderManifestOptions {
  /** Default `pinned`. */
  style?: ManifestStyle;
  /** Default `classic`. */
  printer?: PrinterStyle;
}

/** manifest.scm for a Recipe. */
export function renderManifest(recipe: Pick<Recipe, 'packages'>, opts: RenderManifestOptions = {}): string {
  return exportManifest(recipe.packages, {
    style: opts.style ?? 'pinned',
    printer: opts.printer ?? 'classic',
  });
}
