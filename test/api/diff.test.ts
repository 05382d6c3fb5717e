import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildRecipe } from '../../shared/guix/build-recipe.js';
import type { Recipe } from '../../shared/guix/recipe.js';
import { diffRecipes } from '../../shared/diff/recipe-diff.js';
import { renderDiffText } from '../../shared/diff/render-diff.js';
import { fixtureFacts, fixtureRecipeInput } from './fixture-facts.js';

const recipeOf = (fixture: string): Recipe => {
  const { text, profile } = fixtureRecipeInput(fixture);
  return buildRecipe(text, { profile });
};
const specs = (ps: { name: string; version: string }[]) => ps.map((p) => `${p.name}@${p.version}`).sort();

void test('two-channels -> mixed-commits: the differences the profile manifests show', () => {
  const from = fixtureFacts('two-channels');
  const to = fixtureFacts('mixed-commits');
  const d = diffRecipes(recipeOf('two-channels'), recipeOf('mixed-commits'));
  const key = (p: { name: string; output: string }) => `${p.name}:${p.output}`;
  const fromKeys = new Set(from.packages.map(key));
  const toKeys = new Set(to.packages.map(key));
  assert.deepEqual(specs(d.packages.added), specs(to.packages.filter((p) => !fromKeys.has(key(p)))));
  assert.deepEqual(specs(d.packages.removed), specs(from.packages.filter((p) => !toKeys.has(key(p)))));
  // Concretely (fixtures' README and manifests): emacs, guile, openmpi in; rstudio-server, scikit-learn out.
  assert.deepEqual(specs(d.packages.added), ['emacs@29.4', 'guile@3.0.9', 'openmpi@4.1.6']);
  assert.deepEqual(specs(d.packages.removed), ['python-scikit-learn@1.4.2', 'rstudio-server@2023.12.1']);
  // python 3.10.7 is on both sides, from different store items: rebuilt, same version.
  const py = d.packages.changed.find((c) => c.name === 'python');
  const pyFrom = from.packages.find((p) => p.name === 'python')!;
  const pyTo = to.packages.find((p) => p.name === 'python')!;
  assert.ok(py);
  assert.equal(py.change, 'rebuilt');
  assert.equal(py.from.storePath, pyFrom.storePath);
  assert.equal(py.to.storePath, pyTo.storePath);
  assert.notEqual(pyFrom.storePath, pyTo.storePath);
  assert.equal(d.packages.changed.length, 1);
  assert.equal(d.packages.unchanged, 0);
  // Channels: guix-science gone, guix-hpc new, guix keeps its exported commit but more commits are used.
  assert.deepEqual(
    d.channels.removed.map((c) => c.name),
    ['guix-science'],
  );
  assert.deepEqual(
    d.channels.added.map((c) => c.name),
    ['guix-hpc'],
  );
  const hpc = to.commits.find((c) => c.url.includes('guix-hpc'))!;
  assert.equal(d.channels.added[0]!.commit, hpc.commit);
  assert.equal(d.channels.changed.length, 1);
  const guix = d.channels.changed[0]!;
  assert.equal(guix.name, 'guix');
  assert.equal(guix.commitMoved, false);
  const guixUrl = 'https://git.savannah.gnu.org/git/guix.git';
  const toGuixCommits = [...new Set(to.commits.filter((c) => c.url === guixUrl).map((c) => c.commit))];
  const fromGuixCommits = new Set(from.commits.filter((c) => c.url === guixUrl).map((c) => c.commit));
  assert.deepEqual(guix.commitsAdded.sort(), toGuixCommits.filter((c) => !fromGuixCommits.has(c)).sort());
  assert.equal(guix.commitsAdded.length, 2);
  assert.equal(d.identical, false);

  const text = renderDiffText(d, { from: 'A', to: 'B' });
  assert.match(text, /^--- A\n\+\+\+ B\n/);
  assert.match(text, /^ {2}\+ emacs@29\.4 \/gnu\/store\/\S+-emacs-29\.4$/m);
  assert.match(text, /^ {2}- rstudio-server@2023\.12\.1 /m);
  assert.match(
    text,
    /^ {2}- guix-science https:\/\/codeberg\.org\/guix-science\/guix-science\.git [0-9a-f]{40}$/m,
  );
  assert.match(text, /^ {2}\+ guix-hpc /m);
  assert.ok(text.includes(`  ~ python: 3.10.7 rebuilt; ${pyFrom.storePath} -> ${pyTo.storePath}`));
  assert.match(text, /3 added, 2 removed, 1 changed, 0 unchanged\n$/);
});

void test('a recipe against itself is identical; swapping sides swaps added and removed', () => {
  for (const f of ['two-channels', 'mixed-commits', 'transformations', 'propagated', 'no-provenance']) {
    const r = recipeOf(f);
    const same = diffRecipes(r, r);
    assert.equal(same.identical, true, f);
    assert.equal(same.packages.unchanged, r.packages.length, f);
    assert.match(renderDiffText(same, { from: 'a', to: 'b' }), /no differences/);
  }
  const ab = diffRecipes(recipeOf('two-channels'), recipeOf('mixed-commits'));
  const ba = diffRecipes(recipeOf('mixed-commits'), recipeOf('two-channels'));
  assert.deepEqual(specs(ab.packages.added), specs(ba.packages.removed));
  assert.deepEqual(specs(ab.packages.removed), specs(ba.packages.added));
  assert.deepEqual(ab.channels.changed[0]!.commitsAdded, ba.channels.changed[0]!.commitsRemoved);
});

void test('version changes, moved commits, transformation changes and duplicate names', () => {
  const base = recipeOf('transformations');
  const withT = base.packages.find((p) => p.transformations.length > 0);
  assert.ok(withT, 'the transformations fixture has a transformed package');
  const next: Recipe = structuredClone(base);
  const p0 = next.packages[0]!;
  p0.version = `${p0.version}.1`;
  p0.storePath = `${p0.storePath}-new`;
  const t = next.packages.find((p) => p.name === withT.name && p.output === withT.output)!;
  t.transformations = [];
  next.channels[0]!.commit = 'f'.repeat(40);
  next.channels[0]!.commits = ['f'.repeat(40)];
  const d = diffRecipes(base, next);
  const v = d.packages.changed.find((c) => c.name === p0.name)!;
  assert.equal(v.change, 'version');
  assert.equal(v.to.version, p0.version);
  const tc = d.packages.changed.find((c) => c.name === withT.name)!;
  assert.equal(tc.transformationsChanged, true);
  if (tc !== v) assert.equal(tc.change, 'transformations');
  assert.deepEqual(tc.to.transformations, []);
  assert.equal(d.channels.changed[0]!.commitMoved, true);
  assert.equal(d.channels.changed[0]!.to.commit, 'f'.repeat(40));
  const text = renderDiffText(d, { from: 'a', to: 'b' });
  assert.ok(text.includes(`commit ${base.channels[0]!.commit} -> ${'f'.repeat(40)}`));
  assert.match(text, /transformations --\S+=\S+.* -> \(none\)/);

  // Two entries with one name and output: equal versions pair first, the other is a version change.
  const two: Recipe = structuredClone(base);
  const a = structuredClone(two.packages[0]!);
  two.packages = [a, { ...structuredClone(a), version: '1', storePath: '/gnu/store/x-1' }];
  const three: Recipe = structuredClone(two);
  three.packages[1] = { ...three.packages[1]!, version: '2', storePath: '/gnu/store/x-2' };
  const dd = diffRecipes(two, three);
  assert.equal(dd.packages.unchanged, 1);
  assert.equal(dd.packages.changed.length, 1);
  assert.equal(dd.packages.changed[0]!.from.version, '1');
  assert.equal(dd.packages.changed[0]!.to.version, '2');
});

void test('a channel without commit (#f) and a transformations property that is not an option list', () => {
  const base = recipeOf('transformations');
  const next: Recipe = structuredClone(base);
  next.channels[0]!.commit = null;
  next.channels[0]!.commits = [null, ...base.channels[0]!.commits];
  const p = next.packages[0]!;
  p.transformations = [];
  p.transformationsSexp = '"with-input=a=b"';
  const d = diffRecipes(base, next);
  const c = d.channels.changed[0]!;
  assert.equal(c.commitMoved, true);
  assert.equal(c.to.commit, null);
  assert.deepEqual(c.commitsAdded, [null]);
  const tc = d.packages.changed.find((x) => x.name === p.name && x.output === p.output)!;
  assert.equal(tc.transformationsChanged, true);
  assert.equal(tc.to.transformationsSexp, '"with-input=a=b"');
  const text = renderDiffText(d, { from: 'a', to: 'b' });
  assert.ok(text.includes(`commit ${base.channels[0]!.commit} -> (no commit)`), text);
  assert.ok(text.includes('commits used + (no commit)'), text);
  assert.ok(text.includes(`-> '"with-input=a=b"`), text);
  assert.equal(diffRecipes(next, structuredClone(next)).identical, true);
});
