// Every fixture image, through docker-archive:, oci-archive: and oci: (the last two made here with
// skopeo), gives exactly the texts Guix itself exported.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scanImage } from '../../shared/scan/scan-image.js';
import { renderChannels, renderManifest } from '../../shared/guix/build-recipe.js';
import { isRecipeError } from '../../shared/errors.js';
import type { ImageSource } from '../../shared/content/image-source.js';
import { openDockerArchive } from '../../shared/oci/sources/docker-archive-source.js';
import { openOciArchive } from '../../shared/oci/sources/oci-archive-source.js';
import { openOciLayout } from '../../shared/oci/sources/oci-layout-source.js';
import { signal } from './image-builder.js';

const FIXTURES = 'test/fixtures/guix-images';
const folders = readdirSync(FIXTURES).filter((d) => existsSync(join(FIXTURES, d, 'image.tar.gz')));
let tmp = '';

before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'scan-fixtures-'));
  for (const d of folders) {
    const tarPath = join(tmp, `${d}.tar`);
    copyFileSync(join(FIXTURES, d, 'image.tar.gz'), `${tarPath}.gz`);
    execFileSync('gunzip', ['-k', `${tarPath}.gz`]);
    execFileSync('skopeo', [
      'copy',
      '-q',
      `docker-archive:${tarPath}`,
      `oci-archive:${join(tmp, `${d}.oci.tar`)}`,
    ]);
    execFileSync('skopeo', [
      'copy',
      '-q',
      `docker-archive:${tarPath}`,
      `oci:${join(tmp, `${d}.oci`)}:latest`,
    ]);
  }
});

after(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

async function expectFixture(d: string, source: ImageSource): Promise<void> {
  const scan = await scanImage(source, { signal: signal() });
  assert.equal(scan.results.length, 1);
  const r = scan.results[0]!;
  assert.equal(r.kind, 'recipe', JSON.stringify(r));
  if (r.kind !== 'recipe') return;
  assert.equal(r.verified, true);
  assert.equal(r.recipe.profile, readFileSync(join(FIXTURES, d, 'profile-path'), 'utf8').trim());
  const dir = join(FIXTURES, d);
  assert.equal(
    renderManifest(r.recipe, { style: 'guix' }),
    readFileSync(join(dir, 'export-manifest.scm'), 'utf8'),
  );
  assert.equal(
    renderManifest(r.recipe, { style: 'pinned' }),
    readFileSync(join(dir, 'manifest-pinned.scm'), 'utf8'),
  );
  if (existsSync(join(dir, 'export-channels.error'))) {
    assert.throws(
      () => renderChannels(r.recipe),
      (e) => isRecipeError(e, 'no-provenance'),
    );
  } else {
    assert.equal(renderChannels(r.recipe), readFileSync(join(dir, 'export-channels.scm'), 'utf8'));
  }
}

for (const d of folders) {
  void test(`${d}: docker-archive (tar.gz as guix pack wrote it)`, async () => {
    await expectFixture(d, await openDockerArchive(join(FIXTURES, d, 'image.tar.gz'), { signal: signal() }));
  });
  void test(`${d}: docker-archive (uncompressed tar)`, async () => {
    await expectFixture(d, await openDockerArchive(join(tmp, `${d}.tar`), { signal: signal() }));
  });
  void test(`${d}: oci-archive made by skopeo`, async () => {
    await expectFixture(d, await openOciArchive(join(tmp, `${d}.oci.tar`), undefined, { signal: signal() }));
  });
  void test(`${d}: oci layout made by skopeo, by ref`, async () => {
    await expectFixture(d, await openOciLayout(join(tmp, `${d}.oci`), 'latest', { signal: signal() }));
  });
}

void test('oci layout: an unknown ref is not-found and lists the refs it has', async () => {
  const d = folders[0]!;
  await assert.rejects(
    openOciLayout(join(tmp, `${d}.oci`), 'nope', { signal: signal() }),
    (e) => isRecipeError(e, 'not-found') && /latest/.test(e.message),
  );
});

void test('the CLI reads a docker-archive: inspect --output channels / manifest, exit 4 without provenance', async () => {
  const { runCli } = await import('../../services/cli/run-cli.js');
  for (const d of folders) {
    let out = '';
    let err = '';
    const io = {
      stdout: { write: (s: string) => (out += s) },
      stderr: { write: (s: string) => (err += s) },
      env: {},
      cwd: process.cwd(),
    };
    const code = await runCli(
      ['inspect', `docker-archive:${join(FIXTURES, d, 'image.tar.gz')}`, '--output', 'channels'],
      io,
    );
    if (existsSync(join(FIXTURES, d, 'export-channels.error'))) {
      assert.equal(code, 4, `${d}: ${err}`);
    } else {
      assert.equal(code, 0, `${d}: ${err}`);
      assert.equal(out, readFileSync(join(FIXTURES, d, 'export-channels.scm'), 'utf8'), d);
    }
  }
});
