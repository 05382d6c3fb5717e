// `inspect --output rebuild` for every kind of source (docker-archive, OCI layout, sif:, squashfs:,
// profile:): a POSIX shell script that `sh -n` accepts and that, run with a fake `guix` first on PATH,
// writes exactly the `--output channels` / `--output manifest` texts and runs exactly the rebuild
// command of `--output json`. The summary ends with that command. The here-documents hold any text.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from './capture.js';
import { heredocDelimiter, rebuildScript } from '../../shared/scan/rebuild-script.js';
import { makeRebuild, type Rebuild } from '../../shared/scan/rebuild.js';

const FIX = 'test/fixtures/guix-images';
const SIF = 'test/fixtures/apptainer/seed-python-numpy';

let tmp = '';
let fakeBin = '';
before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'inspect-rebuild-'));
  fakeBin = join(tmp, 'bin');
  mkdirSync(fakeBin);
  // A fake guix: records its argv (NUL-separated) and what it found in the working directory.
  writeFileSync(
    join(fakeBin, 'guix'),
    [
      '#!/bin/sh',
      'for a in "$@"; do printf "%s\\0" "$a"; done > guix-argv',
      'test -f manifest.scm || { echo "no manifest.scm" >&2; exit 9; }',
      'ls > guix-saw',
    ].join('\n') + '\n',
  );
  chmodSync(join(fakeBin, 'guix'), 0o755);
});
after(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

let runs = 0;
/** Run `script` with sh in a fresh directory, the fake guix first on PATH. */
function runScript(script: string): { dir: string; argv: string[] } {
  const dir = join(tmp, `run-${++runs}`);
  mkdirSync(dir);
  writeFileSync(join(dir, 'rebuild.sh'), script);
  const check = spawnSync('sh', ['-n', 'rebuild.sh'], { cwd: dir, encoding: 'utf8' });
  assert.equal(check.status, 0, `sh -n: ${check.stderr}`);
  const res = spawnSync('sh', ['rebuild.sh'], {
    cwd: dir,
    encoding: 'utf8',
    env: { PATH: `${fakeBin}:${process.env.PATH ?? '/usr/bin:/bin'}` },
  });
  assert.equal(res.status, 0, `sh rebuild.sh: ${res.stderr}`);
  const argv = readFileSync(join(dir, 'guix-argv'), 'latin1').split('\0');
  argv.pop();
  return { dir, argv: argv.map((a) => Buffer.from(a, 'latin1').toString('utf8')) };
}

async function ok(args: string[]): Promise<string> {
  const r = await cli(args);
  assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** The rebuild of a source as --output json reports it. */
async function jsonRebuild(source: string): Promise<Rebuild> {
  const j = JSON.parse(await ok(['inspect', source, '--output', 'json'])) as {
    rebuild?: Rebuild;
    results?: { rebuild: Rebuild }[];
  };
  return j.rebuild ?? j.results![0]!.rebuild;
}

const SOURCES: [string, string, boolean][] = [
  ['docker-archive (seed)', `docker-archive:${FIX}/seed-python-numpy/image.tar.gz`, true],
  ['docker-archive (layered)', `docker-archive:${FIX}/layered/image.tar.gz`, true],
  ['docker-archive (no provenance)', `docker-archive:${FIX}/no-provenance/image.tar.gz`, false],
  ['sif', `sif:${SIF}/sif/python-numpy.gz-build.sif`, true],
  ['squashfs', `squashfs:${SIF}/squashfs/python-python-numpy-squashfs-pack.xz.squashfs`, true],
];

for (const [what, source, provenance] of SOURCES) {
  void test(`${what}: the script writes the two texts and runs the rebuild command`, async () => {
    const rebuild = await jsonRebuild(source);
    const script = await ok(['inspect', source, '--output', 'rebuild']);
    assert.ok(script.startsWith('#!/bin/sh\n'));
    assert.match(script, /^set -eu$/m);
    const { dir, argv } = runScript(script);
    assert.equal(rebuild.command[0], 'guix');
    assert.deepEqual(argv, rebuild.command.slice(1));
    assert.equal(
      readFileSync(join(dir, 'manifest.scm'), 'utf8'),
      await ok(['inspect', source, '--output', 'manifest']),
    );
    if (provenance)
      assert.equal(
        readFileSync(join(dir, 'channels.scm'), 'utf8'),
        await ok(['inspect', source, '--output', 'channels']),
      );
    else assert.equal(existsSync(join(dir, 'channels.scm')), false);
    // Every unknown option is listed in a comment.
    for (const u of rebuild.unknown) assert.ok(script.includes(`#   ${u.option}: `), u.option);
    // The summary ends with the command.
    const summary = await ok(['inspect', source]);
    assert.ok(summary.endsWith(`rebuild    ${rebuild.text}\n`), summary);
  });
}

void test('the script honours --manifest-style and --printer, as --output manifest does', async () => {
  const source = `docker-archive:${FIX}/two-channels/image.tar.gz`;
  const opts = ['--manifest-style', 'guix', '--printer', 'modern'];
  const { dir } = runScript(await ok(['inspect', source, '--output', 'rebuild', ...opts]));
  assert.equal(
    readFileSync(join(dir, 'manifest.scm'), 'utf8'),
    readFileSync(join(FIX, 'two-channels/export-manifest.guile310.scm'), 'utf8'),
  );
  assert.equal(
    readFileSync(join(dir, 'channels.scm'), 'utf8'),
    readFileSync(join(FIX, 'two-channels/export-channels.guile310.scm'), 'utf8'),
  );
});

void test('profile: the pack command without image options, each listed as unknown', async () => {
  const source = `profile:${FIX}/seed-python-numpy/profile-manifest`;
  const script = await ok(['inspect', source, '--output', 'rebuild']);
  const text = 'guix time-machine -C channels.scm -- pack --save-provenance -m manifest.scm';
  assert.ok(script.endsWith(`\n${text}\n`));
  for (const o of [
    '-f',
    '--entry-point',
    '-S',
    '--max-layers',
    '--image-tag',
    '--localstatedir',
    '-C',
    '--system',
  ])
    assert.match(
      script,
      new RegExp(`^#   ${o.replaceAll('-', '\\-')}: a profile on disk is not a pack`, 'm'),
      o,
    );
  const { argv, dir } = runScript(script);
  assert.deepEqual(argv, text.split(' ').slice(1));
  assert.equal(
    readFileSync(join(dir, 'channels.scm'), 'utf8'),
    readFileSync(join(FIX, 'seed-python-numpy/export-channels.scm'), 'utf8'),
  );
  const summary = await ok(['inspect', source]);
  assert.ok(summary.endsWith(`rebuild    ${text}\n`));
  assert.match(summary, /^not known {2}-f --entry-point /m);
});

void test('here-documents carry any text: delimiter lines, $, backquotes, no final newline', () => {
  const nasty = [
    ";; a comment with $HOME, `id`, $(echo hi), \\ and 'quotes'",
    'GUIX_RECIPES_EOF',
    'GUIX_RECIPES_EOF_1',
    '  GUIX_RECIPES_EOF',
    'ünïcödé ✓',
    '',
  ].join('\n');
  assert.equal(heredocDelimiter(nasty), 'GUIX_RECIPES_EOF_2');
  const rebuild = makeRebuild({
    kind: 'pack',
    format: 'docker',
    options: { saveProvenance: true, entryPoint: "bin/it's $(here)" },
    unknown: [{ option: '--image-tag', reason: 'a reason\nwith a newline; rm -rf /' }],
  });
  const manifest = 'no final newline\nGUIX_RECIPES_EOF\n$(touch pwned)';
  const script = rebuildScript(rebuild, { channels: nasty, manifest });
  assert.match(script, /^# {3}--image-tag: a reason\?with a newline; rm -rf \/$/m);
  const { dir, argv } = runScript(script);
  assert.equal(readFileSync(join(dir, 'channels.scm'), 'utf8'), nasty);
  assert.equal(readFileSync(join(dir, 'manifest.scm'), 'utf8'), manifest);
  assert.equal(existsSync(join(dir, 'pwned')), false);
  assert.deepEqual(argv, rebuild.command.slice(1));
  assert.ok(argv.includes("--entry-point=bin/it's $(here)"));
  // Without provenance the script writes no channels.scm and the command is a plain guix pack.
  const plain = makeRebuild({
    kind: 'pack',
    format: 'docker',
    options: { saveProvenance: false },
    unknown: [],
  });
  const run = runScript(rebuildScript(plain, { manifest: '(x)\n' }));
  assert.deepEqual(run.argv, ['pack', '-f', 'docker', '-m', 'manifest.scm']);
  assert.equal(existsSync(join(run.dir, 'channels.scm')), false);
});
