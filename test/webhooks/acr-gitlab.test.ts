// ACR (webhook and Event Grid) and GitLab (distribution envelope) against the real registry, redis and worker.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GLOBAL_SECRET, post, startWebhookEnv, type WebhookEnv } from './webhook-env.js';
import { acrPush, distributionEnvelope, eventGridPushed, eventGridValidation } from './payloads.js';

const bearer = { authorization: `Bearer ${GLOBAL_SECRET}` };

void describe('POST /v1/webhooks/acr and /v1/webhooks/gitlab', () => {
  let env: WebhookEnv;
  before(async () => {
    env = await startWebhookEnv();
  });
  after(async () => {
    await env?.stop();
  });

  void it('acr webhook push, ?registry= the test registry: stored byte-identical', async () => {
    const pushed = await env.push('two-channels', 'team/acr-app', '1.4.2');
    const body = acrPush({
      host: 'acmeprod.azurecr.io',
      repository: 'team/acr-app',
      tag: '1.4.2',
      digest: pushed.digest,
      mediaType: pushed.mediaType,
    });
    const res = await post(env.app, 'acr', body, { headers: bearer, query: { registry: env.reg.host } });
    assert.equal(res.statusCode, 202, res.body);
    await env.waitDone('team/acr-app', pushed.digest);
    await env.recipeMatches('two-channels', pushed.digest);
  });

  void it('Event Grid: validation handshake answered; ImagePushed via request.host; retries deduped by event id', async () => {
    const hs = await post(env.app, 'acr', [eventGridValidation('512d38b6-c7b8-40c8-89fe-f46f9e9622b6')], {
      query: { token: GLOBAL_SECRET },
    });
    assert.equal(hs.statusCode, 200, hs.body);
    assert.deepEqual(hs.json(), { validationResponse: '512d38b6-c7b8-40c8-89fe-f46f9e9622b6' });
    // the handshake needs the secret too
    const hsBad = await post(env.app, 'acr', [eventGridValidation('x')], { query: { token: 'wrong' } });
    assert.equal(hsBad.statusCode, 401);

    const pushed = await env.push('v3', 'team/eg-app', 'v1');
    const events = [
      eventGridPushed(
        { host: env.reg.host, repository: 'team/eg-app', tag: 'v1', digest: pushed.digest },
        'eg-evt-1',
      ),
    ];
    const res = await post(env.app, 'acr', events, { headers: { authorization: GLOBAL_SECRET } });
    assert.equal(res.statusCode, 202, res.body);
    await env.waitDone('team/eg-app', pushed.digest);
    await env.recipeMatches('v3', pushed.digest);
    const retry = await post(env.app, 'acr', events, { headers: { authorization: GLOBAL_SECRET } });
    assert.equal(retry.statusCode, 200, retry.body);
    assert.equal(retry.json<{ duplicateDelivery?: boolean }>().duplicateDelivery, true);
    await env.waitIdle();
    assert.equal(await env.scans('team/eg-app', pushed.digest), 1);
  });

  void it('acr: wrong or missing secret 401; unconfigured request.host fetches nothing; a delete recorded', async () => {
    const d = `sha256:${'7'.repeat(64)}`;
    for (const headers of [{}, { authorization: 'Bearer nope' }] as Record<string, string>[]) {
      const res = await post(
        env.app,
        'acr',
        acrPush({ host: env.reg.host, repository: 'team/x', tag: 'v', digest: d }),
        {
          headers,
        },
      );
      assert.equal(res.statusCode, 401);
    }
    const before = env.app.webhookCounters.get('acr', 'unconfigured');
    const res = await post(
      env.app,
      'acr',
      acrPush({ host: env.trap.host, repository: 'team/x', tag: 'v', digest: d }, 'u1'),
      {
        headers: bearer,
      },
    );
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), { queued: [], ignored: 0, unconfigured: 1 });
    assert.equal(env.app.webhookCounters.get('acr', 'unconfigured'), before + 1);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(env.trap.hits(), 0);
    const del = await post(
      env.app,
      'acr',
      acrPush({ host: env.reg.host, repository: 'team/x', tag: 'v', digest: d }, 'd1', 'delete'),
      {
        headers: bearer,
      },
    );
    assert.deepEqual(del.json(), { queued: [], ignored: 0, unconfigured: 0, deleted: 1 });
  });

  void it('gitlab: the distribution envelope on its own route: stored byte-identical', async () => {
    const pushed = await env.push('multi-output', 'group/project/app', 'main');
    const body = distributionEnvelope({
      host: 'gitlab.example.com:5050',
      repository: 'group/project/app',
      tag: 'main',
      digest: pushed.digest,
      mediaType: pushed.mediaType,
    });
    const res = await post(env.app, 'gitlab', body, {
      headers: bearer,
      query: { registry: env.reg.host },
      contentType: 'application/vnd.docker.distribution.events.v1+json',
    });
    assert.equal(res.statusCode, 202, res.body);
    await env.waitDone('group/project/app', pushed.digest);
    await env.recipeMatches('multi-output', pushed.digest);
    // The registry retrying the envelope (same event ids): acknowledged, nothing queued.
    const opts = { headers: bearer, query: { registry: env.reg.host } };
    const retry = await post(env.app, 'gitlab', body, opts);
    assert.equal(retry.statusCode, 200, retry.body);
    assert.equal(retry.json<{ duplicateDelivery?: boolean }>().duplicateDelivery, true);
    // Another push of the same digest and tag (new event id): the completed job stands for it.
    const spec = {
      host: 'gitlab.example.com:5050',
      repository: 'group/project/app',
      tag: 'main',
      digest: pushed.digest,
    };
    const repush = await post(
      env.app,
      'gitlab',
      distributionEnvelope(spec, 'a4941db5-0000-4000-8000-000000000002'),
      opts,
    );
    assert.deepEqual(
      repush.json<{ queued: { existed: boolean }[] }>().queued.map((q) => q.existed),
      [true],
      repush.body,
    );
    await env.waitIdle();
    assert.equal(await env.scans('group/project/app', pushed.digest), 1);
    const bad = await post(env.app, 'gitlab', body, {
      headers: { authorization: 'Bearer no' },
      query: { registry: env.reg.host },
    });
    assert.equal(bad.statusCode, 401);
    const un = await post(
      env.app,
      'gitlab',
      distributionEnvelope({ host: env.trap.host, repository: 'g/a', tag: 'v', digest: pushed.digest }),
      {
        headers: bearer,
      },
    );
    assert.deepEqual(un.json(), { queued: [], ignored: 0, unconfigured: 1 });
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(env.trap.hits(), 0);
  });
});
