// Every fixture image folder, from its profile-manifest, through `inspect profile:`: Guix's own outputs
// byte for byte (classic and modern printers, both manifest styles), and Guix's refusal without provenance.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { cli } from './capture.js';

const IMAGES = 'test/fixtures/guix-images';
const folders = readdirSync(IMAGES)
  .filter((n) => statSync(join(IMAGES, n)).isDirectory())
  .sort();

/** (expected file, extra arguments) for each output Guix printed. */
const OUTPUTS: [string, string[]][] = [
  ['export-channels.scm', ['--output', 'channels']],
  ['export-channels.guile310.scm', ['--output', 'channels', '--printer', 'modern']],
  ['export-manifest.scm', ['--output', 'manifest', '--manifest-style', 'guix']],
  [
    'export-manifest.guile310.scm',
    ['--output', 'manifest', '--manifest-style', 'guix', '--printer', 'modern'],
  ],
  ['manifest-pinned.scm', ['--output', 'manifest', '--manifest-style', 'pinned']],
  ['manifest-pinned.guile310.scm', ['--output', 'manifest', '--printer', 'modern']],
];

void test('there are fixture folders to check', () => {
  assert.ok(folders.length >= 9, `found ${folders.length}`);
});

for (const folder of folders) {
  const dir = join(IMAGES, folder);
  void describe(`fixture ${folder}`, () => {
    const source = `profile:${dir}/profile-manifest`;
    let compared = 0;
    for (const [file, args] of OUTPUTS) {
      const expectedPath = join(dir, file);
      if (file.startsWith('export-channels') && existsSync(join(dir, 'export-channels.error'))) {
        void test(`${args.join(' ')}: exit 4 with Guix's words`, async () => {
          assert.ok(!existsSync(expectedPath), 'a folder has either export-channels.scm or .error');
          const r = await cli(['inspect', source, ...args]);
          assert.equal(r.code, 4);
          assert.equal(r.stdout, '');
          const words = readFileSync(join(dir, 'export-channels.error'), 'utf8').trim();
          assert.equal(words, 'no provenance information for this profile');
          assert.equal(r.stderr, `guix-recipes: ${words}\n`);
        });
        compared++;
        continue;
      }
      compared++;
      void test(`${args.join(' ')} = ${file}`, async () => {
        const expected = readFileSync(expectedPath, 'utf8');
        const r = await cli(['inspect', source, ...args]);
        assert.equal(r.stderr, '');
        assert.equal(r.code, 0);
        assert.equal(r.stdout, expected);
      });
    }
    void test('every expected output was compared', () => {
      assert.equal(compared, OUTPUTS.length);
    });
  });
}

void test('profile: given a profile directory reads its manifest and records the resolved path', async (t) => {
  const { mkdtempSync, copyFileSync, symlinkSync, realpathSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const tmp = mkdtempSync(join(tmpdir(), 'guix-recipes-profile-'));
  t.after(() => rmSync(tmp, { recursive: true, force: true }));
  const profileDir = join(tmp, 'abc-profile');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(profileDir);
  copyFileSync(join(IMAGES, 'two-channels/profile-manifest'), join(profileDir, 'manifest'));
  symlinkSync(profileDir, join(tmp, 'guix-profile'));

  for (const path of [profileDir, join(tmp, 'guix-profile'), join(profileDir, 'manifest')]) {
    const ch = await cli(['inspect', `profile:${path}`, '--output', 'channels']);
    assert.equal(ch.code, 0, ch.stderr);
    assert.equal(ch.stdout, readFileSync(join(IMAGES, 'two-channels/export-channels.scm'), 'utf8'));
    const json = await cli(['inspect', `profile:${path}`, '--output', 'json']);
    assert.equal((JSON.parse(json.stdout) as { profile: string }).profile, realpathSync(profileDir));
  }
  // A relative PATH resolves against the working directory.
  const rel = await cli(
    ['inspect', 'profile:guix-profile', '--output', 'manifest', '--manifest-style', 'guix'],
    { cwd: tmp },
  );
  assert.equal(rel.stdout, readFileSync(join(IMAGES, 'two-channels/export-manifest.scm'), 'utf8'));
});

// The spec's vectors: example1-3 as Guix prints them on both printers.
const VECTORS = 'test/fixtures/guix-vectors';
for (const ex of ['example1', 'example2', 'example3']) {
  const source = `profile:${VECTORS}/${ex}.profile-manifest`;
  for (const [guile, printer] of [
    ['guile309', 'classic'],
    ['guile310', 'modern'],
  ] as const) {
    void test(`vector ${ex} (${guile})`, async () => {
      const channels = await cli(['inspect', source, '--output', 'channels', '--printer', printer]);
      assert.equal(channels.stdout, readFileSync(`${VECTORS}/${ex}.export-channels.${guile}.scm`, 'utf8'));
      const guix = await cli([
        'inspect',
        source,
        '--output',
        'manifest',
        '--manifest-style',
        'guix',
        '--printer',
        printer,
      ]);
      assert.equal(guix.stdout, readFileSync(`${VECTORS}/${ex}.export-manifest.${guile}.scm`, 'utf8'));
      const pinned = await cli([
        'inspect',
        source,
        '--output',
        'manifest',
        '--manifest-style',
        'pinned',
        '--printer',
        printer,
      ]);
      // The fullversions vectors are `manifest->code` with full versions: the pinned style, header included.
      assert.equal(
        pinned.stdout,
        readFileSync(`${VECTORS}/${ex}.export-manifest-fullversions.${guile}.scm`, 'utf8'),
      );
    });
  }
}
