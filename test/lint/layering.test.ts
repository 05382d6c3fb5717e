// The layering rules of .dependency-cruiser.mjs, proven on small trees made here: an import from a
// lower layer into a higher one fails, a cycle fails, each with the rule named (`npm run lint` runs the same rules over the
// project itself).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { LAYERS } from '../../.dependency-cruiser.mjs';

const ROOT = resolve(import.meta.dirname, '../..');
const CONFIG = join(ROOT, '.dependency-cruiser.mjs');
const DEPCRUISE = join(ROOT, 'node_modules/.bin/depcruise');

function depcruise(cwd: string, paths: string[]): { status: number | null; out: string } {
  const r = spawnSync(DEPCRUISE, [...paths, '--config', CONFIG, '--output-type', 'err'], {
    cwd,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

void describe('layering lint (dependency-cruiser)', () => {
  let tree: string;
  before(() => {
    tree = mkdtempSync(join(tmpdir(), 'layers-'));
    writeFileSync(join(tree, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'nodenext' } }));
  });
  after(() => rmSync(tree, { recursive: true, force: true }));

  function write(files: Record<string, string>): void {
    for (const [p, text] of Object.entries(files)) {
      mkdirSync(dirname(join(tree, p)), { recursive: true });
      writeFileSync(join(tree, p), text);
    }
  }

  void it('lists the layers lowest first, each with a path rule', () => {
    const names = LAYERS.map((l) => l.name);
    assert.ok(names.indexOf('content') < names.indexOf('oci'));
    assert.ok(names.indexOf('archive') < names.indexOf('scan'));
    assert.ok(names.indexOf('oci') < names.indexOf('store'));
    assert.equal(new Set(names).size, names.length);
  });

  void it('an import from a lower layer into a higher one fails, naming the rule', () => {
    write({
      'shared/oci/reference.ts': 'export const r = 1;\n',
      'shared/content/digest.ts': "import { r } from '../oci/reference.js';\nexport const d = r;\n",
    });
    const { status, out } = depcruise(tree, ['shared']);
    assert.notEqual(status, 0, out);
    assert.match(
      out,
      /layer-content-imports-upward: shared\/content\/digest\.ts → shared\/oci\/reference\.ts/,
    );
    rmSync(join(tree, 'shared'), { recursive: true });
  });

  void it('the same import downward passes', () => {
    write({
      'shared/content/digest.ts': 'export const d = 1;\n',
      'shared/oci/reference.ts': "import { d } from '../content/digest.js';\nexport const r = d;\n",
    });
    const { status, out } = depcruise(tree, ['shared']);
    assert.equal(status, 0, out);
    rmSync(join(tree, 'shared'), { recursive: true });
  });

  void it('an import cycle inside one layer fails, naming the rule', () => {
    write({
      'shared/guix/a.ts': "import { b } from './b.js';\nexport const a = () => b;\n",
      'shared/guix/b.ts': "import { c } from './c.js';\nexport const b = () => c;\n",
      'shared/guix/c.ts': "import { a } from './a.js';\nexport const c = () => a;\n",
    });
    const { status, out } = depcruise(tree, ['shared']);
    assert.notEqual(status, 0, out);
    assert.match(out, /no-import-cycle: shared\/guix\/\w\.ts →\s+shared\/guix\/\w\.ts →/);
    rmSync(join(tree, 'shared'), { recursive: true });
  });

  void it('production code importing a test fails', () => {
    write({
      'test/harness/x.ts': 'export const x = 1;\n',
      'workers/scanner/p.ts': "import { x } from '../../test/harness/x.js';\nexport const p = x;\n",
    });
    const { status, out } = depcruise(tree, ['workers', 'test']);
    assert.notEqual(status, 0, out);
    assert.match(out, /production-imports-tests/);
  });
});
