/**
 * Guix system images through a real docker-registry (pushed with skopeo, Docker schema 2 and OCI)
 * and the query API: the recipe document (kind `system`, the provenance file's commits), channels.scm
 * and configuration.scm byte for byte as the system stores them, manifest.scm refused with what to
 * ask for, the rebuild script byte-identical to `inspect docker://... --output rebuild`, lookups by
 * channel commit and package, a diff of two systems, verdicts; a system built without
 * --save-provenance says so.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { Value } from 'typebox/value';
import { cli } from '../cli/capture.js';
import { pushArchive } from '../harness/skopeo.js';
import { RecipeDocumentSchema } from '../../services/api/schemas/recipes.js';
import { DiffResponseSchema } from '../../services/api/schemas/queries.js';
import type { SystemRecipe } from '../../shared/guix/recipe.js';
import type { ImageScan } from '../../shared/scan/scan-result.js';
import {
  DEFAULT_LINKS,
  FIXTURE,
  FIXTURE_COMMIT,
  profileItems,
  provenanceItems,
  rootMembers,
  SYS,
  SYSTEM_FIXTURE_ARCHIVE,
  systemDirMembers,
  systemDockerArchive,
} from '../scan/system-image-builder.js';
import { startApiEnv, TOKENS, type ApiEnv } from './api-env.js';

const GUIX_URL = 'https://git.guix.gnu.org/guix.git';
let env: ApiEnv;
let tmp = '';
const digest: Record<string, string> = {};

before(async () => {
  env = await startApiEnv();
  tmp = mkdtempSync(join(tmpdir(), 'system-registry-'));
  const basic = join(tmp, 'system-basic.tar');
  await pipeline(createReadStream(SYSTEM_FIXTURE_ARCHIVE), createGunzip(), createWriteStream(basic));
  const bare = join(tmp, 'bare.tar');
  writeFileSync(
    bare,
    await systemDockerArchive([
      [...profileItems(), ...systemDirMembers({ profile: SYS.profile }), ...rootMembers()],
    ]),
  );
  const renamed = join(tmp, 'renamed.tar');
  const configuration = FIXTURE.configuration.replace('komputilo', 'alia-komputilo');
  writeFileSync(
    renamed,
    await systemDockerArchive([
      [
        ...profileItems(),
        ...provenanceItems({ ...FIXTURE, configuration }),
        ...systemDirMembers(DEFAULT_LINKS),
      ],
    ]),
  );
  for (const [name, archive, format] of [
    ['v2s2', basic, 'v2s2'],
    ['oci', basic, 'oci'],
    ['bare', bare, 'v2s2'],
    ['renamed', renamed, 'oci'],
  ] as const) {
    const p = await pushArchive(archive, `${env.reg.host}/system/${name}:v1`, format);
    digest[name] = p.digest;
    const s = await env.scan(`${env.reg.host}/system/${name}:v1`);
    assert.equal(s.digest, p.digest);
  }
  digest.profile = (await env.push('seed-python-numpy', 'profile/seed', 'v1')).digest;
  await env.scan(`${env.reg.host}/profile/seed:v1`);
});
after(async () => {
  await env?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

async function text(url: string, status = 200): Promise<string> {
  const res = await env.get(url);
  assert.equal(res.statusCode, status, `${url}: ${res.body}`);
  return res.body;
}

void test('the recipe document: kind system, the provenance file and its commits', async () => {
  for (const name of ['v2s2', 'oci']) {
    const res = await env.get(`/v1/recipes/${digest[name]}`);
    assert.equal(res.statusCode, 200, res.body);
    const doc = res.json<{ recipe: SystemRecipe; verified: boolean; rebuild: { kind: string } }>();
    assert.ok(Value.Check(RecipeDocumentSchema, doc), 'the document matches its schema');
    assert.equal(doc.verified, true);
    assert.equal(doc.recipe.kind, 'system');
    assert.equal(doc.recipe.system.directory, FIXTURE.system);
    assert.deepEqual(doc.recipe.system.provenance, {
      status: 'read',
      channels: [{ name: 'guix', url: GUIX_URL, branch: 'master', commit: FIXTURE_COMMIT }],
      configurationFile: SYS.configuration,
    });
    assert.equal(doc.recipe.texts.configuration, FIXTURE.configuration);
    assert.equal(doc.rebuild.kind, 'system-image');
  }
});

void test('channels.scm and configuration.scm byte for byte; manifest.scm refused, naming configuration.scm', async () => {
  for (const name of ['v2s2', 'oci']) {
    const d = digest[name]!;
    const ch = await env.get(`/v1/recipes/${d}/channels.scm`);
    assert.equal(ch.headers['content-type'], 'text/x-scheme; charset=utf-8');
    assert.equal(ch.body, FIXTURE.channels);
    assert.equal(await text(`/v1/recipes/${d}/configuration.scm`), FIXTURE.configuration);
    const m = await env.get(`/v1/recipes/${d}/manifest.scm`);
    assert.equal(m.statusCode, 400);
    const problem = m.json<{ code: string; detail: string }>();
    assert.equal(problem.code, 'usage');
    assert.match(problem.detail, /ask for configuration\.scm/);
  }
});

void test('through docker:// and the API: the same bytes, the rebuild script too', async () => {
  const source = `docker://${env.reg.host}/system/v2s2:v1`;
  const run = async (output: string) => {
    const r = await cli(['inspect', source, '--tls-verify=false', '--output', output]);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout;
  };
  assert.equal(await run('channels'), FIXTURE.channels);
  assert.equal(await run('configuration'), FIXTURE.configuration);
  const scan = JSON.parse(await run('json')) as ImageScan;
  const r = scan.results[0];
  if (r?.kind !== 'recipe' || r.recipe.kind !== 'system') return assert.fail('not a system recipe');
  assert.deepEqual(
    r.recipe.system.provenance?.status === 'read' && r.recipe.system.provenance.channels.map((c) => c.commit),
    [FIXTURE_COMMIT],
  );
  const script = await run('rebuild');
  assert.equal(await text(`/v1/recipes/${digest.v2s2}/rebuild.sh`), script);
  assert.ok(
    script.endsWith('system image -t docker --system=x86_64-linux --save-provenance configuration.scm\n'),
  );
});

void test('found by the system channel commit and by its packages', async () => {
  const list = async (q: string) =>
    (await env.get(`/v1/recipes?${q}`)).json<{ items: { image: string }[] }>().items.map((i) => i.image);
  const byCommit = await list(`channel=${encodeURIComponent(GUIX_URL)}&commit=${FIXTURE_COMMIT}`);
  for (const name of ['v2s2', 'oci', 'renamed'])
    assert.ok(byCommit.includes(`${env.reg.host}/system/${name}@${digest[name]}`), name);
  assert.ok(!byCommit.some((i) => i.includes('/system/bare@')));
  const byPackage = await list('package=python%403.10.7');
  assert.ok(byPackage.includes(`${env.reg.host}/system/bare@${digest.bare}`));
});

void test('a diff of two systems names the configuration that changed', async () => {
  const from = `${env.reg.host}/system/v2s2:v1`;
  const to = `${env.reg.host}/system/renamed:v1`;
  const res = await env.get(`/v1/diff?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
  assert.equal(res.statusCode, 200, res.body);
  const body = res.json<{ diff: { identical: boolean; system?: { configurationChanged: boolean } } }>();
  assert.ok(Value.Check(DiffResponseSchema, body), 'the diff matches its schema');
  assert.equal(body.diff.identical, false);
  assert.equal(body.diff.system?.configurationChanged, true);
});

void test('verdicts judge the system: allowed with provenance, denied without, saying why', async () => {
  const post = async (image: string) =>
    (
      await env.app.inject({
        method: 'POST',
        url: '/v1/verdicts',
        headers: { authorization: `Bearer ${TOKENS.read}` },
        payload: { image },
      })
    ).json<{ outcome: string; reasons: { code: string; message: string }[] }>();
  assert.equal((await post(`${env.reg.host}/system/oci@${digest.oci}`)).outcome, 'allow');
  const bare = await post(`${env.reg.host}/system/bare@${digest.bare}`);
  assert.equal(bare.outcome, 'deny');
  assert.equal(bare.reasons[0]?.code, 'no-provenance');
  assert.match(bare.reasons[0].message, /built without --save-provenance/);
});

void test('a system built without --save-provenance says so; a profile has no configuration.scm', async () => {
  const res = await env.get(`/v1/recipes/${digest.bare}/configuration.scm`);
  assert.equal(res.statusCode, 422);
  assert.match(res.json<{ detail: string }>().detail, /built without --save-provenance/);
  const ch = await env.get(`/v1/recipes/${digest.bare}/channels.scm`);
  assert.equal(ch.statusCode, 422);
  assert.match(ch.json<{ detail: string }>().detail, /built without --save-provenance/);
  const profile = await env.get(`/v1/recipes/${digest.profile}/configuration.scm`);
  assert.equal(profile.statusCode, 400);
  assert.match(profile.json<{ detail: string }>().detail, /ask for manifest\.scm/);
});
