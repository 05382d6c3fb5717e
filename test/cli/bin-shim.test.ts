// The real executable: bin/guix-recipes, spawned as a user would run it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN_FIRST_LINE, SHIPPED_NODE_FLAGS } from '../harness/shipped-node-flags.js';

function run(...args: string[]) {
  return spawnSync(process.execPath, ['bin/guix-recipes', ...args], { encoding: 'utf8', timeout: 60_000 });
}

void test('bin/guix-recipes prints channels.scm byte for byte and exits 0', () => {
  const r = run(
    'inspect',
    'profile:test/fixtures/guix-images/two-channels/profile-manifest',
    '--output',
    'channels',
  );
  assert.equal(r.stderr, '');
  assert.equal(r.status, 0);
  assert.equal(r.stdout, readFileSync('test/fixtures/guix-images/two-channels/export-channels.scm', 'utf8'));
});

void test('bin/guix-recipes exits 4 with one line when there is no provenance', () => {
  const r = run('inspect', 'profile:test/fixtures/guix-images/no-provenance', '--output', 'channels');
  // A directory without `manifest` (the fixture folder) is "no Guix profile found".
  assert.equal(r.status, 3);
  assert.match(r.stderr, /^guix-recipes: no Guix profile manifest at [^\n]+\n$/);
  const r2 = run(
    'inspect',
    'profile:test/fixtures/guix-images/no-provenance/profile-manifest',
    '--output',
    'channels',
  );
  assert.equal(r2.status, 4);
  assert.equal(r2.stdout, '');
  assert.equal(r2.stderr, 'guix-recipes: no provenance information for this profile\n');
});

void test('bin/guix-recipes run as an executable starts Node with the flags of its first line', () => {
  const flags = /^#!\/usr\/bin\/env -S node( --[\w-]+(=\S+)?)+$/.exec(BIN_FIRST_LINE);
  assert.ok(flags, `a first line of the form '#!/usr/bin/env -S node --flag...': ${BIN_FIRST_LINE}`);
  const want = SHIPPED_NODE_FLAGS;
  // A preload prints the process's Node flags; NODE_OPTIONS carries it, as the benchmarks do.
  const dir = mkdtempSync(join(tmpdir(), 'guix-recipes-bin-'));
  try {
    const probe = join(dir, 'probe.mjs');
    writeFileSync(
      probe,
      "process.on('exit', () => process.stderr.write(`execArgv ${JSON.stringify(process.execArgv)}\\n`));\n",
    );
    const r = spawnSync('bin/guix-recipes', ['inspect', '--help'], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, NODE_OPTIONS: `--import=${probe}` },
    });
    assert.equal(r.status, 0, r.stderr);
    const m = /execArgv (.*)\n/.exec(r.stderr);
    assert.ok(m, r.stderr);
    assert.deepEqual(JSON.parse(m[1]!), want);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

void test('npm run bench starts Node with the same flags, so its in-process lines run as a scan does', () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };
  assert.equal(pkg.scripts.bench, `node ${SHIPPED_NODE_FLAGS.join(' ')} --import tsx bench/run.ts`);
});
