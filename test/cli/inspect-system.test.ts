// `inspect` on Guix system images: --output channels and configuration print the system's stored
// files byte for byte, --output manifest is a usage error that names --output configuration, the
// summary and JSON name the system and its provenance file, and the rebuild script (run with a fake
// `guix`) writes both files and runs the `guix system image` command. A system image built without
// --save-provenance says so, in those words.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from './capture.js';
import type { ImageScan } from '../../shared/scan/scan-result.js';
import {
  FIXTURE,
  FIXTURE_COMMIT,
  fullSystemMembers,
  profileItems,
  provenanceItems,
  rootMembers,
  SYS,
  SYSTEM_FIXTURE_ARCHIVE,
  SYSTEM_FIXTURE_DIR,
  systemDirMembers,
  systemDockerArchive,
} from '../scan/system-image-builder.js';

const SOURCE = `docker-archive:${SYSTEM_FIXTURE_ARCHIVE}`;
let tmp = '';
let fakeBin = '';
before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'inspect-system-'));
  fakeBin = join(tmp, 'bin');
  mkdirSync(fakeBin);
  // A fake guix: records its argv (NUL-separated); refuses to run without the files it reads.
  writeFileSync(
    join(fakeBin, 'guix'),
    [
      '#!/bin/sh',
      'for a in "$@"; do printf "%s\\0" "$a"; done > guix-argv',
      'test -f configuration.scm || { echo "no configuration.scm" >&2; exit 9; }',
      'test -f channels.scm || { echo "no channels.scm" >&2; exit 9; }',
    ].join('\n') + '\n',
  );
  chmodSync(join(fakeBin, 'guix'), 0o755);
});
after(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

async function ok(args: string[]): Promise<string> {
  const r = await cli(args);
  assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

void test('channels.scm and configuration.scm, byte for byte as the system stores them', async () => {
  assert.equal(await ok(['inspect', SOURCE, '--output', 'channels']), FIXTURE.channels);
  assert.equal(
    await ok(['inspect', SOURCE, '--output', 'configuration']),
    readFileSync(join(SYSTEM_FIXTURE_DIR, 'configuration.scm'), 'utf8'),
  );
  // The stored file is the answer whatever printer is asked.
  assert.equal(
    await ok(['inspect', SOURCE, '--output', 'channels', '--printer', 'modern']),
    FIXTURE.channels,
  );
});

void test('--output manifest is a usage error that says why and what to ask for', async () => {
  const r = await cli(['inspect', SOURCE, '--output', 'manifest']);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /system image's recipe is its configuration\.scm/);
  assert.match(r.stderr, /--output configuration/);
});

void test('--output configuration of a profile is a usage error that names manifest.scm', async () => {
  const r = await cli([
    'inspect',
    'docker-archive:test/fixtures/guix-images/seed-python-numpy/image.tar.gz',
    '--output',
    'configuration',
  ]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /ask for manifest\.scm/);
});

void test('--output json: the system, its provenance file and its commits', async () => {
  const scan = JSON.parse(await ok(['inspect', SOURCE, '--output', 'json'])) as ImageScan;
  const r = scan.results[0]!;
  assert.equal(r.kind, 'recipe');
  if (r.kind !== 'recipe' || r.recipe.kind !== 'system') return assert.fail('not a system recipe');
  assert.equal(r.recipe.system.directory, FIXTURE.system);
  assert.deepEqual(r.recipe.system.provenance, {
    status: 'read',
    channels: [
      { name: 'guix', url: 'https://git.guix.gnu.org/guix.git', branch: 'master', commit: FIXTURE_COMMIT },
    ],
    configurationFile: SYS.configuration,
  });
  assert.equal(r.recipe.texts.configuration, FIXTURE.configuration);
  assert.equal(r.rebuild.kind, 'system-image');
});

void test('the summary names the system, its recipe files and the rebuild command', async () => {
  const out = await ok(['inspect', SOURCE]);
  assert.match(out, new RegExp(`^system +${FIXTURE.system} `, 'm'));
  assert.match(out, new RegExp(`^recipe +channels\\.scm +${SYS.channels}$`, 'm'));
  assert.match(out, new RegExp(`^channels +guix \\S+ ${FIXTURE_COMMIT}$`, 'm'));
  assert.match(out, /the system profile: not the recipe/);
  assert.match(out, /^rebuild +guix time-machine -C channels\.scm -- system image -t docker /m);
});

void test('the rebuild script writes both files and runs the guix system image command', async () => {
  const scan = JSON.parse(await ok(['inspect', SOURCE, '--output', 'json'])) as ImageScan;
  const r = scan.results[0]!;
  if (r.kind !== 'recipe') return assert.fail('no recipe');
  const dir = join(tmp, 'run');
  mkdirSync(dir);
  writeFileSync(join(dir, 'rebuild.sh'), await ok(['inspect', SOURCE, '--output', 'rebuild']));
  const res = spawnSync('sh', ['rebuild.sh'], {
    cwd: dir,
    encoding: 'utf8',
    env: { PATH: `${fakeBin}:${process.env.PATH ?? '/usr/bin:/bin'}` },
  });
  assert.equal(res.status, 0, res.stderr);
  assert.equal(readFileSync(join(dir, 'channels.scm'), 'utf8'), FIXTURE.channels);
  assert.equal(readFileSync(join(dir, 'configuration.scm'), 'utf8'), FIXTURE.configuration);
  const argv = readFileSync(join(dir, 'guix-argv'), 'utf8').split('\0');
  argv.pop();
  assert.deepEqual(argv, r.rebuild.command.slice(1));
  assert.deepEqual(argv.slice(0, 4), ['time-machine', '-C', 'channels.scm', '--']);
  assert.equal(argv.at(-1), 'configuration.scm');
});

void test('a system image built without --save-provenance says so, in those words', async () => {
  const archive = join(tmp, 'no-provenance.tar');
  writeFileSync(
    archive,
    await systemDockerArchive([
      [...profileItems(), ...systemDirMembers({ profile: SYS.profile }), ...rootMembers()],
    ]),
  );
  const source = `docker-archive:${archive}`;
  for (const output of ['channels', 'configuration', 'rebuild']) {
    const r = await cli(['inspect', source, '--output', output]);
    assert.equal(r.code, 4, `${output}: ${r.stderr}`);
    assert.match(r.stderr, /built without --save-provenance/, output);
  }
  const summary = await ok(['inspect', source]);
  assert.match(summary, /^recipe +none: this Guix system image was built without --save-provenance$/m);
  assert.match(summary, /^rebuild +guix system image -t docker --system=x86_64-linux configuration\.scm$/m);
});

void test('a layered archive without entry point: found through system-1-link', async () => {
  const archive = join(tmp, 'layered.tar');
  const all = fullSystemMembers();
  const store = all.filter((m) => m.name.startsWith('gnu/store/') && !m.name.startsWith(SYS.system.slice(1)));
  const rest = all.filter((m) => !store.includes(m));
  writeFileSync(archive, await systemDockerArchive([store, rest], { entrypoint: null }));
  const source = `docker-archive:${archive}`;
  assert.equal(await ok(['inspect', source, '--output', 'channels']), FIXTURE.channels);
  assert.equal(await ok(['inspect', source, '--output', 'configuration']), FIXTURE.configuration);
  const scan = JSON.parse(await ok(['inspect', source, '--output', 'json'])) as ImageScan;
  const r = scan.results[0]!;
  if (r.kind !== 'recipe' || r.recipe.kind !== 'system') return assert.fail('not a system recipe');
  assert.equal(r.recipe.system.foundBy, 'system-link');
  assert.equal(r.rebuild.options.maxLayers, 2);
  // Provenance items sit in the lower layer; the links in the upper one.
  assert.ok(provenanceItems(FIXTURE).every((m) => store.some((s) => s.name === m.name)));
});
