// Hostile and broken manifests through the CLI: one clear line on stderr, exit 1, never a stack trace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from './capture.js';

const tmp = mkdtempSync(join(tmpdir(), 'guix-recipes-hostile-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
let n = 0;

function manifestFile(text: string | Buffer): string {
  const path = join(tmp, `m${n++}`);
  writeFileSync(path, text);
  return path;
}

async function refused(text: string | Buffer, stderr: RegExp, code = 1): Promise<void> {
  const r = await cli(['inspect', `profile:${manifestFile(text)}`, '--output', 'manifest']);
  assert.equal(r.code, code, r.stderr);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^guix-recipes: [^\n]+\n$/, 'exactly one line');
  assert.doesNotMatch(r.stderr, /\bat .*\.(ts|js):\d+/, 'no stack trace');
  assert.match(r.stderr, stderr);
}

void test('version 99: the error names the version', async () => {
  await refused(
    '(manifest (version 99) (packages ()))',
    /^guix-recipes: \S+: unsupported manifest format version 99\n$/,
  );
});

void test('version 1 and version 0 are refused too', async () => {
  await refused('(manifest (version 1) (packages ()))', /unsupported manifest format version 1\n/);
  await refused('(manifest (version 0) (packages ()))', /unsupported manifest format version 0\n/);
});

void test('unbalanced parentheses', async () => {
  await refused('(manifest (version 4) (packages ()', /line 1, column \d+/);
  await refused('(manifest (version 4) (packages ())))', /line 1, column \d+/);
});

void test('#. (read-time evaluation) is refused, never evaluated', async () => {
  await refused('(manifest (version 4) (packages (#.(system "touch /tmp/pwned"))))', /line 1, column \d+/);
});

void test('a million nested lists', async () => {
  await refused('('.repeat(1_000_000) + ')'.repeat(1_000_000), /line 1, column \d+: .*(nest|deep)/i);
});

void test('a 64 MiB string', async () => {
  const big = Buffer.alloc(64 * 1024 * 1024 + 64, 'a');
  Buffer.from('(manifest (version 4) (packages (("').copy(big, 0);
  Buffer.from('")))))').copy(big, big.length - 6);
  await refused(big, /larger than|too (long|large)|limit/i);
});

void test('a string just over the reader bound inside a small file', async () => {
  await refused(
    `(manifest (version 4) (packages (("${'x'.repeat(1024 * 1024 + 1)}" "1" "out" "/p"))))`,
    /line \d+, column \d+/,
  );
});

void test('a well-formed datum of the wrong shape', async () => {
  await refused('(manifest (version 4) (packages "nope"))', /not a Guix profile manifest/);
  await refused(
    '(manifest (version 4) (packages ((repeated "a" "1" "/gnu/store/x-a-1"))))',
    /invalid repeated entry in profile/,
  );
  await refused(
    '(manifest (version 4) (packages (("a" "1" "out" "/p" (properties ((transformations . 1+2i)))))))',
    /transformations/,
  );
});

void test('invalid UTF-8', async () => {
  await refused(Buffer.from([0x28, 0xff, 0xfe, 0x29]), /not valid UTF-8/);
});

void test('no Guix profile: exit 3', async () => {
  const empty = join(tmp, 'empty-dir');
  mkdirSync(empty);
  for (const path of [empty, join(tmp, 'does-not-exist')]) {
    const r = await cli(['inspect', `profile:${path}`]);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /^guix-recipes: no Guix profile[^\n]*\n$/);
  }
});

void test('trailing data after the manifest datum is refused', async () => {
  await refused('(manifest (version 4) (packages ())) (extra)', /line 1, column \d+/);
});
