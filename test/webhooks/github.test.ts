// GitHub `package` / `registry_package` webhooks against the real registry, redis and scanner worker.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GLOBAL_SECRET, post, startWebhookEnv, type WebhookEnv } from './webhook-env.js';
import { githubPackage, githubSignature } from './payloads.js';

/** The exact bytes GitHub sends (pretty-printed JSON) and the headers that go with them. */
function delivery(body: unknown, id: string, secret = GLOBAL_SECRET) {
  const raw = Buffer.from(JSON.stringify(body, null, 2));
  return {
    raw,
    headers: {
      'x-github-event': 'package',
      'x-github-delivery': id,
      'x-hub-signature-256': githubSignature(secret, raw),
    },
  };
}

void describe('POST /v1/webhooks/github', () => {
  let env: WebhookEnv;
  before(async () => {
    env = await startWebhookEnv();
  });
  after(async () => {
    await env?.stop();
  });

  void it('package published, ?registry= the test registry: stored byte-identical; the redelivery is not queued again', async () => {
    const pushed = await env.push('multi-output', 'team/gh-app', '1.0');
    // owner casing as GitHub keeps it; image names are lower case
    const body = githubPackage({ owner: 'Team', name: 'gh-app', tag: '1.0', digest: pushed.digest });
    const d = delivery(body, '72d3162e-cc78-11e3-81ab-4c9367dc0958');
    const q = { registry: env.reg.host };
    const res = await post(env.app, 'github', d.raw, { headers: d.headers, query: q });
    assert.equal(res.statusCode, 202, res.body);
    await env.waitDone('team/gh-app', pushed.digest);
    await env.recipeMatches('multi-output', pushed.digest);
    // a redelivery (same X-GitHub-Delivery) after the scan finished
    const again = await post(env.app, 'github', d.raw, { headers: d.headers, query: q });
    assert.equal(again.statusCode, 200, again.body);
    assert.equal(again.json<{ duplicateDelivery?: boolean }>().duplicateDelivery, true);
    await env.waitIdle();
    assert.equal(await env.scans('team/gh-app', pushed.digest), 1);
  });

  void it('registry_package (older event name), untagged version', async () => {
    const pushed = await env.push('propagated', 'team/gh-legacy', 'x');
    const body = githubPackage(
      { owner: 'team', name: 'gh-legacy', digest: pushed.digest },
      { event: 'registry_package' },
    );
    const d = delivery(body, 'legacy-delivery-1');
    const res = await post(env.app, 'github', d.raw, {
      headers: d.headers,
      query: { registry: env.reg.host },
    });
    assert.equal(res.statusCode, 202, res.body);
    await env.waitDone('team/gh-legacy', pushed.digest);
    await env.recipeMatches('propagated', pushed.digest);
  });

  void it('signature refusals: wrong secret, missing header, re-serialised body', async () => {
    const body = githubPackage({ owner: 'team', name: 'x', tag: 'v', digest: `sha256:${'4'.repeat(64)}` });
    const q = { registry: env.reg.host };
    const wrong = delivery(body, 'w1', 'not-the-secret');
    assert.equal(
      (await post(env.app, 'github', wrong.raw, { headers: wrong.headers, query: q })).statusCode,
      401,
    );
    const good = delivery(body, 'w2');
    const { 'x-hub-signature-256': _sig, ...unsigned } = good.headers;
    assert.equal((await post(env.app, 'github', good.raw, { headers: unsigned, query: q })).statusCode, 401);
    // the same JSON, serialised differently: the signature covers bytes, not meaning
    const compact = Buffer.from(JSON.stringify(body));
    assert.equal(
      (await post(env.app, 'github', compact, { headers: good.headers, query: q })).statusCode,
      401,
    );
    // the secret itself as a bearer token is not GitHub's way
    assert.equal(
      (
        await post(env.app, 'github', good.raw, {
          headers: { authorization: `Bearer ${GLOBAL_SECRET}` },
          query: q,
        })
      ).statusCode,
      401,
    );
    const counts = await env.app.scanQueue.getJobCounts('waiting', 'active', 'delayed');
    assert.deepEqual(counts, { waiting: 0, active: 0, delayed: 0 });
  });

  void it('without ?registry=, ghcr.io (not configured): acknowledged, counted, nothing fetched', async () => {
    const before = env.app.webhookCounters.get('github', 'unconfigured');
    const body = githubPackage({
      owner: 'team',
      name: 'gh-app',
      tag: '1.0',
      digest: `sha256:${'5'.repeat(64)}`,
    });
    const d = delivery(body, 'unconfigured-1');
    const res = await post(env.app, 'github', d.raw, { headers: d.headers });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), { queued: [], ignored: 0, unconfigured: 1 });
    const d2 = delivery(body, 'unconfigured-2');
    const res2 = await post(env.app, 'github', d2.raw, {
      headers: d2.headers,
      query: { registry: env.trap.host },
    });
    assert.equal(res2.json<{ unconfigured: number }>().unconfigured, 1);
    assert.equal(env.app.webhookCounters.get('github', 'unconfigured'), before + 2);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(env.trap.hits(), 0);
  });

  void it('ping and non-container packages: 200, ignored', async () => {
    const ping = Buffer.from(
      JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1, hook: { type: 'Organization' } }),
    );
    const res = await post(env.app, 'github', ping, {
      headers: { 'x-github-event': 'ping', 'x-hub-signature-256': githubSignature(GLOBAL_SECRET, ping) },
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), { queued: [], ignored: 1, unconfigured: 0 });
    const npm = delivery(
      githubPackage({ owner: 't', name: 'lib', digest: `sha256:${'6'.repeat(64)}` }, { packageType: 'npm' }),
      'npm-1',
    );
    const res2 = await post(env.app, 'github', npm.raw, {
      headers: npm.headers,
      query: { registry: env.reg.host },
    });
    assert.deepEqual(res2.json(), { queued: [], ignored: 1, unconfigured: 0 });
  });
});
