/**
 * The texts a Recipe is printed as. A profile's: `channels.scm` (either printer) and `manifest.scm`
 * (either style, either printer). A system's: `channels.scm` and `configuration.scm` as the system
 * stores them, the same bytes whatever printer is asked (they were printed once, by the Guix that
 * built the system; only channels rebuilt from the `provenance` file, when no `channels.scm` is
 * stored, follow the printer). Each text has a stable key, so a store can keep every variant
 * rendered once and serve the bytes as they are; `renderText` makes any of them from the Recipe alone.
 */
import { isRecipeError, RecipeError } from '../errors.js';
import { renderChannels, renderManifest } from './build-recipe.js';
import type { ManifestStyle } from './export-manifest.js';
import type { Recipe, SystemRecipe } from './recipe.js';
import type { PrinterStyle } from './sexp/pretty-print.js';
import { systemChannelsText } from './system-provenance.js';

export type RecipeText =
  | { file: 'channels.scm'; printer: PrinterStyle }
  | { file: 'manifest.scm'; style: ManifestStyle; printer: PrinterStyle }
  | { file: 'configuration.scm' };

/** Every variant, the defaults first (the ones a Recipe's `texts` holds). */
export const RECIPE_TEXTS: readonly RecipeText[] = [
  { file: 'channels.scm', printer: 'classic' },
  { file: 'manifest.scm', style: 'pinned', printer: 'classic' },
  { file: 'configuration.scm' },
  { file: 'channels.scm', printer: 'modern' },
  { file: 'manifest.scm', style: 'pinned', printer: 'modern' },
  { file: 'manifest.scm', style: 'guix', printer: 'classic' },
  { file: 'manifest.scm', style: 'guix', printer: 'modern' },
];

/** `channels.scm:classic`, `manifest.scm:guix:modern`, `configuration.scm`, ... */
export function recipeTextKey(t: RecipeText): string {
  switch (t.file) {
    case 'channels.scm':
      return `${t.file}:${t.printer}`;
    case 'manifest.scm':
      return `${t.file}:${t.style}:${t.printer}`;
    case 'configuration.scm':
      return t.file;
  }
}

/** The refusal of manifest.scm for a system: why, and what to ask for instead. */
export function systemHasNoManifest(): RecipeError {
  return new RecipeError(
    'usage',
    "a Guix system image's recipe is its configuration.scm (with channels.scm), not a manifest.scm: " +
      'the system profile inside is made from that operating-system declaration, not from a manifest; ' +
      'ask for configuration.scm instead (inspect --output configuration, or /v1/recipes/DIGEST/configuration.scm)',
    { details: { kind: 'system', ask: 'configuration.scm' } },
  );
}

/** The refusal of configuration.scm for a profile. */
export function profileHasNoConfiguration(): RecipeError {
  return new RecipeError(
    'usage',
    "a profile's recipe is its manifest.scm (with channels.scm); configuration.scm belongs to " +
      "'guix system image' images: ask for manifest.scm instead (inspect --output manifest)",
    { details: { kind: 'profile', ask: 'manifest.scm' } },
  );
}

/** The words for a system image whose system directory holds none of the provenance files. */
export const SYSTEM_WITHOUT_PROVENANCE = 'this Guix system image was built without --save-provenance';

/** Why a system's recipe file is missing: no provenance at all, or just not this file. */
export function systemFileMissing(recipe: SystemRecipe, file: string): RecipeError {
  if (!recipe.system.savedProvenance)
    return new RecipeError('no-provenance', `${SYSTEM_WITHOUT_PROVENANCE}: it stores no ${file}`);
  const why =
    file === 'channels.scm'
      ? 'no channels were recorded (the Guix that built it did not run from guix pull or time-machine)'
      : 'no configuration file was recorded (the system was not built from a file)';
  return new RecipeError('no-provenance', `the system ${recipe.system.directory} stores no ${file}: ${why}`);
}

/**
 * The text. Throws RecipeError `no-provenance` for channels.scm of a recipe without channels (and
 * configuration.scm of a system that stores none), `usage` for a file the recipe's kind has not.
 */
export function renderText(recipe: Recipe, t: RecipeText): string {
  if (recipe.kind === 'system') return systemText(recipe, t);
  switch (t.file) {
    case 'channels.scm':
      return t.printer === 'classic' && recipe.texts.channels !== undefined
        ? recipe.texts.channels
        : renderChannels(recipe, { printer: t.printer });
    case 'manifest.scm':
      if (t.style === 'pinned' && t.printer === 'classic') return recipe.texts.manifest;
      return renderManifest(recipe, { style: t.style, printer: t.printer });
    case 'configuration.scm':
      throw profileHasNoConfiguration();
  }
}

function systemText(recipe: SystemRecipe, t: RecipeText): string {
  switch (t.file) {
    case 'channels.scm':
      if (recipe.system.files.channels !== null && recipe.texts.channels !== undefined)
        return recipe.texts.channels;
      if (recipe.channels.length > 0) return systemChannelsText(recipe.channels, t.printer);
      throw systemFileMissing(recipe, 'channels.scm');
    case 'configuration.scm':
      if (recipe.texts.configuration !== undefined) return recipe.texts.configuration;
      throw systemFileMissing(recipe, 'configuration.scm');
    case 'manifest.scm':
      throw systemHasNoManifest();
  }
}

/** Every text that exists for the recipe, by key (a text the recipe has not is absent). */
export function renderAllTexts(recipe: Recipe): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of RECIPE_TEXTS) {
    try {
      out[recipeTextKey(t)] = renderText(recipe, t);
    } catch (err) {
      if (!isRecipeError(err, 'no-provenance') && !isRecipeError(err, 'usage')) throw err;
    }
  }
  return out;
}
