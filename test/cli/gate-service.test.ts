// `guix-recipes gate --server` against the real service: the API listening on a socket, the verdict
// route answering from what the real worker stored after scanning fixture images pushed to a real
// docker-registry. The client and the route agree on the contract: exit 0 allow, 1 deny with the
// reasons, 2 for a policy with mistakes, 3 for what the server cannot decide.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startServer, type StartedServer } from '../../services/api/server.js';
import { createRegistryAccess } from '../../shared/config/registry-access.js';
import { startApiEnv, TOKENS, type ApiEnv } from '../api/api-env.js';
import { pushFixture, tempDir } from '../harness/skopeo.js';
import { cli } from './capture.js';

void describe('gate --server against the real verdict route', { timeout: 300_000 }, () => {
  let env: ApiEnv;
  let server: StartedServer;
  let work: string;
  let policy: string;
  const token = { GUIX_RECIPES_TOKEN: TOKENS.read };

  before(async () => {
    work = await tempDir('guix-recipes-gate-service-');
    env = await startApiEnv({ file: () => ({ policies: { verdictScanWaitSeconds: 0 } }) });
    for (const f of ['seed-python-numpy', 'two-channels']) {
      await env.push(f, f, 'v1');
      await env.scan(`${env.reg.host}/${f}:v1`);
    }
    server = await startServer({
      config: { ...env.config, port: 0 },
      registries: createRegistryAccess(env.config),
    });
    policy = join(work, 'policy.yaml');
    await writeFile(
      policy,
      'apiVersion: guix-recipes/v1\nkind: Policy\nname: ci\nrules:\n  packages:\n    deny: ["python@<3.10"]\n',
    );
    const stored = await env.app.inject({
      method: 'PUT',
      url: '/v1/policies/stored',
      headers: { authorization: `Bearer ${TOKENS.admin}`, 'content-type': 'application/yaml' },
      payload:
        'apiVersion: guix-recipes/v1\nkind: Policy\nname: stored\nrules:\n  channels: { allowWithoutIntroduction: false }\n',
    });
    assert.equal(stored.statusCode, 201, stored.body);
  });
  after(async () => {
    await server?.close();
    await env?.stop();
  });

  const gate = (image: string, ...extra: string[]) =>
    cli(['gate', `${env.reg.host}/${image}`, '--server', server.url, ...extra], { env: token });

  void test('the default policy: allowed (0)', async () => {
    const r = await gate('two-channels:v1');
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /^allow 127\.0\.0\.1:\d+\/two-channels:v1 \(policy default sha256:[0-9a-f]{64}\)\n$/,
    );
    assert.equal(r.stderr, '');
  });

  void test('a policy file sent inline: denied (1), the reason on stderr', async () => {
    const r = await gate('seed-python-numpy:v1', '--policy', policy);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stderr, 'deny: package-denied: package python@3.8.2 is denied by "python@<3.10"\n');
    const ok = await gate('two-channels:v1', '--policy', policy, '--output', 'json');
    assert.equal(ok.code, 0, ok.stderr);
    const v = JSON.parse(ok.stdout) as { outcome: string; policy: { name: string }; recipeDigests: string[] };
    assert.equal(v.outcome, 'allow');
    assert.equal(v.policy.name, 'ci');
    assert.equal(v.recipeDigests.length, 1);
  });

  void test('a stored policy by name', async () => {
    const r = await gate('two-channels:v1', '--policy-name', 'stored');
    assert.equal(r.code, 0, r.stderr);
    const missing = await gate('two-channels:v1', '--policy-name', 'absent');
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /the server answered 404: no policy named absent/);
  });

  void test('not scanned, under a policy that asks for a scan the server will not wait for: could not decide (3)', async () => {
    await pushFixture('two-channels', `${env.reg.host}/later:v1`, 'v2s2', work);
    const file = join(work, 'scan.yaml');
    await writeFile(
      file,
      'apiVersion: guix-recipes/v1\nkind: Policy\nname: ci\nrules:\n  unscanned: { action: scan }\n',
    );
    const r = await gate('later:v1', '--policy', file);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /^needs-scan: not-scanned: .*\nguix-recipes: could not decide/);
    const deny = await gate('later:v1');
    assert.equal(deny.code, 1, 'the default policy denies what is not scanned');
  });

  void test('a bad reference is a usage error (2); a wrong token could not decide (3)', async () => {
    const r = await cli(['gate', `${env.reg.host}/Bad:1`, '--server', server.url], { env: token });
    assert.equal(r.code, 2);
    const wrong = await cli(['gate', `${env.reg.host}/two-channels:v1`, '--server', server.url], {
      env: { GUIX_RECIPES_TOKEN: 'not-a-token-at-all' },
    });
    assert.equal(wrong.code, 3);
    assert.match(wrong.stderr, /the server answered 401/);
  });
});
