// `--output json`: exactly JSON.stringify(v, null, 2) for real recipes, and bounded for hostile nesting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { formatJson, JSON_INDENT_MAX_DEPTH } from '../../services/cli/json-output.js';
import { cli } from './capture.js';

const FIXTURES = 'test/fixtures/guix-images';

void test('formatJson is JSON.stringify(v, null, 2) + newline while the cap is not reached', () => {
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: JSON_INDENT_MAX_DEPTH - 1 }), (v) => {
      assert.equal(formatJson(v), JSON.stringify(v, null, 2) + '\n');
    }),
    { numRuns: 300 },
  );
  // What JSON.stringify leaves out or turns into null, the same.
  const odd = { a: undefined, b: [undefined, () => 1, 2], c: () => 1, d: null, e: {}, f: [] };
  assert.equal(formatJson(odd), JSON.stringify(odd, null, 2) + '\n');
});

void test('past the cap: compact, still the same value, no line indented deeper than the cap', () => {
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 8 }), fc.integer({ min: 0, max: 4 }), (v, cap) => {
      const text = formatJson(v, cap);
      // The value JSON carries (-0 reads back as 0, as from JSON.stringify).
      assert.deepEqual(JSON.parse(text), JSON.parse(JSON.stringify(v)));
      for (const line of text.split('\n'))
        assert.ok(/^ */.exec(line)![0].length <= 2 * cap, `indented at most ${2 * cap}: ${line}`);
    }),
    { numRuns: 300 },
  );
});

void test('every fixture prints as fully indented JSON, as before the cap', async () => {
  for (const name of readdirSync(FIXTURES, { withFileTypes: true })) {
    if (!name.isDirectory()) continue;
    for (const source of [
      `profile:${FIXTURES}/${name.name}/profile-manifest`,
      `docker-archive:${FIXTURES}/${name.name}/image.tar.gz`,
    ]) {
      const r = await cli(['inspect', source, '--output', 'json']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, JSON.stringify(JSON.parse(r.stdout), null, 2) + '\n', source);
    }
  }
});

void test('a manifest nesting propagated inputs 300 deep: JSON within a small factor of its size', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'guix-recipes-json-'));
  try {
    let inner = Array.from(
      { length: 3000 },
      (_, i) => `("leaf${i}" "1" "out" "/gnu/store/x" (propagated-inputs ()))`,
    ).join('');
    for (let d = 0; d < 300; d++) inner = `("d${d}" "1" "out" "/gnu/store/y" (propagated-inputs (${inner})))`;
    const text = `(manifest (version 4) (packages (${inner})))`;
    const path = join(tmp, 'manifest');
    writeFileSync(path, text);
    const r = await cli(['inspect', `profile:${path}`, '--output', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const recipe = JSON.parse(r.stdout) as { packages: { name: string }[] };
    assert.equal(recipe.packages[0]?.name, 'd299');
    // Fully indented, this was about 25 MiB (each leaf some 600 levels in): 100 times the input.
    assert.ok(r.stdout.length < 5 * text.length, `${r.stdout.length} bytes of JSON for ${text.length}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
