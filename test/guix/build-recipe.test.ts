import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { buildRecipe, renderChannels, renderManifest } from '../../shared/guix/build-recipe.js';
import type { ProfileRecipe as Recipe } from '../../shared/guix/recipe.js';
import { isRecipeError } from '../../shared/errors.js';

const IMAGES = 'test/fixtures/guix-images';
const folders = readdirSync(IMAGES).filter((n) => statSync(join(IMAGES, n)).isDirectory());

void test('a Recipe re-renders from its JSON alone: every style and printer of every fixture', () => {
  for (const folder of folders) {
    const dir = join(IMAGES, folder);
    const built = buildRecipe(readFileSync(join(dir, 'profile-manifest'), 'utf8'), {
      profile: readFileSync(join(dir, 'profile-path'), 'utf8').trim(),
    });
    const recipe = JSON.parse(JSON.stringify(built)) as Recipe;
    assert.equal(recipe.profile, readFileSync(join(dir, 'profile-path'), 'utf8').trim());
    assert.equal(recipe.texts.manifest, readFileSync(join(dir, 'manifest-pinned.scm'), 'utf8'), folder);
    for (const [printer, suffix] of [
      ['classic', ''],
      ['modern', '.guile310'],
    ] as const) {
      assert.equal(
        renderManifest(recipe, { style: 'guix', printer }),
        readFileSync(join(dir, `export-manifest${suffix}.scm`), 'utf8'),
        folder,
      );
      assert.equal(
        renderManifest(recipe, { style: 'pinned', printer }),
        readFileSync(join(dir, `manifest-pinned${suffix}.scm`), 'utf8'),
        folder,
      );
      if (folder === 'no-provenance') {
        assert.throws(
          () => renderChannels(recipe, { printer }),
          (e: unknown) => isRecipeError(e, 'no-provenance'),
        );
      } else {
        assert.equal(
          renderChannels(recipe, { printer }),
          readFileSync(join(dir, `export-channels${suffix}.scm`), 'utf8'),
          folder,
        );
      }
    }
    if (folder === 'no-provenance') assert.equal(recipe.texts.channels, undefined);
    else assert.equal(recipe.texts.channels, readFileSync(join(dir, 'export-channels.scm'), 'utf8'), folder);
  }
});

void test('the Recipe of example3: packages, channels with every commit, missing provenance flagged', () => {
  const r = buildRecipe(readFileSync('test/fixtures/guix-vectors/example3.profile-manifest', 'utf8'), {
    profile: null,
  });
  assert.equal(r.schemaVersion, 1);
  assert.equal(r.kind, 'profile');
  assert.equal(r.manifestVersion, 4);
  assert.deepEqual(
    r.packages.map((p) => [
      p.name,
      p.version,
      p.output,
      p.transformations,
      p.channels.map((c) => c.commit!.slice(0, 4)),
    ]),
    [
      ['glib', '2.78.0', 'bin', [], ['12dc']],
      ['python-pandas', '2.2.3', 'out', [{ option: 'without-tests', value: 'python-pandas' }], ['3bba']],
      ['python-numpy', '1.26.2', 'out', [], []],
    ],
  );
  assert.deepEqual(r.packagesWithoutProvenance, ['python-numpy@1.26.2']);
  assert.equal(r.channels.length, 1);
  assert.deepEqual(r.channels[0]!.commits, [
    '12dcbe5876edcf574d58033f8bcb46b99bed4700',
    '3bbaf5b9061aca99ba4ef570e91ad0359b3ca247',
  ]);
  assert.deepEqual(r.channels[0]!.introduction, {
    commit: '9edb3f66fd807b096b48283debdcddccfea34bad',
    signer: 'BBB0 2DDF 2CEA F6A8 0D1D  E643 A2A0 6DF2 A33A 54FA',
  });
  // pandas propagates numpy and dateutil (-> six); the top-level numpy is the same entry: listed as repeated.
  const pandas = r.packages[1]!;
  assert.deepEqual(
    pandas.propagated.map((d) => [d.name, d.propagated.map((x) => x.name)]),
    [
      ['python-numpy', []],
      ['python-dateutil', ['python-six']],
    ],
  );
  assert.equal(pandas.propagated[0]!.repeated, undefined);
});

void test('repeated back-references stay linear in the Recipe (no exponential expansion)', () => {
  // Level i propagates level i-1 twice (once in full, once repeated): 2^40 paths, 40 entries.
  const H = (i: number) => `/gnu/store/${'a'.repeat(28)}${String(i).padStart(4, '0')}-p${i}-1`;
  let deps = '';
  for (let i = 0; i < 40; i++) {
    const prev = i === 0 ? '' : `(propagated-inputs (${deps}))`;
    const full = `("p${i}" "1" "out" "${H(i)}" ${prev})`;
    deps = `${full} (repeated "p${i}" "1" "${H(i)}")`;
  }
  const text = `(manifest (version 4) (packages (${deps})))`;
  const r = buildRecipe(text, { profile: null });
  const json = JSON.stringify(r);
  assert.ok(json.length < 200_000, `recipe JSON is ${json.length} bytes`);
  assert.equal(r.packages.length, 2);
  assert.equal(r.packages[1]!.name, 'p39');
  assert.equal(
    r.packages[1]!.propagated.every((d) => d.repeated === true),
    true,
  );
});

void test('v3 recipe: provenance without channel names falls back to guix', () => {
  const r = buildRecipe(readFileSync(join(IMAGES, 'v3/profile-manifest'), 'utf8'), { profile: null });
  assert.equal(r.manifestVersion, 3);
  assert.deepEqual(
    r.channels.map((c) => c.name),
    ['guix'],
  );
  assert.deepEqual(
    r.packages[1]!.propagated.map((d) => d.name),
    ['python-wrapper'],
  );
});
