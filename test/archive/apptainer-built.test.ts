// SIF files and squashfs packs made by the tests (the SIF writer of this folder, the real mksquashfs):
// the layouts the fixture files do not show, each read through `inspect` or the scan functions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../cli/capture.js';
import { memoryReader } from '../../shared/archive/random-access.js';
import { scanSif, scanSquashfs } from '../../shared/scan/scan-apptainer.js';
import {
  DATA_DEFFILE,
  DATA_GENERIC_JSON,
  DATA_PARTITION,
  DATA_SIGNATURE,
  FS_EXT3,
  FS_SQUASHFS,
  PART_DATA,
  PART_PRIMARY,
  PART_SYSTEM,
  wrapSquashfs,
  writeSif,
} from './sif-writer.js';
import { buildSquashfs, guixPackTree, HASH, PROFILE } from './squashfs-build.js';
import type { Tree } from './squashfs-build.js';
import type { ArchiveScan } from '../../shared/scan/artifact.js';

const FIXTURE = 'test/fixtures/apptainer/seed-python-numpy';
const IMAGES = 'test/fixtures/guix-images';
const SEED = readFileSync(join(IMAGES, 'seed-python-numpy/profile-manifest'), 'utf8');
const SEED_CHANNELS = readFileSync(join(FIXTURE, 'expected-channels.scm'), 'utf8');
const TWO = readFileSync(join(IMAGES, 'two-channels/profile-manifest'), 'utf8');
const GZ = readFileSync(join(FIXTURE, 'squashfs/python-python-numpy-squashfs-pack.gz.squashfs'));
const signal = new AbortController().signal;

const tmp = mkdtempSync(join(tmpdir(), 'guix-recipes-apptainer-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
function file(bytes: Uint8Array, ext: string): string {
  const p = join(tmp, `${n++}.${ext}`);
  writeFileSync(p, bytes);
  return p;
}

async function json(source: string): Promise<ArchiveScan & { source: string }> {
  const r = await cli(['inspect', source, '--output', 'json']);
  assert.equal(r.stderr, '');
  assert.equal(r.code, 0);
  return JSON.parse(r.stdout) as ArchiveScan & { source: string };
}

async function channels(source: string): Promise<string> {
  const r = await cli(['inspect', source, '--output', 'channels']);
  assert.equal(r.stderr, '');
  assert.equal(r.code, 0);
  return r.stdout;
}

void test('the SIF writer of the tests writes the fixture `sif new` + `sif add` file byte for byte', () => {
  const sif = writeSif({
    uuid: 'c42a07697326 4ec9b9c3dc5ace82cb60'.replace(' ', ''),
    createdAt: 1748858700,
    modifiedAt: 1748858703,
    objects: [
      {
        dataType: DATA_PARTITION,
        data: GZ,
        group: 1,
        partition: { fsType: FS_SQUASHFS, partType: PART_PRIMARY, arch: '02\0' },
      },
    ],
  });
  assert.ok(Buffer.from(sif).equals(readFileSync(join(FIXTURE, 'sif/python-numpy.gz-wrap.sif'))));
});

void test('a partition in no group (group field 0xf0000000): group null, the same recipe', async () => {
  const path = file(wrapSquashfs(GZ, { group: null }), 'sif');
  const j = await json(`sif:${path}`);
  assert.equal(j.artifact.sif!.descriptors.length, 1);
  assert.equal(j.artifact.sif!.descriptors[0]!.groupId, null);
  assert.equal(j.artifact.sif!.header.arch, 'amd64');
  assert.equal(await channels(`sif:${path}`), SEED_CHANNELS);
});

void test('several descriptors: the one primary system partition is read, links and groups reported', async () => {
  const decoy = buildSquashfs(guixPackTree({ manifest: TWO }));
  const sif = writeSif({
    uuid: '0123456789abcdef0123456789abcdef',
    objects: [
      { dataType: DATA_DEFFILE, data: Buffer.from('bootstrap: localimage\nfrom: x\n\n') },
      { dataType: DATA_GENERIC_JSON, data: Buffer.from('{"labels":{}}'), name: 'inspect-metadata.json' },
      // A system partition that is not the primary one, holding another profile.
      {
        dataType: DATA_PARTITION,
        data: decoy,
        group: 2,
        partition: { fsType: FS_SQUASHFS, partType: PART_SYSTEM },
      },
      {
        dataType: DATA_PARTITION,
        data: new Uint8Array(4096),
        partition: { fsType: FS_EXT3, partType: PART_DATA },
      },
      {
        dataType: DATA_PARTITION,
        data: GZ,
        partition: { fsType: FS_SQUASHFS, partType: PART_PRIMARY, arch: '04\0' },
      },
      { dataType: DATA_SIGNATURE, data: Buffer.from('signature'), link: 5 },
      { dataType: DATA_SIGNATURE, data: Buffer.from('group signature'), group: null, link: 0xf0000001 },
    ],
  });
  const path = file(sif, 'sif');
  assert.equal(await channels(`sif:${path}`), SEED_CHANNELS);
  const j = await json(`sif:${path}`);
  const d = j.artifact.sif!.descriptors;
  assert.deepEqual(
    d.map((x) => [x.id, x.dataTypeName, x.groupId, x.link, x.name]),
    [
      [1, 'Def.FILE', 1, null, ''],
      [2, 'JSON.Generic', 1, null, 'inspect-metadata.json'],
      [3, 'FS', 2, null, ''],
      [4, 'FS', 1, null, ''],
      [5, 'FS', 1, null, ''],
      [6, 'Signature', 1, { object: 5 }, ''],
      [7, 'Signature', null, { group: 1 }, ''],
    ],
  );
  assert.deepEqual(d[3]!.partition, {
    fsType: 2,
    fsTypeName: 'Ext3',
    partType: 3,
    partTypeName: 'Data',
    archCode: '02',
  });
  assert.equal(j.artifact.sif!.partition.id, 5);
  assert.equal(j.artifact.sif!.header.arch, 'arm64');
  assert.equal(j.artifact.sif!.header.uuid, '01234567-89ab-cdef-0123-456789abcdef');
  assert.match(j.rebuild.unknown.map((u) => u.reason).join('\n'), /the SIF header says arm64/);
  assert.equal(j.recipe.profile, `/${PROFILE}`);
});

void test('a profile reached only through chains of symlinks (relative and absolute, the profile itself a link)', async () => {
  const real = 'opt/real-profile';
  // The profile's files live under opt/real-profile only; /gnu/store/<hash>-profile links there.
  const tree = guixPackTree({ manifest: SEED, noBin: true });
  const moved: Tree = {};
  for (const [path, node] of Object.entries(tree))
    moved[path.startsWith(`${PROFILE}/`) ? real + path.slice(PROFILE.length) : path] = node;
  Object.assign(moved, {
    // The environment script through three links, one absolute.
    '.singularity.d/env/90-environment.sh': { symlink: '../../links/env' },
    'links/env': { symlink: '/links/deeper/env2' },
    'links/deeper/env2': { symlink: `../../gnu/store/${HASH.environment}-singularity-environment.sh` },
    // The profile directory is a link to a link to the real directory.
    [PROFILE]: { symlink: '../../opt/profile-link' },
    'opt/profile-link': { symlink: `/${real}` },
  });
  const path = file(buildSquashfs(moved), 'squashfs');
  assert.equal(await channels(`squashfs:${path}`), SEED_CHANNELS);
  const j = await json(`squashfs:${path}`);
  assert.equal(j.artifact.pack.foundBy, 'environment-script');
  assert.equal(j.recipe.profile, `/${PROFILE}`);
});

void test('a profile whose store name no listing would take, reached only by /bin through three links', async () => {
  const item = `gnu/store/${HASH.profile}-prof`;
  const tree = guixPackTree({ manifest: SEED, noBin: true, noEnvironment: true });
  const moved: Tree = {};
  for (const [path, node] of Object.entries(tree))
    moved[path.startsWith(`${PROFILE}/`) ? item + path.slice(PROFILE.length) : path] = node;
  Object.assign(moved, {
    bin: { symlink: 'usr/bin' },
    'usr/bin': { symlink: '/links/bin' },
    'links/bin': { symlink: `../${item}/bin` },
  });
  const path = file(buildSquashfs(moved), 'squashfs');
  assert.equal(await channels(`squashfs:${path}`), SEED_CHANNELS);
  const j = await json(`squashfs:${path}`);
  assert.equal(j.artifact.pack.foundBy, 'bin-symlink');
  assert.equal(j.recipe.profile, `/${item}`);
  // Each link of the chain enters the profile's bin: all are reported as -S candidates.
  assert.deepEqual(
    j.artifact.pack.symlinks.map((l) => l.source),
    ['/bin', '/links/bin', '/usr/bin'],
  );
});

void test('decoy manifest files elsewhere in the tree are never taken', async () => {
  const decoys = {
    manifest: { file: TWO },
    '.singularity.d/manifest': { file: TWO },
    [`gnu/store/${HASH.decoy}-decoy/manifest`]: { file: TWO },
    [`gnu/store/${HASH.other}-other-profile/manifest`]: { file: TWO },
    [`${PROFILE}/share/manifest`]: { file: TWO },
  };
  // The pack's own pointers name the profile: the other '-profile' item is not looked at.
  const pointed = file(buildSquashfs(guixPackTree({ manifest: SEED, extra: decoys })), 'squashfs');
  assert.equal(await channels(`squashfs:${pointed}`), SEED_CHANNELS);
  assert.equal((await json(`squashfs:${pointed}`)).artifact.pack.foundBy, 'bin-symlink');

  // No pointers: the only '*profile' store item with a manifest.
  const { [`gnu/store/${HASH.other}-other-profile/manifest`]: _, ...rest } = decoys;
  const listed = file(
    buildSquashfs(guixPackTree({ manifest: SEED, noBin: true, noEnvironment: true, extra: rest })),
    'squashfs',
  );
  assert.equal(await channels(`squashfs:${listed}`), SEED_CHANNELS);
  assert.equal((await json(`squashfs:${listed}`)).artifact.pack.foundBy, 'store-listing');

  // No pointers and two profiles: which one is not guessed.
  const two = file(
    buildSquashfs(guixPackTree({ manifest: SEED, noBin: true, noEnvironment: true, extra: decoys })),
    'squashfs',
  );
  const r2 = await cli(['inspect', `squashfs:${two}`]);
  assert.equal(r2.code, 3);
  assert.match(
    r2.stderr,
    /^guix-recipes: several profiles in \/gnu\/store .* and nothing in the image says which one it runs\n$/,
  );

  // Only decoys: no profile (exit 3).
  const none = file(buildSquashfs({ ...rest, 'bin/sh': { file: '' } }), 'squashfs');
  const r3 = await cli(['inspect', `squashfs:${none}`, '--output', 'channels']);
  assert.equal(r3.code, 3);
  assert.equal(r3.stdout, '');
  assert.match(
    r3.stderr,
    /^guix-recipes: no \/gnu\/store\/<hash>-profile\/manifest in the squashfs image\n$/,
  );
});

void test('what the pack reveals becomes the rebuild command: -C xz, --entry-point, -S, --localstatedir', async () => {
  const tree = guixPackTree({
    manifest: SEED,
    entryPoint: 'bin/python3',
    extra: {
      'usr/bin/env': { symlink: `../../${PROFILE}/bin/env` },
      'opt/unrelated': { symlink: `/gnu/store/${HASH.python}-python-3.8.2/bin` },
      'var/guix/db/db.sqlite': { file: 'SQLite format 3\0' },
    },
  });
  for (const compression of ['xz', 'zstd'] as const) {
    const path = file(buildSquashfs(tree, { compression }), 'squashfs');
    const j = await json(`squashfs:${path}`);
    assert.equal(j.artifact.squashfs.compression, compression);
    assert.equal(j.artifact.pack.entryPoint, 'bin/python3');
    assert.deepEqual(
      j.artifact.pack.clues.map((c) => c.clue),
      ['bin-symlink', 'environment-script', 'runscript'],
    );
    assert.equal(
      j.rebuild.text,
      `guix time-machine -C channels.scm -- pack -f squashfs -C ${compression} --entry-point=bin/python3 -S /bin=bin -S /usr/bin/env=bin/env --localstatedir --save-provenance -m manifest.scm`,
    );
    assert.equal(await channels(`squashfs:${path}`), SEED_CHANNELS);
  }
});

void test('a profile without provenance: exit 4 for channels, a plain guix pack command', async () => {
  const manifest = readFileSync(join(IMAGES, 'no-provenance/profile-manifest'), 'utf8');
  const path = file(wrapSquashfs(buildSquashfs(guixPackTree({ manifest }))), 'sif');
  const r = await cli(['inspect', `sif:${path}`, '--output', 'channels']);
  assert.equal(r.code, 4);
  assert.equal(r.stderr, 'guix-recipes: no provenance information for this profile\n');
  const m = await cli(['inspect', `sif:${path}`, '--output', 'manifest', '--manifest-style', 'guix']);
  assert.equal(m.stdout, readFileSync(join(IMAGES, 'no-provenance/export-manifest.scm'), 'utf8'));
  const j = await json(`sif:${path}`);
  assert.equal(j.rebuild.text, 'guix pack -f squashfs -S /bin=bin -m manifest.scm');
  assert.ok(j.rebuild.unknown.some((u) => u.option === 'channels' && /no provenance/.test(u.reason)));
});

void test('a manifest over several data blocks and a fragment (4 KiB blocks), in every compression', async () => {
  const manifest = readFileSync(join(IMAGES, 'layered/profile-manifest'), 'utf8');
  assert.ok(manifest.length > 2 * 4096);
  for (const compression of ['gzip', 'xz', 'zstd'] as const) {
    const path = file(
      buildSquashfs(guixPackTree({ manifest }), { compression, blockSize: 4096 }),
      'squashfs',
    );
    assert.equal(
      await channels(`squashfs:${path}`),
      readFileSync(join(IMAGES, 'layered/export-channels.scm'), 'utf8'),
    );
  }
});

void test('only the blocks needed are read: a 3 MiB file elsewhere in the image is not', async () => {
  const image = buildSquashfs(
    guixPackTree({
      manifest: SEED,
      extra: { [`gnu/store/${HASH.decoy}-big/data`]: { file: randomBytes(3 * 1024 * 1024) } },
    }),
  );
  assert.ok(image.length > 3 * 1024 * 1024);
  const scan = await scanSquashfs(memoryReader(image), { signal });
  assert.equal(scan.recipe.texts.channels, SEED_CHANNELS);
  assert.ok(scan.bytesRead < 128 * 1024, `read ${scan.bytesRead} of ${image.length}`);
  // The same through a SIF, and the same recipe as from the file on disk.
  const sif = await scanSif(memoryReader(wrapSquashfs(image)), { signal });
  assert.deepEqual(sif.recipe, scan.recipe);
  assert.ok(sif.bytesRead < 128 * 1024 + 32 * 1024);
});
