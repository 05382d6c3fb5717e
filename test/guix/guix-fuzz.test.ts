// Every case of test/fixtures/guix-fuzz (random profile manifests, with what Guix itself exports from
// them), through `inspect profile:` and through a stored Recipe's JSON: both printers, channels or
// Guix's refusal (exit 4 with its words), and the manifest in the `guix` style, byte for byte.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';

import { buildRecipe, renderChannels, renderManifest } from '../../shared/guix/build-recipe.js';
import type { Recipe } from '../../shared/guix/recipe.js';
import type { PrinterStyle } from '../../shared/guix/sexp/pretty-print.js';
import { RecipeError } from '../../shared/errors.js';
import { cli } from '../cli/capture.js';

const FUZZ = 'test/fixtures/guix-fuzz';
const cases = readdirSync(FUZZ)
  .filter((n) => statSync(join(FUZZ, n)).isDirectory())
  .sort();

/** The inputs of a case, not expectations. */
const INPUTS = new Set(['profile-manifest', 'meta']);

/** How each expected file is produced: CLI arguments, and the same from the Recipe JSON. */
const EXPECTED: Record<string, { args: string[]; kind: 'channels' | 'manifest'; printer: PrinterStyle }> = {
  'export-channels.scm': { args: ['--output', 'channels'], kind: 'channels', printer: 'classic' },
  'export-channels.guile310.scm': {
    args: ['--output', 'channels', '--printer', 'modern'],
    kind: 'channels',
    printer: 'modern',
  },
  'export-manifest.scm': {
    args: ['--output', 'manifest', '--manifest-style', 'guix'],
    kind: 'manifest',
    printer: 'classic',
  },
  'export-manifest.guile310.scm': {
    args: ['--output', 'manifest', '--manifest-style', 'guix', '--printer', 'modern'],
    kind: 'manifest',
    printer: 'modern',
  },
};

/** Files compared, by `case/file`. */
const compared = new Set<string>();

function render(recipe: Recipe, kind: 'channels' | 'manifest', printer: PrinterStyle): string {
  return kind === 'channels'
    ? renderChannels(recipe, { printer })
    : renderManifest(recipe, { style: 'guix', printer });
}

void test('there are 165 cases, each with a manifest and its meta', () => {
  assert.equal(cases.length, 165);
  for (const c of cases) for (const f of INPUTS) assert.ok(statSync(join(FUZZ, c, f)).isFile(), `${c}/${f}`);
});

for (const c of cases) {
  const dir = join(FUZZ, c);
  void describe(`guix-fuzz ${c}`, () => {
    const files = readdirSync(dir).filter((f) => !INPUTS.has(f));
    void test('its files are the known expectations', () => {
      for (const f of files) assert.ok(f === 'export-channels.error' || f in EXPECTED, `unexpected ${f}`);
    });

    void test('every expected output, through the CLI and from the Recipe JSON', async () => {
      const source = `profile:${dir}/profile-manifest`;
      const built = buildRecipe(readFileSync(join(dir, 'profile-manifest'), 'utf8'), { profile: null });
      const stored = JSON.parse(JSON.stringify(built)) as Recipe;
      for (const f of files) {
        if (f === 'export-channels.error') {
          const words = readFileSync(join(dir, f), 'utf8').trim();
          assert.equal(words, 'no provenance information for this profile');
          assert.ok(!files.includes('export-channels.scm'), 'either channels or a refusal');
          for (const printer of ['classic', 'modern'] as const) {
            const r = await cli(['inspect', source, '--output', 'channels', '--printer', printer]);
            assert.deepEqual(r, { code: 4, stdout: '', stderr: `guix-recipes: ${words}\n` });
            assert.throws(
              () => renderChannels(stored, { printer }),
              (e: unknown) => e instanceof RecipeError && e.code === 'no-provenance' && e.message === words,
            );
          }
          compared.add(`${c}/${f}`);
          continue;
        }
        const { args, kind, printer } = EXPECTED[f]!;
        const expected = readFileSync(join(dir, f), 'utf8');
        const r = await cli(['inspect', source, ...args]);
        assert.deepEqual(r, { code: 0, stdout: expected, stderr: '' }, `${c}/${f} through the CLI`);
        assert.equal(render(stored, kind, printer), expected, `${c}/${f} from the Recipe JSON`);
        compared.add(`${c}/${f}`);
      }
      // The default texts of the Recipe are the classic ones (channels) and the pinned manifest.
      if (files.includes('export-channels.scm'))
        assert.equal(built.texts.channels, readFileSync(join(dir, 'export-channels.scm'), 'utf8'));
      else assert.equal(built.texts.channels, undefined);
    });
  });
}

after(() => {
  // Every expected file of every folder was compared: a missing comparison fails the run.
  let expected = 0;
  for (const c of cases) expected += readdirSync(join(FUZZ, c)).filter((f) => !INPUTS.has(f)).length;
  assert.equal(compared.size, expected, `${compared.size} of ${expected} expected files compared`);
  assert.equal(expected, 165 * 3 + 128, 'two manifests per case, and two channels files or one refusal');
});
