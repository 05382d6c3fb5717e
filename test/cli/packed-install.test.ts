/**
 * The CLI installed by itself, as someone with Node 20 and nothing else would install it: `npm pack`
 * of a copy of the working tree (built by its `prepare` script, in a temp dir so that the tree's own
 * dist/ is left alone), then `npm install -g --prefix <tmp> <tarball>`, then the installed
 * `guix-recipes` run on a fixture. Needs the npm registry (the dependencies are fetched, at the
 * versions the lockfile pins, through the tarball's npm-shrinkwrap.json); about a minute.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { tempDir } from '../harness/skopeo.js';

const ROOT = resolve(import.meta.dirname, '../..');
const FIXTURE = join(ROOT, 'test/fixtures/guix-images/two-channels');

/** The environment without npm's own variables (a test run by `npm test` has npm_config_* set). */
function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !/^npm_/i.test(k) && k !== 'INIT_CWD') env[k] = v;
  return env;
}

function run(cmd: string, args: string[], cwd: string, timeoutMs: number): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd, env: cleanEnv(), encoding: 'utf8', timeout: timeoutMs });
  if (r.error) throw r.error;
  return r;
}

let work: string;
let prefix: string;
let tarball: string;

before(async () => {
  work = await tempDir('guix-recipes-pack-');
  const src = join(work, 'src');
  // What the build and the package need: sources, the shim, the pack hooks, package files.
  for (const p of [
    'package.json',
    'package-lock.json',
    'tsconfig.json',
    'tsconfig.build.json',
    'README.md',
    'bin',
    'shared',
    'services',
    'workers',
    'tools/pack-hooks.mjs',
    'tools/bundle-cli.mjs',
  ])
    cpSync(join(ROOT, p), join(src, p), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(src, 'node_modules'), 'dir');
  const out = join(work, 'out');
  mkdirSync(out);
  const packed = run('npm', ['pack', '--pack-destination', out, '--json'], src, 240_000);
  assert.equal(packed.status, 0, packed.stderr);
  const files = readdirSync(out).filter((f) => f.endsWith('.tgz'));
  assert.equal(files.length, 1, packed.stdout);
  tarball = join(out, files[0]!);
  const listed = (JSON.parse(packed.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
  assert.ok(listed.includes('bin/guix-recipes'));
  assert.ok(listed.includes('dist/cli/main.js'), 'the bundle the bin runs');
  assert.deepEqual(
    listed.filter((f) => f.startsWith('dist/') && !f.startsWith('dist/cli/')),
    [],
    'of dist/, only the bundle',
  );
  assert.ok(listed.includes('npm-shrinkwrap.json'), 'the install gets the lockfile versions');
  assert.deepEqual(
    listed.filter((f) => /^(test|bench|docs|shared|services|workers)\/|\.map$|\.ts$/.test(f)),
    [],
    'no tests, fixtures, sources or source maps',
  );
  assert.ok(!existsSync(join(src, 'npm-shrinkwrap.json')), 'the copy is removed after packing');
  prefix = join(work, 'prefix');
  const installed = run(
    'npm',
    ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', tarball],
    work,
    240_000,
  );
  assert.equal(installed.status, 0, installed.stderr);
});
after(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

void test('the installed guix-recipes prints channels.scm byte for byte', () => {
  const bin = join(prefix, 'bin/guix-recipes');
  const r = run(
    bin,
    ['inspect', `docker-archive:${FIXTURE}/image.tar.gz`, '--output', 'channels'],
    work,
    60_000,
  );
  assert.equal(r.stderr, '');
  assert.equal(r.status, 0);
  assert.equal(r.stdout, readFileSync(join(FIXTURE, 'export-channels.scm'), 'utf8'));
});

void test('the installed command has its help and version, and runs from the compiled code alone', () => {
  const bin = join(prefix, 'bin/guix-recipes');
  const version = run(bin, ['--version'], work, 60_000);
  assert.equal(version.status, 0, version.stderr);
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  assert.equal(version.stdout, `guix-recipes ${pkg.version}\n`);
  const help = run(bin, ['inspect', '--help'], work, 60_000);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /^Usage: guix-recipes inspect SOURCE/);
  // No TypeScript runner among what was installed: the bundle is what answered.
  const installedDir = join(prefix, 'lib/node_modules/guix-recipes');
  assert.ok(existsSync(join(installedDir, 'dist/cli/main.js')));
  assert.ok(!existsSync(join(installedDir, 'node_modules/tsx')));
  assert.ok(!existsSync(join(installedDir, 'services')));
});
