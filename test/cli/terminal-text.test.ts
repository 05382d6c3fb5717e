// Data from images reaches people's terminals only escaped: no control sequence, no forged line, no
// bidi override; ordinary non-ASCII text stays readable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorLine } from '../../services/cli/run-cli.js';
import { printable } from '../../services/cli/terminal-text.js';
import { cli } from './capture.js';

// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

void test('printable escapes controls, DEL, C1 and bidi controls, and nothing else', () => {
  assert.equal(printable('a\x1b[31mb\x07\n\x7f\x9b\u202eZ'), 'a\\x1b[31mb\\x07\\x0a\\x7f\\x9b\\u202eZ');
  assert.equal(printable('héllo ✓ 日本 🐧'), 'héllo ✓ 日本 🐧');
  assert.equal(errorLine('bad\r\nname\u202e.tar '), 'guix-recipes: bad\\x0d\\x0aname\\u202e.tar\n');
});

void test('the summary of a manifest full of escape sequences: one line per item, nothing raw', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'guix-recipes-tty-'));
  try {
    const path = join(tmp, 'manifest');
    // Guile string escapes: \x1b is ESC, \a BEL, \n a newline, \x9b the one-byte CSI.
    writeFileSync(
      path,
      '(manifest (version 4) (packages (' +
        '("\\x1b[2Jred\\a" "1\\nforged line" "out" "/gnu/store/x-héllo-✓" (propagated-inputs ())' +
        ' (properties ((provenance (repository (version 0) (url "https://x\\x9b\\x1b]0;title\\a")' +
        ' (branch "master") (commit "abc") (name guix)))))))))',
    );
    const r = await cli(['inspect', `profile:${path}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, UNSAFE);
    // profile, manifest, channels, packages, and the rebuild command's two lines.
    assert.equal(r.stdout.split('\n').length - 1, 6, r.stdout);
    assert.match(r.stdout, /^channels {3}guix https:\/\/x\\x9b\\x1b\]0;title\\x07 abc \(no introduction\)$/m);
    assert.match(r.stdout, /^packages {3}\\x1b\[2Jred\\x07@1\\x0aforged line$/m);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
