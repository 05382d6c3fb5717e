// The pack options an image reveals, as the rebuild command: for every fixture image (what it was
// packed with), and for images built here as `guix pack -f docker` builds them with other options.
// An option the image cannot reveal is listed as unknown and left out of the command.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scanImage } from '../../shared/scan/scan-image.js';
import { isRecipeError } from '../../shared/errors.js';
import type { ImageSource } from '../../shared/content/image-source.js';
import { openDockerArchive } from '../../shared/oci/sources/docker-archive-source.js';
import { openOciArchive } from '../../shared/oci/sources/oci-archive-source.js';
import { openOciLayout } from '../../shared/oci/sources/oci-layout-source.js';
import { canonicalizeRepositoryName } from '../../shared/guix/docker-image-name.js';
import { makeRebuild, type Rebuild } from '../../shared/scan/rebuild.js';
import { FIXTURE_NAMES } from '../harness/skopeo.js';
import { buildGuixPack, type PackSpec, type StoreItem } from './guix-pack-builder.js';
import { signal } from './image-builder.js';

const FIXTURES = 'test/fixtures/guix-images';
const SEED_DIR = join(FIXTURES, 'seed-python-numpy');
const SEED = readFileSync(join(SEED_DIR, 'profile-manifest'), 'utf8');
const PROFILE = readFileSync(join(SEED_DIR, 'profile-path'), 'utf8').trim();
const PYTHON = 'lbcpy6c9gryrkwf52hbssggqnh9jnifa-python-3.8.2';
const NUMPY = 'b7qa1kndp8ibwq7r9wl4p3iliqx3vpyl-python-numpy-1.17.3';
const ITEMS: StoreItem[] = [
  {
    name: PYTHON,
    files: { 'bin/python3': '#!/bin/sh\n'.padEnd(3000, '#'), 'lib/libpython.so': 'x'.repeat(2000) },
  },
  { name: NUMPY, files: { 'lib/numpy.so': 'y'.repeat(1000) } },
  { name: '0a1b2c3d4f5g6h7i8j9k0l1m2n3p4q5r-glibc-2.39', files: { 'lib/libc.so': 'z'.repeat(500) } },
];

let tmp = '';
before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'rebuild-options-'));
});
after(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

let n = 0;
async function packFile(spec: Partial<PackSpec>, ext = 'tar.gz'): Promise<string> {
  const path = join(tmp, `pack-${++n}.${ext}`);
  writeFileSync(
    path,
    await buildGuixPack({
      profile: PROFILE,
      manifest: SEED,
      entryNames: ['python', 'python-numpy'],
      items: ITEMS,
      symlinks: [{ source: '/bin', target: 'bin' }],
      ...spec,
    }),
  );
  return path;
}

async function rebuildOf(source: ImageSource): Promise<{ rebuild: Rebuild; bytesRead: number }> {
  const scan = await scanImage(source, { signal: signal() });
  const r = scan.results[0]!;
  assert.equal(r.kind, 'recipe', JSON.stringify(r));
  if (r.kind !== 'recipe') throw new Error('no recipe');
  assert.equal(r.verified, true);
  return { rebuild: r.rebuild, bytesRead: scan.bytesRead };
}

const archiveRebuild = async (path: string): Promise<Rebuild> =>
  (await rebuildOf(await openDockerArchive(path, { signal: signal() }))).rebuild;

const unknownNames = (r: Rebuild): string[] => r.unknown.map((u) => u.option);
const TM = 'guix time-machine -C channels.scm -- pack -f docker';

// --- The fixtures: what the issue says they were packed with. ---

for (const d of FIXTURE_NAMES) {
  void test(`${d}: the options it was packed with`, async () => {
    const path = join(FIXTURES, d, 'image.tar.gz');
    const scan = await scanImage(await openDockerArchive(path, { signal: signal() }), { signal: signal() });
    const r = scan.results[0]!;
    assert.ok(r.kind === 'recipe');
    const o = r.rebuild.options;
    const profile = readFileSync(join(FIXTURES, d, 'profile-path'), 'utf8').trim();
    assert.equal(r.rebuild.kind, 'pack');
    assert.equal(r.rebuild.format, 'docker');
    // No entry point for seed-python-numpy; bin/<first package's name> for every other.
    assert.equal(o.entryPoint, d === 'seed-python-numpy' ? null : `bin/${r.recipe.packages[0]!.name}`);
    assert.deepEqual(o.entryPointArguments, []);
    // /bin -> the profile's bin in every image.
    assert.deepEqual(o.symlinks, [{ source: '/bin', target: 'bin' }]);
    assert.equal(o.maxLayers, d === 'layered' ? 6 : null);
    assert.equal(o.imageTag, null, "Guix's default name");
    assert.equal(o.compression, 'gzip');
    assert.equal(o.localStateDir, false);
    assert.equal(o.relocatable, null);
    assert.equal(o.system, 'x86_64-linux');
    const provenance = d !== 'no-provenance';
    assert.equal(o.saveProvenance, provenance);
    const entry = o.entryPoint === null ? '' : ` --entry-point=${o.entryPoint}`;
    const layers = d === 'layered' ? ' --max-layers=6' : '';
    assert.equal(
      r.rebuild.text,
      `${provenance ? 'guix time-machine -C channels.scm --' : 'guix'} pack -f docker --system=x86_64-linux${entry} -S /bin=bin${layers}${provenance ? ' --save-provenance' : ''} -m manifest.scm`,
    );
    assert.equal(r.rebuild.command.join(' '), r.rebuild.text);
    assert.deepEqual(
      unknownNames(r.rebuild),
      provenance ? ['--target', '--no-grafts'] : ['--target', 'channels', '--no-grafts'],
    );
    assert.ok(r.recipe.profile === profile);
  });
}

void test('layered: the options need no layer below the profile (the early stop holds)', async () => {
  const src = await openDockerArchive(join(FIXTURES, 'layered/image.tar.gz'), { signal: signal() });
  const { descriptor, bytes } = await src.manifest({ signal: signal() });
  const m = JSON.parse(Buffer.from(bytes).toString('utf8')) as { layers: { size: number }[] };
  const { rebuild, bytesRead } = await rebuildOf(src);
  assert.equal(rebuild.options.maxLayers, 6);
  const all = m.layers.reduce((a, l) => a + l.size, 0);
  assert.ok(bytesRead < all, `read ${bytesRead} of ${all} layer bytes (${descriptor.digest})`);
});

void test('the uncompressed fixture is what -C none writes; skopeo copies keep no tag or compression', async () => {
  const tar = join(tmp, 'two-channels.tar');
  copyFileSync(join(FIXTURES, 'two-channels/image.tar.gz'), `${tar}.gz`);
  execFileSync('gunzip', ['-kf', `${tar}.gz`]);
  const plain = await archiveRebuild(tar);
  assert.equal(plain.options.compression, 'none');
  assert.match(plain.text, / -f docker -C none /);
  assert.equal(plain.options.imageTag, null);

  execFileSync('skopeo', ['copy', '-q', `docker-archive:${tar}`, `oci-archive:${join(tmp, 'tc.oci.tar')}`]);
  execFileSync('skopeo', ['copy', '-q', `docker-archive:${tar}`, `oci:${join(tmp, 'tc.oci')}:latest`]);
  execFileSync('skopeo', [
    'copy',
    '-q',
    `docker-archive:${tar}`,
    `docker-archive:${join(tmp, 'tc.resaved.tar')}:two:latest`,
  ]);
  for (const source of [
    await openOciArchive(join(tmp, 'tc.oci.tar'), undefined, { signal: signal() }),
    await openOciLayout(join(tmp, 'tc.oci'), 'latest', { signal: signal() }),
  ]) {
    const { rebuild } = await rebuildOf(source);
    assert.equal(rebuild.options.compression, undefined, source.name);
    assert.equal(rebuild.options.imageTag, undefined, source.name);
    assert.ok(unknownNames(rebuild).includes('-C') && unknownNames(rebuild).includes('--image-tag'));
    assert.deepEqual(rebuild.options.symlinks, plain.options.symlinks);
    assert.equal(rebuild.options.entryPoint, 'bin/python');
    assert.doesNotMatch(rebuild.text, / -f docker -C |--image-tag/);
  }
  // A docker-archive that skopeo wrote again: its names are not Guix's, so -C is unknown; the one
  // RepoTag, of the form Guix writes, still names the image.
  const resaved = await archiveRebuild(join(tmp, 'tc.resaved.tar'));
  assert.equal(resaved.options.compression, undefined);
  assert.match(resaved.unknown.find((u) => u.option === '-C')!.reason, /rewritten/);
  assert.equal(resaved.options.imageTag, 'two');
});

// --- Images built here with other options, as guix pack builds them. ---

void test('no symlink at all: no -S', async () => {
  const r = await archiveRebuild(await packFile({ symlinks: [] }));
  assert.deepEqual(r.options.symlinks, []);
  assert.equal(r.text, `${TM} --system=x86_64-linux --save-provenance -m manifest.scm`);
});

void test('two symlinks, one deep below the root: both, in the order the layer holds them', async () => {
  const symlinks = [
    { source: '/bin', target: 'bin' },
    { source: '/opt/tools/python/current/bin/py', target: 'bin/python3' },
  ];
  const r = await archiveRebuild(await packFile({ symlinks }));
  assert.deepEqual(r.options.symlinks, symlinks);
  assert.equal(
    r.text,
    `${TM} --system=x86_64-linux -S /bin=bin -S /opt/tools/python/current/bin/py=bin/python3 --save-provenance -m manifest.scm`,
  );
  // `-S /opt/guile=` links to the profile itself.
  const whole = await archiveRebuild(await packFile({ symlinks: [{ source: '/opt/guile', target: '' }] }));
  assert.deepEqual(whole.options.symlinks, [{ source: '/opt/guile', target: '' }]);
  assert.match(whole.text, / -S \/opt\/guile= /);
});

void test('entry point and its arguments, quoted for the shell', async () => {
  const r = await archiveRebuild(
    await packFile({ entryPoint: 'bin/python3', entryPointArguments: ['-c', "print('hi there')"] }),
  );
  assert.equal(r.options.entryPoint, 'bin/python3');
  assert.deepEqual(r.options.entryPointArguments, ['-c', "print('hi there')"]);
  assert.deepEqual(r.command.slice(9, 12), [
    '--entry-point=bin/python3',
    '--entry-point-argument=-c',
    "--entry-point-argument=print('hi there')",
  ]);
  assert.match(
    r.text,
    / --entry-point=bin\/python3 --entry-point-argument=-c '--entry-point-argument=print\('\\''hi there'\\''\)' /,
  );
});

void test('a custom --image-tag: the name Guix wrote, as a value that gives it again', async () => {
  for (const [given, expected] of [
    ['My App', 'my.app'],
    ['science/python', 'science.python'],
    ['@team', '+team'],
  ] as const) {
    const r = await archiveRebuild(await packFile({ imageTag: given }));
    assert.equal(r.options.imageTag, expected, given);
    assert.equal(canonicalizeRepositoryName(expected), canonicalizeRepositoryName(given));
    assert.ok(r.command.includes(`--image-tag=${expected}`));
  }
  // The default name given explicitly is the default: no option.
  const same = await archiveRebuild(await packFile({ imageTag: 'Python-Python-Numpy' }));
  assert.equal(same.options.imageTag, null);
  assert.doesNotMatch(same.text, /--image-tag/);
});

void test('-C zstd and -C none: the compression of the archive file', async () => {
  const zst = await packFile({ compression: 'zstd' }, 'tar.zst');
  assert.equal(readFileSync(zst).readUInt32LE(0), 0xfd2fb528);
  const z = await archiveRebuild(zst);
  assert.equal(z.options.compression, 'zstd');
  assert.equal(z.text, `${TM} -C zstd --system=x86_64-linux -S /bin=bin --save-provenance -m manifest.scm`);
  const none = await archiveRebuild(await packFile({ compression: 'none' }, 'tar'));
  assert.equal(none.options.compression, 'none');
  assert.match(none.text, / -C none /);
});

void test('zstd layers in an OCI layout say nothing of -C', async () => {
  const tar = await packFile({ compression: 'none' }, 'tar');
  const layout = join(tmp, 'zstd-layers.oci');
  execFileSync('skopeo', [
    'copy',
    '-q',
    '--dest-compress',
    '--dest-compress-format',
    'zstd',
    `docker-archive:${tar}`,
    `oci:${layout}:python-python-numpy:latest`,
  ]);
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as {
    manifests: { annotations?: Record<string, string> }[];
  };
  assert.equal(
    index.manifests[0]!.annotations?.['org.opencontainers.image.ref.name'],
    'python-python-numpy:latest',
  );
  const src = await openOciLayout(layout, 'python-python-numpy:latest', { signal: signal() });
  const { bytes } = await src.manifest({ signal: signal() });
  assert.match(Buffer.from(bytes).toString('utf8'), /tar\+zstd/);
  const { rebuild } = await rebuildOf(src);
  assert.equal(rebuild.options.compression, undefined);
  assert.ok(unknownNames(rebuild).includes('-C'));
  // The ref.name annotation holds `<name>:latest`: the image's name is known.
  assert.equal(rebuild.options.imageTag, null);
});

void test('--localstatedir: the Guix database under /var/guix, its links not taken for -S', async () => {
  const r = await archiveRebuild(await packFile({ localStateDir: true }));
  assert.equal(r.options.localStateDir, true);
  assert.deepEqual(r.options.symlinks, [{ source: '/bin', target: 'bin' }]);
  assert.equal(
    r.text,
    `${TM} --system=x86_64-linux -S /bin=bin --localstatedir --save-provenance -m manifest.scm`,
  );
});

void test('--max-layers: the layer count, the simplest of the values that give the same image', async () => {
  // Four store items (three and the profile): N = 3 gives 3 layers, N = 4 gives 4.
  for (const maxLayers of [2, 3, 4]) {
    const r = await archiveRebuild(await packFile({ maxLayers }));
    assert.equal(r.options.maxLayers, maxLayers);
    assert.ok(r.command.includes(`--max-layers=${maxLayers}`));
  }
  // Any N above the item count gives the same image as items + 1 = 5: the archives are identical.
  const five = await packFile({ maxLayers: 5 });
  const hundred = await packFile({ maxLayers: 100 });
  assert.deepEqual(readFileSync(five), readFileSync(hundred));
  const r = await archiveRebuild(hundred);
  assert.equal(r.options.maxLayers, 5);
  // A layer added on top (history beyond Guix's one entry): the count says nothing.
  const derived = await archiveRebuild(await packFile({ maxLayers: 3, extraHistory: ['RUN something'] }));
  assert.equal(derived.options.maxLayers, undefined);
  assert.match(derived.unknown.find((u) => u.option === '--max-layers')!.reason, /2 entries/);
});

void test('-R: every entry is a <name>-<version>R wrapper; -RR shows as proot-static in the layers', async () => {
  const wrapped = SEED.replace(`${PYTHON}"`, `${PYTHON}R"`).replace(`${NUMPY}"`, `${NUMPY}R"`);
  const items = ITEMS.map((i) => (i.name === PYTHON || i.name === NUMPY ? { ...i, name: `${i.name}R` } : i));
  const r = await archiveRebuild(await packFile({ manifest: wrapped, items }));
  assert.equal(r.options.relocatable, 'R');
  assert.ok(r.unknown.some((u) => u.option === '-RR'));
  assert.match(r.text, /-f docker -R --system/);
  const proot = { name: '5kq08bdyp20rhpp74qqk6j3kq0r0hr1v-proot-static-5.4.0', files: { 'bin/proot': 'p' } };
  const rr = await archiveRebuild(await packFile({ manifest: wrapped, items: [...items, proot] }));
  assert.equal(rr.options.relocatable, 'RR');
  assert.ok(!rr.unknown.some((u) => u.option === '-RR'));
  assert.match(rr.text, /-f docker -RR --system/);
});

void test('an entry point outside the profile, an architecture Guix does not write: unknown', async () => {
  const path = await packFile({ architecture: 'wasm', foreignEntrypoint: ['/usr/bin/env', 'python3'] });
  const r = await archiveRebuild(path);
  assert.equal(r.options.system, undefined);
  assert.equal(r.options.entryPoint, undefined);
  assert.equal(r.options.entryPointArguments, undefined);
  assert.deepEqual(unknownNames(r), ['--system', '--target', '--entry-point', '--no-grafts']);
  assert.doesNotMatch(r.text, /--system|--entry-point/);
});

void test('an xz-compressed archive (-C xz) is named in one clear error', async () => {
  const tar = await packFile({ compression: 'none' }, 'tar');
  const xz = `${tar}.xz`;
  writeFileSync(xz, execFileSync('xz', ['-c', '-q', tar]));
  await assert.rejects(
    openDockerArchive(xz, { signal: signal() }),
    (e: unknown) =>
      isRecipeError(e, 'unsupported-media-type') && /xz-compressed; decompress it first/.test(e.message),
  );
});

void test('the model renders other kinds too: a system image command', () => {
  const r = makeRebuild({
    kind: 'system-image',
    format: 'docker',
    options: { system: 'aarch64-linux', saveProvenance: true },
    unknown: [],
  });
  assert.equal(
    r.text,
    'guix time-machine -C channels.scm -- system image -t docker --system=aarch64-linux --save-provenance configuration.scm',
  );
  assert.deepEqual(r.command, r.text.split(' '));
});
