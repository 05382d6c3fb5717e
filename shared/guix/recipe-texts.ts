/**
 * The texts a Recipe is printed as: `channels.scm` (either printer) and `manifest.scm` (either
 * style, either printer). Each has a stable key, so a store can keep every variant rendered once
 * and serve the bytes as they are; `renderText` makes any of them from the Recipe alone.
 */
import { isRecipeError } from '../errors.js';
import { renderChannels, renderManifest } from './build-recipe.js';
import type { ManifestStyle } from './export-manifest.js';
import type { Recipe } from './recipe.js';
import type { PrinterStyle } from './sexp/pretty-print.js';

export type RecipeText =
  | { file: 'channels.scm'; printer: PrinterStyle }
  | { file: 'manifest.scm'; style: ManifestStyle; printer: PrinterStyle };

/** Every variant, the defaults first (the ones a Recipe's `texts` holds). */
export const RECIPE_TEXTS: readonly RecipeText[] = [
  { file: 'channels.scm', printer: 'classic' },
  { file: 'manifest.scm', style: 'pinned', printer: 'classic' },
  { file: 'channels.scm', printer: 'modern' },
  { file: 'manifest.scm', style: 'pinned', printer: 'modern' },
  { file: 'manifest.scm', style: 'guix', printer: 'classic' },
  { file: 'manifest.scm', style: 'guix', printer: 'modern' },
];

/** `channels.scm:classic`, `manifest.scm:guix:modern`, ... */
export function recipeTextKey(t: RecipeText): string {
  return t.file === 'channels.scm' ? `${t.file}:${t.printer}` : `${t.file}:${t.style}:${t.printer}`;
}

/** The text; throws RecipeError `no-provenance` for channels.scm of a recipe without channels. */
export function renderText(recipe: Recipe, t: RecipeText): string {
  if (t.file === 'channels.scm')
    return t.printer === 'classic' && recipe.texts.channels !== undefined
      ? recipe.texts.channels
      : renderChannels(recipe, { printer: t.printer });
  if (t.style === 'pinned' && t.printer === 'classic') return recipe.texts.manifest;
  return renderManifest(recipe, { style: t.style, printer: t.printer });
}

/** Every text that exists for the recipe, by key (channels.scm is absent without provenance). */
export function renderAllTexts(recipe: Recipe): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of RECIPE_TEXTS) {
    try {
      out[recipeTextKey(t)] = renderText(recipe, t);
    } catch (err) {
      if (!isRecipeError(err, 'no-provenance')) throw err;
    }
  }
  return out;
}
