// docs/architecture.md against the code: every path it names exists, the walk from a push to the
// answer names each file once, and its layer table is the lint's (LAYERS, lowest first).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LAYERS } from '../../.dependency-cruiser.mjs';

const ROOT = resolve(import.meta.dirname, '../..');
const DOC = readFileSync(join(ROOT, 'docs/architecture.md'), 'utf8');

/** `a/{b,c}.ts` → `a/b.ts`, `a/c.ts` (one level of braces, as the doc writes them). */
function expand(p: string): string[] {
  const m = /^(.*)\{([^}]*)\}(.*)$/.exec(p);
  if (!m) return [p];
  return m[2]!.split(',').flatMap((alt) => expand(`${m[1]}${alt}${m[3]}`));
}

/** Repository paths in backticks: `shared/...`, `services/...`, `workers/...`, `test/...`, `tools/...`. */
function pathsIn(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/`((?:shared|services|workers|test|tools|bench)\/[^`\s]*)`/g))
    out.push(...expand(m[1]!.replace(/[.,:;]$/, '')));
  return out;
}

void test('every path docs/architecture.md names exists', () => {
  const missing = pathsIn(DOC).filter((p) => !/[<*]/.test(p) && !existsSync(join(ROOT, p)));
  assert.deepEqual(missing, []);
  assert.ok(pathsIn(DOC).length > 60, 'the doc names the files it maps');
});

void test('the walk from a push to the answer names each file once', () => {
  const start = DOC.indexOf('## One push, from the registry to the answer');
  const end = DOC.indexOf('### The doors');
  assert.ok(start > 0 && end > start);
  const walk = pathsIn(DOC.slice(start, end));
  const seen = new Set<string>();
  const twice = walk.filter((p) => (seen.has(p) ? true : (seen.add(p), false)));
  assert.deepEqual(twice, []);
  for (const must of [
    'services/api/routes/webhooks.ts',
    'shared/queue/scan-requests.ts',
    'shared/queue/scan-jobs.ts',
    'shared/oci/reference.ts',
    'workers/scanner/process-job.ts',
    'shared/scan/scan-image.ts',
    'shared/store/recipe-queries.ts',
  ])
    assert.ok(seen.has(must), `the walk names ${must}`);
});

void test("the layer table is the lint's, in its order", () => {
  const start = DOC.indexOf('## Layers');
  const table = DOC.slice(start, DOC.indexOf('\n## ', start + 3));
  const names = [...table.matchAll(/^\| (\w+)\s+\|/gm)].map((m) => m[1]).filter((n) => n !== 'layer');
  assert.deepEqual(
    names,
    LAYERS.map((l) => l.name),
  );
});
