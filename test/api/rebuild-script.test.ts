/**
 * The rebuild command through a real docker-registry: images pushed with skopeo (Docker schema 2 and
 * OCI with zstd layers) keep what the image itself shows (entry point and arguments, `-S`,
 * `--max-layers`, `--localstatedir`) but not the archive's tag nor its compression, which are then
 * said to be unknown. GET /v1/recipes/{digest}/rebuild.sh serves the very bytes `inspect --output
 * rebuild` prints (also `?platform=` of an index); a result stored before rebuild commands were
 * recorded gets the command its recipe alone gives.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../cli/capture.js';
import { pushArchive, pushIndex } from '../harness/skopeo.js';
import { buildGuixPack } from '../scan/guix-pack-builder.js';
import type { Rebuild } from '../../shared/scan/rebuild.js';
import { startApiEnv, type ApiEnv } from './api-env.js';

const SEED_DIR = 'test/fixtures/guix-images/seed-python-numpy';
const SEED = readFileSync(join(SEED_DIR, 'profile-manifest'), 'utf8');
const PROFILE = readFileSync(join(SEED_DIR, 'profile-path'), 'utf8').trim();

let env: ApiEnv;
let tmp = '';
const pushed: Record<string, string> = {};

before(async () => {
  env = await startApiEnv();
  tmp = mkdtempSync(join(tmpdir(), 'rebuild-registry-'));
  const archive = join(tmp, 'custom.tar');
  writeFileSync(
    archive,
    await buildGuixPack({
      profile: PROFILE,
      manifest: SEED,
      entryNames: ['python', 'python-numpy'],
      items: [{ name: 'lbcpy6c9gryrkwf52hbssggqnh9jnifa-python-3.8.2', files: { 'bin/python3': 'x' } }],
      symlinks: [
        { source: '/bin', target: 'bin' },
        { source: '/usr/local/bin/py', target: 'bin/python3' },
      ],
      entryPoint: 'bin/python3',
      entryPointArguments: ['-m', 'http.server'],
      imageTag: 'science/web',
      localStateDir: true,
      maxLayers: 2,
      compression: 'none',
    }),
  );
  // The archive itself knows its tag and compression.
  const local = await cli(['inspect', `docker-archive:${archive}`, '--output', 'json']);
  assert.equal(local.code, 0, local.stderr);
  const localRebuild = (JSON.parse(local.stdout) as { results: { rebuild: Rebuild }[] }).results[0]!.rebuild;
  assert.equal(localRebuild.options.imageTag, 'science.web');
  assert.equal(localRebuild.options.compression, 'none');
  for (const format of ['v2s2', 'oci-zstd'] as const) {
    const p = await pushArchive(archive, `${env.reg.host}/custom:${format}`, format);
    pushed[format] = p.digest;
  }
  const seed = await env.push('seed-python-numpy', 'seed', 'v1');
  pushed.seed = seed.digest;
  await env.scan(`${env.reg.host}/seed:v1`);
  const layered = await env.push('layered', 'layered', 'v1');
  const idx = await pushIndex(env.reg.url, 'layered', 'multi', [
    { image: layered, platform: { os: 'linux', architecture: 'amd64' } },
  ]);
  pushed.index = idx.digest;
  await env.scan(`${env.reg.host}/layered:multi`);
});
after(async () => {
  await env?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const registrySource = (ref: string) => `docker://${env.reg.host}/${ref}`;

async function inspect(source: string, output: string): Promise<string> {
  const r = await cli(['inspect', source, '--tls-verify=false', '--output', output]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

for (const format of ['v2s2', 'oci-zstd'] as const) {
  void test(`${format}: the image's own options survive the registry; the archive's tag and -C do not`, async () => {
    const j = JSON.parse(await inspect(registrySource(`custom:${format}`), 'json')) as {
      results: { rebuild: Rebuild }[];
    };
    const r = j.results[0]!.rebuild;
    assert.equal(r.options.entryPoint, 'bin/python3');
    assert.deepEqual(r.options.entryPointArguments, ['-m', 'http.server']);
    assert.deepEqual(r.options.symlinks, [
      { source: '/bin', target: 'bin' },
      { source: '/usr/local/bin/py', target: 'bin/python3' },
    ]);
    assert.equal(r.options.localStateDir, true);
    assert.equal(r.options.maxLayers, 2);
    assert.equal(r.options.imageTag, undefined);
    assert.equal(r.options.compression, undefined);
    const unknown = new Map(r.unknown.map((u) => [u.option, u.reason]));
    assert.match(unknown.get('--image-tag')!, /registry/);
    assert.match(unknown.get('-C')!, /registry/);
    assert.equal(
      r.text,
      'guix time-machine -C channels.scm -- pack -f docker --system=x86_64-linux --entry-point=bin/python3 --entry-point-argument=-m --entry-point-argument=http.server -S /bin=bin -S /usr/local/bin/py=bin/python3 --max-layers=2 --localstatedir --save-provenance -m manifest.scm',
    );
  });
}

void test('rebuild.sh: the bytes inspect --output rebuild prints, as text/x-shellscript', async () => {
  const res = await env.get(`/v1/recipes/${pushed.seed}/rebuild.sh`);
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(res.headers['content-type'], 'text/x-shellscript; charset=utf-8');
  assert.equal(res.body, await inspect(registrySource('seed:v1'), 'rebuild'));
  const modern = await env.get(`/v1/recipes/${pushed.seed}/rebuild.sh?style=guix&printer=modern`);
  assert.equal(
    modern.body,
    (
      await cli([
        'inspect',
        registrySource('seed:v1'),
        '--tls-verify=false',
        '--output',
        'rebuild',
        '--manifest-style',
        'guix',
        '--printer',
        'modern',
      ])
    ).stdout,
  );
  const doc = await env.get(`/v1/recipes/${pushed.seed}`);
  const rebuild = doc.json<{ rebuild: Rebuild }>().rebuild;
  assert.equal(rebuild.options.imageTag, undefined);
  assert.equal(rebuild.options.entryPoint, null);
  assert.ok(res.body.endsWith(`\n${rebuild.text}\n`));
});

void test('rebuild.sh of an index: ?platform= picks the image', async () => {
  const res = await env.get(`/v1/recipes/${pushed.index}/rebuild.sh?platform=linux/amd64`);
  assert.equal(res.statusCode, 200, res.body);
  assert.match(res.body, / --max-layers=6 /);
  assert.equal(res.body, await inspect(registrySource('layered:multi'), 'rebuild'));
  const missing = await env.get(`/v1/recipes/${pushed.index}/rebuild.sh?platform=linux/s390x`);
  assert.equal(missing.statusCode, 404);
  assert.equal(missing.json<{ code: string }>().code, 'platform-not-found');
  const unknown = await env.get(`/v1/recipes/sha256:${'d'.repeat(64)}/rebuild.sh`);
  assert.equal(unknown.statusCode, 404);
});

void test('a result stored before rebuild commands: the command its recipe gives, image options unknown', async () => {
  const key = env.app.store.keys.result(pushed.seed as `sha256:${string}`);
  const saved = await env.app.store.redis.hget(key, 'rebuild');
  assert.ok(saved !== null);
  await env.app.store.redis.hdel(key, 'rebuild');
  try {
    const res = await env.get(`/v1/recipes/${pushed.seed}/rebuild.sh`);
    assert.equal(res.statusCode, 200, res.body);
    assert.ok(
      res.body.endsWith(
        '\nguix time-machine -C channels.scm -- pack -f docker --save-provenance -m manifest.scm\n',
      ),
    );
    assert.match(res.body, /^# {3}-S: the result was stored before rebuild options were recorded/m);
    const doc = await env.get(`/v1/recipes/${pushed.seed}`);
    assert.equal(doc.json<{ rebuild?: Rebuild }>().rebuild, undefined);
  } finally {
    await env.app.store.redis.hset(key, 'rebuild', saved);
  }
});
