// Guix system images (`guix system image -t docker --save-provenance`): the recipe is the system's
// stored channels.scm and configuration.scm, byte for byte, found from the entry point or from
// var/guix/profiles/system-1-link, with their links followed across layers; the provenance file is
// reported beside them. Every odd variant gives the right answer or one clear error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isRecipeError } from '../../shared/errors.js';
import { openDockerArchive } from '../../shared/oci/sources/docker-archive-source.js';
import { scanImage } from '../../shared/scan/scan-image.js';
import { MemoryLayerCache } from '../../shared/scan/layer-cache.js';
import type { ScanResult } from '../../shared/scan/scan-result.js';
import type { SystemRecipe } from '../../shared/guix/recipe.js';
import { renderText } from '../../shared/guix/recipe-texts.js';
import { signal, sourceOf, type Member } from './image-builder.js';
import {
  DEFAULT_LINKS,
  FIXTURE,
  FIXTURE_COMMIT,
  fullSystemMembers,
  profileItems,
  provenanceItems,
  rootMembers,
  SYS,
  SYSTEM_FIXTURE_ARCHIVE,
  systemDirMembers,
  systemImage,
} from './system-image-builder.js';

type RecipeResult = Extract<ScanResult, { kind: 'recipe' }>;

function systemResult(r: ScanResult | undefined): RecipeResult & { recipe: SystemRecipe } {
  assert.ok(r !== undefined);
  assert.equal(r.kind, 'recipe', r.kind === 'recipe' ? '' : r.reason);
  if (r.kind !== 'recipe') throw new Error('unreachable');
  assert.equal(r.recipe.kind, 'system');
  if (r.recipe.kind !== 'system') throw new Error('unreachable');
  return r as RecipeResult & { recipe: SystemRecipe };
}

async function scanLayers(layers: Member[][], opts: { entrypoint?: string[] | null } = {}) {
  const img = await systemImage(layers, opts);
  return scanImage(sourceOf(img), { signal: signal(), layerCache: new MemoryLayerCache() });
}

/** The recipe the fixture's own texts make: every system variant with provenance must give it. */
function assertFixtureRecipe(r: RecipeResult & { recipe: SystemRecipe }, layers = 1): void {
  const recipe = r.recipe;
  assert.equal(recipe.texts.channels, FIXTURE.channels);
  assert.equal(recipe.texts.configuration, FIXTURE.configuration);
  assert.equal(renderText(recipe, { file: 'channels.scm', printer: 'classic' }), FIXTURE.channels);
  assert.equal(renderText(recipe, { file: 'configuration.scm' }), FIXTURE.configuration);
  assert.equal(recipe.system.directory, SYS.system);
  assert.deepEqual(recipe.system.files, {
    provenance: SYS.provenance,
    channels: SYS.channels,
    configuration: SYS.configuration,
  });
  assert.equal(recipe.system.savedProvenance, true);
  const prov = recipe.system.provenance;
  assert.equal(prov?.status, 'read');
  if (prov?.status !== 'read') return;
  assert.deepEqual(
    prov.channels.map((c) => c.commit),
    [FIXTURE_COMMIT],
  );
  assert.equal(prov.configurationFile, SYS.configuration);
  assert.deepEqual(
    recipe.channels.map((c) => [c.name, c.commit, c.introduction !== null]),
    [['guix', FIXTURE_COMMIT, true]],
  );
  // The system profile's packages take the system's channels.
  assert.equal(recipe.profile, SYS.profile);
  assert.deepEqual(
    recipe.packages.map((p) => [p.name, p.channels.map((c) => c.commit)]),
    [['python', [FIXTURE_COMMIT]]],
  );
  assert.deepEqual(recipe.packagesWithoutProvenance, []);
  assert.deepEqual(recipe.system.warnings, []);
  assert.equal(r.rebuild.kind, 'system-image');
  assert.equal(
    r.rebuild.text,
    `guix time-machine -C channels.scm -- system image -t docker --system=x86_64-linux${layers > 1 ? ` --max-layers=${layers}` : ''} --save-provenance configuration.scm`,
  );
}

void test('the fixture through docker-archive: the system recipe, byte for byte as stored', async () => {
  const src = await openDockerArchive(SYSTEM_FIXTURE_ARCHIVE, { signal: signal() });
  try {
    const scan = await scanImage(src, { signal: signal() });
    const r = systemResult(scan.results[0]);
    assert.equal(r.verified, true);
    assert.equal(r.recipe.system.foundBy, 'entry-point');
    assert.equal(r.recipe.system.directory, FIXTURE.system);
    assertFixtureRecipe(r);
    // The provenance file's commit is the JSON's too.
    assert.ok(JSON.stringify(r).includes(FIXTURE_COMMIT));
    assert.equal(r.rebuild.options.maxLayers, null);
  } finally {
    await src.close?.();
  }
});

void test('the same system built by the test builder gives the same recipe', async () => {
  const scan = await scanLayers([fullSystemMembers()]);
  assertFixtureRecipe(systemResult(scan.results[0]));
});

void test('no entry point: the system is found through var/guix/profiles/system-1-link', async () => {
  const scan = await scanLayers([fullSystemMembers()], { entrypoint: null });
  const r = systemResult(scan.results[0]);
  assert.equal(r.recipe.system.foundBy, 'system-link');
  assertFixtureRecipe(r);
});

void test('system-1-link relative, through a relative directory link: the same system', async () => {
  const root: Member[] = [
    { name: 'var/guix/profiles/', type: 'directory' },
    { name: 'store', type: 'symlink', linkname: 'gnu/store' },
    {
      name: 'var/guix/profiles/system-1-link',
      type: 'symlink',
      linkname: `../../../store/${SYS.system.slice('/gnu/store/'.length)}`,
    },
  ];
  const scan = await scanLayers(
    [[...profileItems(), ...provenanceItems(FIXTURE), ...systemDirMembers(DEFAULT_LINKS), ...root]],
    { entrypoint: null },
  );
  const r = systemResult(scan.results[0]);
  assert.equal(r.recipe.system.foundBy, 'system-link');
  assertFixtureRecipe(r);
});

void test('layered: links and their targets in different layers, relative and absolute', async () => {
  const name = (p: string): string => p.slice('/gnu/store/'.length);
  // Bottom: the provenance files. Middle: the profile. Top: the system directory, with relative links.
  const layers: Member[][] = [
    provenanceItems(FIXTURE),
    profileItems(),
    [
      ...systemDirMembers({
        provenance: `../${name(SYS.provenance)}`,
        'channels.scm': `./../../store/${name(SYS.channels)}`,
        'configuration.scm': SYS.configuration,
        profile: `../${name(SYS.profile)}`,
      }),
      ...rootMembers(),
    ],
  ];
  const img = await systemImage(layers);
  const cache = new MemoryLayerCache();
  const first = await scanImage(sourceOf(img), { signal: signal(), layerCache: cache });
  const r = systemResult(first.results[0]);
  assertFixtureRecipe(r, 3);
  assert.equal(r.rebuild.options.maxLayers, 3);
  // The layer summaries keep the texts: a second scan reads no layer byte.
  const again = await scanImage(sourceOf(img), { signal: signal(), layerCache: cache });
  assertFixtureRecipe(systemResult(again.results[0]), 3);
  const blobs = img.layers.reduce((n, l) => n + l.size, 0);
  assert.ok(again.bytesRead < first.bytesRead - blobs + 1, `${again.bytesRead} vs ${first.bytesRead}`);
});

void test('an upper layer that deletes the provenance links: built without them, then', async () => {
  const layers: Member[][] = [
    fullSystemMembers(),
    [
      { name: `${SYS.system.slice(1)}/.wh.provenance` },
      { name: `${SYS.system.slice(1)}/.wh.channels.scm` },
      { name: `${SYS.system.slice(1)}/.wh.configuration.scm` },
    ],
  ];
  const r = systemResult((await scanLayers(layers)).results[0]);
  assert.equal(r.recipe.system.savedProvenance, false);
  assert.equal(r.recipe.texts.channels, undefined);
});

void test('without --save-provenance: a system recipe that says so', async () => {
  const members = [...profileItems(), ...systemDirMembers({ profile: SYS.profile }), ...rootMembers()];
  const r = systemResult((await scanLayers([members])).results[0]);
  assert.equal(r.recipe.system.savedProvenance, false);
  assert.equal(r.recipe.system.provenance, null);
  assert.deepEqual(r.recipe.channels, []);
  assert.deepEqual(r.recipe.packagesWithoutProvenance, ['python@3.10.7']);
  for (const file of ['channels.scm', 'configuration.scm'] as const)
    assert.throws(
      () => renderText(r.recipe, file === 'channels.scm' ? { file, printer: 'classic' } : { file }),
      (e: unknown) => isRecipeError(e, 'no-provenance') && /built without --save-provenance/.test(e.message),
    );
  assert.equal(r.rebuild.text, 'guix system image -t docker --system=x86_64-linux configuration.scm');
  assert.ok(r.rebuild.unknown.some((u) => u.option === 'channels' && /--save-provenance/.test(u.reason)));
  assert.ok(r.rebuild.unknown.some((u) => u.option === 'configuration.scm'));
});

void test('manifest.scm of a system recipe is refused, naming configuration.scm', async () => {
  const r = systemResult((await scanLayers([fullSystemMembers()])).results[0]);
  assert.throws(
    () => renderText(r.recipe, { file: 'manifest.scm', style: 'pinned', printer: 'classic' }),
    (e: unknown) => isRecipeError(e, 'usage') && /configuration\.scm/.test(e.message),
  );
});

void test('a provenance file that is not an s-expression: the recipe stands, the file is reported unreadable', async () => {
  const members = [
    ...profileItems(),
    ...provenanceItems({ ...FIXTURE, provenance: '(provenance (version 0) (channels (channel (name guix' }),
    ...systemDirMembers(DEFAULT_LINKS),
    ...rootMembers(),
  ];
  const r = systemResult((await scanLayers([members])).results[0]);
  assert.equal(r.recipe.system.provenance?.status, 'unreadable');
  assert.equal(r.recipe.texts.channels, FIXTURE.channels);
  assert.equal(r.recipe.texts.configuration, FIXTURE.configuration);
  assert.equal(r.recipe.channels[0]?.commit, FIXTURE_COMMIT);
  assert.equal(r.recipe.system.warnings.length, 1);
  assert.match(r.recipe.system.warnings[0]!, /unreadable: not an s-expression/);
});

void test('a provenance datum of another shape is unrecognised, as Guix reads it (no info)', async () => {
  for (const text of [
    '(provenance (version 1) (channels) (configuration-file #f))',
    '(provenance (version 0) (channels (channel (url "x"))) (configuration-file #f))',
    'provenance',
  ]) {
    const members = [
      ...profileItems(),
      ...provenanceItems({ ...FIXTURE, provenance: text }),
      ...systemDirMembers(DEFAULT_LINKS),
    ];
    const r = systemResult((await scanLayers([members])).results[0]);
    assert.equal(r.recipe.system.provenance?.status, 'unrecognised', text);
    assert.equal(r.recipe.texts.configuration, FIXTURE.configuration);
  }
});

void test('a provenance file that is not UTF-8 text: one clear parse-error', async () => {
  const members = [
    ...profileItems(),
    ...provenanceItems({ ...FIXTURE, provenance: Buffer.from([0x28, 0xff, 0xfe, 0x29]) }),
    ...systemDirMembers(DEFAULT_LINKS),
  ];
  await assert.rejects(
    scanLayers([members]),
    (e: unknown) => isRecipeError(e, 'parse-error') && /provenance .* not UTF-8 text/.test(e.message),
  );
});

void test('a configuration.scm of non-ASCII UTF-8 (and a BOM) is kept byte for byte', async () => {
  const configuration = '\ufeff;; Système «komputilo» — ☃\n(operating-system (host-name "ĥ"))\n';
  const members = [
    ...profileItems(),
    ...provenanceItems({ ...FIXTURE, configuration }),
    ...systemDirMembers(DEFAULT_LINKS),
  ];
  const r = systemResult((await scanLayers([members])).results[0]);
  assert.equal(r.recipe.texts.configuration, configuration);
});

void test('links that loop: one clear invalid-image naming the link', async () => {
  const name = (p: string): string => p.slice('/gnu/store/'.length);
  for (const [what, links, extra] of [
    ['self', { ...DEFAULT_LINKS, 'channels.scm': 'channels.scm' }, []],
    [
      'a cycle through the store',
      { ...DEFAULT_LINKS, 'configuration.scm': `../${name(SYS.configuration)}` },
      [{ name: SYS.configuration.slice(1), type: 'symlink', linkname: `${SYS.system}/configuration.scm` }],
    ],
  ] as [string, Record<string, string>, Member[]][]) {
    const members = [
      ...profileItems(),
      ...provenanceItems({ provenance: FIXTURE.provenance, channels: FIXTURE.channels }),
      ...extra,
      ...systemDirMembers(links),
    ];
    await assert.rejects(
      scanLayers([members]),
      (e: unknown) =>
        isRecipeError(e, 'invalid-image') && /too many levels of symbolic links/.test(e.message),
      what,
    );
  }
});

void test('a looping system-1-link with no entry point: one clear invalid-image', async () => {
  const members = [
    ...fullSystemMembers().filter((m) => !m.name.startsWith('var/')),
    { name: 'var/guix/profiles/system-1-link', type: 'symlink' as const, linkname: 'system' },
    { name: 'var/guix/profiles/system', type: 'symlink' as const, linkname: 'system-1-link' },
  ];
  await assert.rejects(
    scanLayers([members], { entrypoint: null }),
    (e: unknown) => isRecipeError(e, 'invalid-image') && /system-1-link/.test(e.message),
  );
});

void test('links pointing outside the image: one clear invalid-image each', async () => {
  for (const [target, why] of [
    ['../../../../../../../../etc/channels.scm', /leads to no file in the image/],
    ['/home/alice/channels.scm', /leads to no file in the image/],
    ['/etc/passwd', /not where Guix keeps that file/],
  ] as const) {
    const members = [
      { name: 'etc/passwd', content: 'root:x:0:0::/root:/bin/sh\n' },
      ...profileItems(),
      ...provenanceItems(FIXTURE),
      ...systemDirMembers({ ...DEFAULT_LINKS, 'channels.scm': target }),
    ];
    await assert.rejects(
      scanLayers([members]),
      (e: unknown) =>
        isRecipeError(e, 'invalid-image') && /channels\.scm/.test(e.message) && why.test(e.message),
      target,
    );
  }
});

void test('an entry point naming a system that is not in the layers: no-profile, saying which', async () => {
  const other = `/gnu/store/${'z'.repeat(32)}-system`;
  const scan = await scanLayers([fullSystemMembers()], { entrypoint: [SYS.boot, other] });
  const r = scan.results[0]!;
  assert.equal(r.kind, 'no-profile');
  if (r.kind === 'no-profile') assert.ok(r.reason.includes(other));
});

void test('a system file over the cap: one clear size-limit error, its body never read', async () => {
  const members = [
    ...profileItems(),
    ...provenanceItems({ ...FIXTURE, configuration: `;; ${'x'.repeat(3000)}\n` }),
    ...systemDirMembers(DEFAULT_LINKS),
  ];
  const img = await systemImage([members]);
  await assert.rejects(
    scanImage(sourceOf(img), { signal: signal(), maxSystemFileBytes: 1024 }),
    (e: unknown) =>
      isRecipeError(e, 'size-limit') && /configuration\.scm/.test(e.message) && /1024/.test(e.message),
  );
  // Within the cap, the same image gives its recipe.
  const ok = await scanImage(sourceOf(img), { signal: signal(), maxSystemFileBytes: 4096 });
  assert.equal(systemResult(ok.results[0]).recipe.texts.configuration?.length, 3004);
});

void test('a guix pack image is still read as a profile, whatever files it holds', async () => {
  // A pack whose closure happens to hold a system directory: the config points to its profile.
  const members = [...fullSystemMembers()];
  const img = await systemImage([members], { entrypoint: [`${SYS.profile}/bin/python3`, SYS.system] });
  const scan = await scanImage(sourceOf(img), { signal: signal() });
  const r = scan.results[0]!;
  assert.equal(r.kind, 'recipe');
  if (r.kind === 'recipe') assert.equal(r.recipe.kind, 'profile');
});
