// The real executable: bin/guix-recipes, spawned as a user would run it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

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
