// The command line itself: dispatch, help, usage errors (exit 2), option validation, transports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { cli } from './capture.js';
import { parseInspectArgs, selectResult } from '../../services/cli/commands/inspect.js';
import { findTransport, TRANSPORTS } from '../../services/cli/transports.js';
import { isRecipeError } from '../../shared/errors.js';
import type { ImageScan } from '../../shared/scan/scan-result.js';
import { profileRebuild } from '../../shared/scan/profile-rebuild.js';
import type { ProfileRecipe as Recipe } from '../../shared/guix/recipe.js';

const REBUILD = profileRebuild({ channels: [], packages: [] }, 'docker', 'a test result');

const SEED = 'profile:test/fixtures/guix-images/seed-python-numpy/profile-manifest';

void test('--help lists the commands; no arguments is a usage error', async () => {
  const help = await cli(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: guix-recipes COMMAND/);
  assert.match(help.stdout, /\n {2}inspect {2}/);
  const none = await cli([]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /^Usage: guix-recipes/);
});

void test('inspect --help documents sources, outputs and exit codes', async () => {
  for (const argv of [
    ['inspect', '--help'],
    ['inspect', '-h'],
    ['help', 'inspect'],
    ['inspect', SEED, '--help'],
  ]) {
    const r = await cli(argv);
    assert.equal(r.code, 0, argv.join(' '));
    assert.equal(r.stderr, '');
    for (const word of [
      'profile:PATH',
      'docker-archive:PATH',
      'oci-archive:PATH',
      'oci:DIR[:REF]',
      'docker://',
      '--output',
      'summary',
      '--manifest-style',
      '--printer',
      '--platform',
      '--tls-verify=false',
      '--creds',
      '--authfile',
      '--deep-scan',
      'Exit status',
      'no provenance information for this profile',
    ]) {
      assert.ok(r.stdout.includes(word), `${argv.join(' ')}: help mentions ${word}`);
    }
  }
});

void test('--version prints the package version', async () => {
  const r = await cli(['--version']);
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
  assert.equal(r.stdout, `guix-recipes ${pkg.version}\n`);
});

void test('usage errors: exit 2, one line', async () => {
  const cases: [string[], RegExp][] = [
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['help', 'frobnicate'], /unknown command 'frobnicate'/],
    [['inspect'], /inspect needs a SOURCE/],
    [['inspect', SEED, SEED], /one SOURCE/],
    [
      ['inspect', SEED, '--output', 'yaml'],
      /--output must be one of summary, channels, manifest, configuration, json, rebuild, cyclonedx, cyclonedx-1\.6, cyclonedx-1\.7, spdx, slsa \(got 'yaml'\)/,
    ],
    [['inspect', SEED, '--manifest-style', 'loose'], /--manifest-style must be one of pinned, guix/],
    [['inspect', SEED, '--printer', 'fancy'], /--printer must be one of classic, modern/],
    [['inspect', SEED, '--platform', 'amd64'], /not a platform/],
    [['inspect', SEED, '--tls-verify=maybe'], /--tls-verify must be true or false/],
    [['inspect', SEED, '--creds', 'nocolon'], /--creds must be USER:PASS/],
    [
      ['inspect', SEED, '--no-such-option'],
      /^guix-recipes: Unknown option '--no-such-option'; see 'guix-recipes inspect --help'\n$/,
    ],
    [['inspect', SEED, '--output'], /argument missing|requires|--output/],
    [
      ['inspect', 'nginx:latest'],
      /unknown source 'nginx:latest': it must start with one of profile:, docker-archive:/,
    ],
    [['inspect', 'profile:'], /profile: needs a PATH/],
  ];
  for (const [argv, re] of cases) {
    const r = await cli(argv);
    assert.equal(r.code, 2, `${argv.join(' ')} -> ${r.stderr}`);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^guix-recipes: [^\n]+\n$/, argv.join(' '));
    assert.match(r.stderr, re, argv.join(' '));
  }
});

void test('option parsing: defaults and skopeo spellings', () => {
  const d = parseInspectArgs([SEED]);
  assert.deepEqual(
    {
      output: d.output,
      style: d.manifestStyle,
      printer: d.printer,
      platform: d.platform,
      tls: d.tlsVerify,
      deep: d.deepScan,
    },
    {
      output: 'summary',
      style: 'pinned',
      printer: 'classic',
      platform: { os: 'linux', architecture: 'amd64' },
      tls: true,
      deep: false,
    },
  );
  assert.equal(parseInspectArgs([SEED, '--tls-verify=false']).tlsVerify, false);
  assert.equal(parseInspectArgs([SEED, '--tls-verify']).tlsVerify, true);
  // As with skopeo (a Go bool flag), the value must be attached: `--tls-verify false` is a stray SOURCE.
  assert.throws(
    () => parseInspectArgs([SEED, '--tls-verify', 'false']),
    (e: unknown) => isRecipeError(e, 'usage'),
  );
  const o = parseInspectArgs([
    'docker://h/r',
    '-o',
    'json',
    '--platform',
    'linux/arm64/v8',
    '--creds',
    'u:p:w',
    '--authfile',
    'a.json',
    '--deep-scan',
  ]);
  assert.deepEqual(
    { output: o.output, platform: o.platform, creds: o.creds, authfile: o.authfile, deep: o.deepScan },
    {
      output: 'json',
      platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
      creds: 'u:p:w',
      authfile: 'a.json',
      deep: true,
    },
  );
});

void test('transports: every image prefix has a slot; until filled it says so (usage)', async () => {
  assert.deepEqual(
    TRANSPORTS.map((t) => t.prefix),
    ['docker-archive:', 'oci-archive:', 'oci:', 'docker://', 'oras://'],
  );
  assert.equal(findTransport('oci:dir:tag')?.rest, 'dir:tag');
  assert.equal(findTransport('oci-archive:x.tar')?.transport.prefix, 'oci-archive:');
  assert.equal(findTransport('profile:x'), undefined);
  for (const t of TRANSPORTS) {
    const r = await cli(['inspect', `${t.prefix}whatever`]);
    if (r.stderr.includes('is not available yet')) {
      assert.equal(r.code, 2);
      assert.equal(r.stderr, `guix-recipes: transport ${t.prefix} is not available yet\n`);
    } else {
      // Filled by its helper: a missing archive or unreachable registry is not a usage error.
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /^guix-recipes: [^\n]+\n$/);
    }
  }
});

void test('summary (the default output) names profile, channels and packages', async () => {
  const r = await cli(['inspect', 'profile:test/fixtures/guix-images/mixed-commits/profile-manifest']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^manifest +format version 4, 4 top-level packages$/m);
  assert.match(
    r.stdout,
    /^channels +guix https:\/\/git\.savannah\.gnu\.org\/git\/guix\.git eb34ff16cc9038880e87e1a58a93331fca37ad92 \(\+2 other commits\)$/m,
  );
  assert.match(r.stdout, /guix-hpc .* \(no introduction\)$/m);
  assert.match(r.stdout, /openmpi@4\.1\.6 {2}\[from guix-hpc\]$/m);
  const none = await cli(['inspect', 'profile:test/fixtures/guix-images/no-provenance/profile-manifest']);
  assert.equal(none.code, 0, 'the summary is not a refusal');
  assert.match(none.stdout, /^channels +none: no provenance information for this profile/m);
  assert.match(none.stdout, /hello@2\.12\.1 {2}\[no provenance\]/);
});

void test('summary of a channel recorded without commit and of transformations that are not options', async () => {
  const noCommit = await cli(['inspect', 'profile:test/fixtures/guix-fuzz/c00231/profile-manifest']);
  assert.equal(noCommit.code, 0, noCommit.stderr);
  assert.match(
    noCommit.stdout,
    /^channels +guix https:\/\/git\.savannah\.gnu\.org\/git\/guix\.git \(no commit\) \(\+2 other commits\)$/m,
  );
  const odd = await cli(['inspect', 'profile:test/fixtures/guix-fuzz/c00147/profile-manifest']);
  assert.equal(odd.code, 0, odd.stderr);
  assert.match(odd.stdout, /^ +T@\S+ {2}\[transformations '42; no provenance\]$/m);
});

void test('--output json without provenance: channels [] and no channels text', async () => {
  const r = await cli([
    'inspect',
    'profile:test/fixtures/guix-images/no-provenance/profile-manifest',
    '--output',
    'json',
  ]);
  assert.equal(r.code, 0);
  const recipe = JSON.parse(r.stdout) as Recipe;
  assert.deepEqual(recipe.channels, []);
  assert.equal(recipe.texts.channels, undefined);
  assert.deepEqual(recipe.packagesWithoutProvenance, ['hello@2.12.1', 'bash@5.1.16', 'coreutils@9.1']);
  assert.equal(
    recipe.texts.manifest,
    readFileSync('test/fixtures/guix-images/no-provenance/manifest-pinned.scm', 'utf8'),
  );
});

const DESC = (n: number) => ({
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  digest: `sha256:${String(n).repeat(64).slice(0, 64)}` as const,
  size: 1,
});

void test('platform selection: the asked one of an index, the only one of an image, an error listing the others', () => {
  const recipe = {} as Recipe;
  const index: ImageScan = {
    manifest: {
      mediaType: 'application/vnd.oci.image.index.v1+json',
      digest: `sha256:${'0'.repeat(64)}`,
      size: 1,
    },
    bytesRead: 0,
    results: [
      {
        kind: 'recipe',
        platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
        manifest: DESC(1),
        recipe,
        verified: true,
        rebuild: REBUILD,
      },
      { kind: 'not-guix', platform: { os: 'linux', architecture: 'amd64' }, manifest: DESC(2), reason: 'x' },
    ],
  };
  assert.equal(
    selectResult(index, { os: 'linux', architecture: 'amd64' }).manifest,
    index.results[1]!.manifest,
  );
  assert.equal(
    selectResult(index, { os: 'linux', architecture: 'arm64' }).manifest,
    index.results[0]!.manifest,
  );
  assert.throws(
    () => selectResult(index, { os: 'linux', architecture: 's390x' }),
    (e: unknown) =>
      isRecipeError(e, 'platform-not-found') && /it has: linux\/arm64\/v8, linux\/amd64/.test(e.message),
  );
  const single: ImageScan = {
    manifest: DESC(3),
    bytesRead: 0,
    results: [
      {
        kind: 'recipe',
        platform: { os: 'linux', architecture: 'arm64' },
        manifest: DESC(3),
        recipe,
        verified: true,
        rebuild: REBUILD,
      },
    ],
  };
  assert.equal(selectResult(single, { os: 'linux', architecture: 'amd64' }), single.results[0]);
});
