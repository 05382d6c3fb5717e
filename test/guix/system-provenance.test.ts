// The files provenance-service-type stores for a Guix system, read without evaluation: the
// `provenance` file as Guix's sexp->system-provenance reads it, the stored channels.scm matched
// against channel->code's shape, and the system Recipe made of them (and stored Recipes of the
// older shape read back as profile recipes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  provenanceChannels,
  readProvenanceFile,
  readSystemChannels,
  systemChannelsText,
} from '../../shared/guix/system-provenance.js';
import { buildSystemRecipe } from '../../shared/guix/build-system-recipe.js';
import { readRecipe, type ProfileRecipe } from '../../shared/guix/recipe.js';
import { renderAllTexts, renderText } from '../../shared/guix/recipe-texts.js';
import { buildRecipe } from '../../shared/guix/build-recipe.js';

const DIR = 'test/fixtures/system-images/system-basic';
const PROVENANCE = readFileSync(`${DIR}/provenance`, 'utf8');
const CHANNELS = readFileSync(`${DIR}/channels.scm`, 'utf8');
const CONFIGURATION = readFileSync(`${DIR}/configuration.scm`, 'utf8');
const COMMIT = /\(commit "([0-9a-f]{40})"\)/.exec(PROVENANCE)![1]!;
const CONFIG_PATH = /\(configuration-file "([^"]+)"\)/.exec(PROVENANCE)![1]!;
const SYSTEM = readFileSync(`${DIR}/system-path`, 'utf8').trim();
const PROFILE_MANIFEST =
  '(manifest (version 4) (packages (("hello" "2.12.1" "out" "/gnu/store/' +
  'a'.repeat(32) +
  '-hello-2.12.1"))))\n';

void test("the fixture's provenance file reads as Guix reads it", () => {
  const p = readProvenanceFile(PROVENANCE);
  assert.equal(p.status, 'read');
  if (p.status !== 'read') return;
  assert.deepEqual(p.channels, [
    { name: 'guix', url: 'https://git.guix.gnu.org/guix.git', branch: 'master', commit: COMMIT },
  ]);
  assert.equal(p.configurationFile, CONFIG_PATH);
});

void test('provenance files Guix reads as nothing, and text that does not read', () => {
  const shapes: [string, 'read' | 'unrecognised' | 'unreadable'][] = [
    ['(provenance (version 0) (channels) (configuration-file #f))', 'read'],
    ['(provenance (version #x0) (channels) (configuration-file "/x"))', 'read'],
    ['(provenance (version 0.0) (channels) (configuration-file #f))', 'unrecognised'],
    ['(provenance (version 0) (channels) (configuration-file 42))', 'unrecognised'],
    ['(provenance (version 0) (channels) (configuration-file #f) (extra))', 'unrecognised'],
    ['(provenance (version 0) (configuration-file #f))', 'unrecognised'],
    [
      '(provenance (version 0) (channels (channel (name guix) (url 1) (branch #f) (commit #f))) (configuration-file #f))',
      'unrecognised',
    ],
    ['#(provenance)', 'unrecognised'],
    ['"provenance"', 'unrecognised'],
    ['(provenance (version 0)', 'unreadable'],
    [')', 'unreadable'],
    ['', 'unreadable'],
    ['(a) (b)', 'unreadable'],
  ];
  for (const [text, status] of shapes) assert.equal(readProvenanceFile(text).status, status, text);
  // A channel with extra fields after its commit reads (Guix's `rest ...`), #f branch and commit too.
  const p = readProvenanceFile(
    '(provenance (version 0) (channels (channel (name x) (url "u") (branch #f) (commit #f) (introduction 1))) (configuration-file #f))',
  );
  assert.deepEqual(p, {
    status: 'read',
    channels: [{ name: 'x', url: 'u', branch: null, commit: null }],
    configurationFile: null,
  });
});

void test("the stored channels.scm matches channel->code's shape and prints back byte for byte", () => {
  const channels = readSystemChannels(CHANNELS);
  assert.ok(Array.isArray(channels), typeof channels === 'string' ? channels : '');
  if (!Array.isArray(channels)) return;
  assert.deepEqual(
    channels.map((c) => [c.name, c.branch, c.commit, c.commits]),
    [['guix', 'master', COMMIT, [COMMIT]]],
  );
  assert.equal(channels[0]!.introduction?.commit, '9edb3f66fd807b096b48283debdcddccfea34bad');
  assert.equal(systemChannelsText(channels, 'classic'), CHANNELS);
});

void test('channels.scm of other shapes say why they are not channel->code', () => {
  for (const text of [
    '%default-channels',
    '(list (channel (name "guix") (url "u")))',
    "(list (channel (name 'guix) (url 5)))",
    '(list (channel (name \'guix) (url "u") (url "v")))',
    '(list (channel (name \'guix) (url "u") (colour "red")))',
    '(list (channel (name \'guix) (url "u") (introduction (make-channel-introduction "c" "fp"))))',
    '(list (channel',
    '(cons (channel) %default-channels)',
  ])
    assert.equal(typeof readSystemChannels(text), 'string', text);
  const ok = readSystemChannels('(list (channel (name \'x) (url "u") (branch #f)))');
  assert.deepEqual(ok, [
    { name: 'x', url: 'u', branch: null, commit: null, introduction: null, commits: [null] },
  ]);
});

void test('a system recipe: the stored texts verbatim, the provenance beside them, packages with the channels', () => {
  const recipe = buildSystemRecipe({
    directory: SYSTEM,
    foundBy: 'entry-point',
    provenance: { path: '/gnu/store/p-provenance', text: PROVENANCE },
    channels: { path: '/gnu/store/c-channels.scm', text: CHANNELS },
    configuration: { path: CONFIG_PATH, text: CONFIGURATION },
    profile: { path: `/gnu/store/${'b'.repeat(32)}-profile`, manifest: PROFILE_MANIFEST },
  });
  assert.equal(recipe.kind, 'system');
  assert.equal(recipe.texts.channels, CHANNELS);
  assert.equal(recipe.texts.configuration, CONFIGURATION);
  assert.deepEqual(recipe.system.warnings, []);
  assert.deepEqual(recipe.packages[0]!.channels, [
    { name: 'guix', url: 'https://git.guix.gnu.org/guix.git', commit: COMMIT },
  ]);
  assert.equal(recipe.manifestVersion, 4);
  // Every text the store keeps: channels.scm (both printers: the stored file) and configuration.scm.
  const texts = renderAllTexts(recipe);
  assert.deepEqual(Object.keys(texts).sort(), [
    'channels.scm:classic',
    'channels.scm:modern',
    'configuration.scm',
  ]);
  assert.equal(texts['channels.scm:modern'], CHANNELS);
  // The JSON round trip keeps the kind.
  assert.equal(readRecipe(JSON.parse(JSON.stringify(recipe))).kind, 'system');
});

void test('a system recipe warns when its files disagree, and rebuilds channels.scm from provenance alone', () => {
  const other = PROVENANCE.replace(COMMIT, 'f'.repeat(40)).replace(
    CONFIG_PATH,
    '/gnu/store/x-configuration.scm',
  );
  const disagreeing = buildSystemRecipe({
    directory: SYSTEM,
    foundBy: 'system-link',
    provenance: { path: '/gnu/store/p-provenance', text: other },
    channels: { path: '/gnu/store/c-channels.scm', text: CHANNELS },
    configuration: { path: CONFIG_PATH, text: CONFIGURATION },
  });
  assert.equal(disagreeing.channels[0]!.commit, COMMIT, "channels.scm's channels win");
  assert.equal(disagreeing.system.warnings.length, 2);
  assert.equal(disagreeing.profile, null);
  assert.equal(disagreeing.manifestVersion, null);

  const provenanceOnly = buildSystemRecipe({
    directory: SYSTEM,
    foundBy: 'entry-point',
    provenance: { path: '/gnu/store/p-provenance', text: PROVENANCE },
  });
  assert.equal(provenanceOnly.channels[0]!.commit, COMMIT);
  const read = readProvenanceFile(PROVENANCE);
  assert.ok(read.status === 'read');
  assert.equal(
    provenanceOnly.texts.channels,
    systemChannelsText(provenanceChannels(read.channels), 'classic'),
  );
  assert.match(provenanceOnly.texts.channels, /^\(list \(channel\n {8}\(name 'guix\)/);
  assert.throws(
    () => renderText(provenanceOnly, { file: 'configuration.scm' }),
    /no configuration file was recorded/,
  );
});

void test('stored recipes of the older shape read as profile recipes', () => {
  const profile: ProfileRecipe = buildRecipe(PROFILE_MANIFEST, { profile: null });
  const { kind: _kind, ...withoutKind } = profile;
  assert.equal(readRecipe(withoutKind).kind, 'profile');
  assert.equal(readRecipe(JSON.parse(JSON.stringify(profile))).kind, 'profile');
  const read = readRecipe(withoutKind);
  assert.equal(
    renderText(read, { file: 'manifest.scm', style: 'pinned', printer: 'classic' }),
    profile.texts.manifest,
  );
  assert.throws(
    () => renderText(read, { file: 'configuration.scm' }),
    (e: unknown) => e instanceof Error && /ask for manifest\.scm/.test(e.message),
  );
});
