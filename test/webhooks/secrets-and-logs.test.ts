// Per-registry webhook secrets next to GUIX_RECIPES_WEBHOOK_SECRET, and secrets never in log lines.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { post, startWebhookEnv, type WebhookEnv } from './webhook-env.js';
import { acrPush, dockerHub, githubPackage, githubSignature, harborDefault, quay } from './payloads.js';

const ENV_SECRET = 'env-secret-serves-all-senders-9f3a';
const HARBOR_SECRET = 'harbor-only-secret-for-the-test-registry-71c2';
const WRONG = 'wrong-token-that-must-not-be-logged-5d8e';

void describe('webhook secrets: per registry, and from GUIX_RECIPES_WEBHOOK_SECRET', () => {
  let env: WebhookEnv;
  const lines: string[] = [];
  before(async () => {
    const logStream = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString('utf8'));
        cb();
      },
    });
    env = await startWebhookEnv({
      logStream,
      // no `webhooks.secret` in the file: the environment's serves every sender
      env: { GUIX_RECIPES_WEBHOOK_SECRET: ENV_SECRET },
      file: (reg) => ({
        webhooks: {},
        registries: [
          { host: reg.host, insecure: true, webhook: { sender: 'harbor', secret: HARBOR_SECRET } },
        ],
      }),
    });
  });
  after(async () => {
    await env?.stop();
  });

  void it('the configuration holds both secrets', () => {
    assert.equal(env.config.webhooks.secret, ENV_SECRET);
    assert.equal(env.config.registries[0]!.webhook?.secret, HARBOR_SECRET);
  });

  void it('?registry= naming a registry with its own secret: only that secret opens it', async () => {
    const pushed = await env.push('seed-python-numpy', 'team/per-registry', 'v1');
    const body = harborDefault({
      host: 'harbor.example.com',
      repository: 'team/per-registry',
      tag: 'v1',
      digest: pushed.digest,
    });
    const q = { registry: env.reg.host };
    const withEnvSecret = await post(env.app, 'harbor', body, {
      headers: { authorization: `Bearer ${ENV_SECRET}` },
      query: q,
    });
    assert.equal(withEnvSecret.statusCode, 401);
    const ok = await post(env.app, 'harbor', body, {
      headers: { authorization: `Bearer ${HARBOR_SECRET}` },
      query: q,
    });
    assert.equal(ok.statusCode, 202, ok.body);
    await env.waitDone('team/per-registry', pushed.digest);
    await env.recipeMatches('seed-python-numpy', pushed.digest);
  });

  void it('a per-registry secret binds its registry: the host in the body does not matter', async () => {
    const pushed = await env.push('two-channels', 'team/bound', 'v1');
    const body = harborDefault({
      host: env.trap.host,
      repository: 'team/bound',
      tag: 'v1',
      digest: pushed.digest,
    });
    const res = await post(env.app, 'harbor', body, { headers: { authorization: HARBOR_SECRET } });
    assert.equal(res.statusCode, 202, res.body);
    assert.deepEqual(
      res.json<{ queued: { image: string }[] }>().queued.map((x) => x.image),
      [`${env.reg.host}/team/bound@${pushed.digest}`],
    );
    await env.waitDone('team/bound', pushed.digest);
    assert.equal(env.trap.hits(), 0);
  });

  void it('the environment secret serves the other senders (and harbor for the event host)', async () => {
    const raw = Buffer.from(
      JSON.stringify(githubPackage({ owner: 't', name: 'a', tag: 'v', digest: `sha256:${'8'.repeat(64)}` })),
    );
    const gh = await post(env.app, 'github', raw, {
      headers: { 'x-hub-signature-256': githubSignature(ENV_SECRET, raw), 'x-github-delivery': 'env-1' },
    });
    assert.equal(gh.statusCode, 200, gh.body); // authenticated; ghcr.io is not configured
    const gh2 = await post(env.app, 'github', raw, {
      headers: { 'x-hub-signature-256': githubSignature(HARBOR_SECRET, raw), 'x-github-delivery': 'env-2' },
    });
    assert.equal(gh2.statusCode, 401); // harbor's secret is harbor's
    const dh = await post(env.app, 'dockerhub', dockerHub('team/x', 'v1'), { query: { token: ENV_SECRET } });
    assert.equal(dh.statusCode, 200, dh.body);
    const hb = await post(
      env.app,
      'harbor',
      harborDefault({
        host: env.trap.host,
        repository: 'team/x',
        tag: 'v',
        digest: `sha256:${'9'.repeat(64)}`,
      }),
      { headers: { authorization: ENV_SECRET } },
    );
    assert.equal(hb.statusCode, 200, hb.body);
    assert.equal(hb.json<{ unconfigured: number }>().unconfigured, 1);
  });

  void it('no log line carries a query token or an Authorization secret, whatever the outcome', async () => {
    const from = lines.length;
    const reg = env.reg.host;
    // 202, 200 (unconfigured), 401, 422 (not JSON), 415 (not a JSON content type), 400 (bad query)
    await post(env.app, 'dockerhub', dockerHub('team/logs', 'v1'), {
      query: { token: ENV_SECRET, registry: reg },
    });
    await post(env.app, 'dockerhub', dockerHub('team/logs', 'v1'), { query: { token: ENV_SECRET } });
    await post(env.app, 'dockerhub', dockerHub('team/logs', 'v1'), {
      query: { token: WRONG, registry: reg },
    });
    await post(env.app, 'dockerhub', Buffer.from('{not json'), { query: { token: ENV_SECRET } });
    await post(env.app, 'quay', quay(reg, 'team/logs', ['v1']), {
      query: { token: ENV_SECRET },
      contentType: 'text/plain',
    });
    await post(env.app, 'quay', quay(reg, 'team/logs', ['v1']), {
      query: { token: WRONG, registry: 'x'.repeat(300) },
    });
    await post(env.app, 'quay', quay(reg, 'team/logs', ['v1']), {
      query: { registry: reg, token: ENV_SECRET },
    });
    await post(env.app, 'acr', acrPush({ host: reg, repository: 'team/logs', tag: 'v1' }), {
      query: { token: WRONG },
    });
    await post(env.app, 'harbor', harborDefault({ host: reg, repository: 'team/logs', tag: 'v1' }), {
      headers: { authorization: `Bearer ${HARBOR_SECRET}` },
    });
    await post(env.app, 'harbor', harborDefault({ host: reg, repository: 'team/logs', tag: 'v1' }), {
      headers: { authorization: WRONG },
    });
    await env.waitIdle();
    const text = lines.slice(from).join('');
    assert.ok(text.includes('token=[redacted]'), 'the requests were logged (with the token hidden)');
    assert.ok(text.includes('"status":401') || text.includes('401'), 'refusals were logged');
    for (const secret of [ENV_SECRET, HARBOR_SECRET, WRONG])
      assert.ok(!text.includes(secret), `a log line contains ${secret}`);
  });
});
