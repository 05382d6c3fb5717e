// Paths that are not regular files: a FIFO (opening it waits for a writer), a device that never ends
// (/dev/zero), a directory where a file is wanted. Each is refused at once with one line; run through
// the real executable with a timeout, since a hang is the failure being tested.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const tmp = mkdtempSync(join(tmpdir(), 'guix-recipes-special-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

function mkfifo(path: string): string {
  const r = spawnSync('mkfifo', [path]);
  assert.equal(r.status, 0, 'mkfifo');
  return path;
}

function run(...args: string[]) {
  const started = Date.now();
  const r = spawnSync(process.execPath, ['bin/guix-recipes', ...args], { encoding: 'utf8', timeout: 20_000 });
  return { ...r, took: Date.now() - started };
}

function refusedAtOnce(r: ReturnType<typeof run>, code: number, stderr: RegExp): void {
  assert.equal(r.signal, null, `ended by itself (${r.took} ms), not killed by the test's timeout`);
  assert.equal(r.status, code, r.stderr);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^guix-recipes: [^\n]+\n$/, 'exactly one line');
  assert.match(r.stderr, stderr);
}

void test('profile: a FIFO, a profile whose manifest is a FIFO, and /dev/zero: exit 3 at once', () => {
  const fifo = mkfifo(join(tmp, 'fifo'));
  const profile = join(tmp, 'profile');
  mkdirSync(profile);
  mkfifo(join(profile, 'manifest'));
  for (const path of [fifo, profile, '/dev/zero']) {
    refusedAtOnce(run('inspect', `profile:${path}`), 3, /no Guix profile manifest at .*: not a regular file/);
  }
});

void test('docker-archive: and oci-archive: on a FIFO, /dev/zero or a directory; oci: on a file: exit 1 at once', () => {
  const fifo = mkfifo(join(tmp, 'archive-fifo'));
  const dir = join(tmp, 'a-directory');
  mkdirSync(dir);
  for (const transport of ['docker-archive', 'oci-archive']) {
    for (const path of [fifo, `${fifo}:app`, '/dev/zero']) {
      refusedAtOnce(
        run('inspect', `${transport}:${path}`),
        1,
        /: not a regular file, not an image archive\n$/,
      );
    }
    refusedAtOnce(run('inspect', `${transport}:${dir}`), 1, /: a directory, not an image archive\n$/);
  }
  for (const path of [fifo, '/dev/zero', 'package.json']) {
    refusedAtOnce(run('inspect', `oci:${path}`), 1, /: not a directory, so not an OCI layout\n$/);
  }
});
