// Harbor webhooks (Default and CloudEvents) against the real registry, redis and scanner worker.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GLOBAL_SECRET, post, startWebhookEnv, type WebhookEnv } from './webhook-env.js';
import { harborCloudEvent, harborDefault } from './payloads.js';

const auth = { authorization: `Bearer ${GLOBAL_SECRET}` };

void describe('POST /v1/webhooks/harbor', () => {
  let env: WebhookEnv;
  before(async () => {
    env = await startWebhookEnv();
  });
  after(async () => {
    await env?.stop();
  });

  void it('Default format, pointed at the test registry: the recipe is stored byte-identical', async () => {
    const pushed = await env.push('two-channels', 'team/harbor-default', 'v1');
    const body = harborDefault({
      host: 'harbor.example.com',
      repository: 'team/harbor-default',
      tag: 'v1',
      digest: pushed.digest,
    });
    const res = await post(env.app, 'harbor', body, { headers: auth, query: { registry: env.reg.host } });
    assert.equal(res.statusCode, 202, res.body);
    const reply = res.json<{ queued: { image: string; existed: boolean }[] }>();
    assert.deepEqual(
      reply.queued.map((q) => q.image),
      [`${env.reg.host}/team/harbor-default@${pushed.digest}`],
    );
    await env.waitDone('team/harbor-default', pushed.digest);
    await env.recipeMatches('two-channels', pushed.digest);
  });

  void it('CloudEvents format; a push without a tag (digest in `tag`); the event id dedupes the retry', async () => {
    const pushed = await env.push('mixed-commits', 'team/harbor-ce', 'v1');
    const body = harborCloudEvent(
      { host: env.reg.host, repository: 'team/harbor-ce', digest: pushed.digest },
      'harbor-ce-event-1',
    );
    // the host named by the event is the configured test registry: no ?registry= needed
    const first = await post(env.app, 'harbor', body, {
      headers: { authorization: GLOBAL_SECRET },
      contentType: 'application/cloudevents+json',
    });
    assert.equal(first.statusCode, 202, first.body);
    await env.waitDone('team/harbor-ce', pushed.digest);
    await env.recipeMatches('mixed-commits', pushed.digest);
    // Harbor retries the same event: acknowledged, nothing queued, not scanned again
    const again = await post(env.app, 'harbor', body, {
      headers: { authorization: GLOBAL_SECRET },
      contentType: 'application/cloudevents+json',
    });
    assert.equal(again.statusCode, 200, again.body);
    assert.deepEqual(again.json(), { queued: [], ignored: 0, unconfigured: 0, duplicateDelivery: true });
    await env.waitIdle();
    assert.equal(await env.scans('team/harbor-ce', pushed.digest), 1);
    assert.ok(env.app.webhookCounters.get('harbor', 'duplicate') >= 1);
  });

  void it('the same Default delivery twice (same bytes): queued and scanned once', async () => {
    const pushed = await env.push('v3', 'team/harbor-twice', 'v1');
    const raw = Buffer.from(
      JSON.stringify(
        harborDefault({
          host: 'x.example',
          repository: 'team/harbor-twice',
          tag: 'v1',
          digest: pushed.digest,
        }),
      ),
    );
    const q = { registry: env.reg.host };
    const first = await post(env.app, 'harbor', raw, { headers: auth, query: q });
    assert.equal(first.statusCode, 202, first.body);
    const second = await post(env.app, 'harbor', raw, { headers: auth, query: q });
    assert.equal(second.statusCode, 200, second.body);
    assert.equal(second.json<{ duplicateDelivery?: boolean }>().duplicateDelivery, true);
    await env.waitDone('team/harbor-twice', pushed.digest);
    await env.waitIdle();
    assert.equal(await env.scans('team/harbor-twice', pushed.digest), 1);
  });

  void it('wrong or missing secret: 401, nothing queued', async () => {
    const body = harborDefault({
      host: env.reg.host,
      repository: 'team/nope',
      tag: 'v1',
      digest: `sha256:${'1'.repeat(64)}`,
    });
    const refusals: Record<string, string>[] = [
      {},
      { authorization: 'Bearer wrong' },
      { authorization: 'wrong' },
      { authorization: `Basic ${GLOBAL_SECRET}` },
    ];
    for (const headers of refusals) {
      const res = await post(env.app, 'harbor', body, { headers });
      assert.equal(res.statusCode, 401, JSON.stringify(headers));
    }
    const counts = await env.app.scanQueue.getJobCounts('waiting', 'active', 'delayed');
    assert.deepEqual(counts, { waiting: 0, active: 0, delayed: 0 });
  });

  void it('an event naming an unconfigured host: acknowledged, counted, nothing fetched', async () => {
    const before = env.app.webhookCounters.get('harbor', 'unconfigured');
    const body = harborDefault({
      host: env.trap.host,
      repository: 'team/app',
      tag: 'v1',
      digest: `sha256:${'2'.repeat(64)}`,
    });
    const res = await post(env.app, 'harbor', body, { headers: auth });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), { queued: [], ignored: 0, unconfigured: 1 });
    // a ?registry= that names no configured registry is the same
    const res2 = await post(env.app, 'harbor', body, { headers: auth, query: { registry: env.trap.host } });
    assert.equal(res2.statusCode, 200, res2.body);
    assert.equal(res2.json<{ unconfigured: number }>().unconfigured, 1);
    assert.equal(env.app.webhookCounters.get('harbor', 'unconfigured'), before + 2);
    await env.waitIdle();
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(env.trap.hits(), 0);
  });

  void it('non-push events: 200, ignored', async () => {
    const body = harborDefault(
      { host: env.reg.host, repository: 'team/app', tag: 'v1', digest: `sha256:${'3'.repeat(64)}` },
      'PULL_ARTIFACT',
    );
    const res = await post(env.app, 'harbor', body, { headers: auth });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), { queued: [], ignored: 1, unconfigured: 0 });
  });
});
