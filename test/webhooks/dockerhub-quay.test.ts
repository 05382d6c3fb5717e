// Docker Hub and Quay webhooks (tag only, secret as ?token=) against the real registry, redis and worker.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GLOBAL_SECRET, post, startWebhookEnv, type WebhookEnv } from './webhook-env.js';
import { dockerHub, quay } from './payloads.js';

void describe('tag-only senders: dockerhub, quay', () => {
  let env: WebhookEnv;
  before(async () => {
    env = await startWebhookEnv();
  });
  after(async () => {
    await env?.stop();
  });

  void it('dockerhub: the tag is resolved against the registry, then scanned: stored byte-identical', async () => {
    const pushed = await env.push('transformations', 'team/dh-app', '2.1');
    const res = await post(env.app, 'dockerhub', dockerHub('team/dh-app', '2.1'), {
      query: { token: GLOBAL_SECRET, registry: env.reg.host },
    });
    assert.equal(res.statusCode, 202, res.body);
    assert.deepEqual(
      res.json<{ queued: { image: string }[] }>().queued.map((q) => q.image),
      [`${env.reg.host}/team/dh-app:2.1`],
    );
    await env.waitDone('team/dh-app', pushed.digest);
    await env.recipeMatches('transformations', pushed.digest);
    // the tag now points at the digest in the store
    assert.equal(
      await env.app.store.getTag({ registry: env.reg.host, repository: 'team/dh-app', tag: '2.1' }),
      pushed.digest,
    );
  });

  void it('dockerhub: the same event twice is scanned once', async () => {
    const pushed = await env.push('seed-python-numpy', 'team/dh-twice', 'v1');
    const body = dockerHub('team/dh-twice', 'v1');
    const q = { token: GLOBAL_SECRET, registry: env.reg.host };
    const a = await post(env.app, 'dockerhub', body, { query: q });
    const b = await post(env.app, 'dockerhub', body, { query: q });
    assert.equal(a.statusCode, 202, a.body);
    assert.equal(b.statusCode, 202, b.body);
    await env.waitDone('team/dh-twice', pushed.digest);
    await env.waitIdle();
    // and once more after everything finished (Docker Hub has no delivery id)
    const c = await post(env.app, 'dockerhub', body, { query: q });
    assert.equal(c.statusCode, 202, c.body);
    await env.waitIdle();
    assert.equal(await env.scans('team/dh-twice', pushed.digest), 1);
    await env.recipeMatches('seed-python-numpy', pushed.digest);
  });

  void it('dockerhub: wrong, missing or header-borne secret: 401', async () => {
    const body = dockerHub('team/dh-app', '2.1');
    const refusals: Parameters<typeof post>[3][] = [
      { query: { token: 'wrong', registry: env.reg.host } },
      { query: { registry: env.reg.host } },
      { query: { token: '', registry: env.reg.host } },
      { query: { registry: env.reg.host }, headers: { authorization: `Bearer ${GLOBAL_SECRET}` } },
    ];
    for (const opts of refusals) {
      const res = await post(env.app, 'dockerhub', body, opts);
      assert.equal(res.statusCode, 401, JSON.stringify(opts));
    }
  });

  void it('dockerhub: without ?registry=, docker.io is not configured: acknowledged, counted, nothing fetched', async () => {
    const before = env.app.webhookCounters.get('dockerhub', 'unconfigured');
    const res = await post(env.app, 'dockerhub', dockerHub('team/dh-app', '2.1'), {
      query: { token: GLOBAL_SECRET },
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), { queued: [], ignored: 0, unconfigured: 1 });
    assert.equal(env.app.webhookCounters.get('dockerhub', 'unconfigured'), before + 1);
    const res2 = await post(env.app, 'dockerhub', dockerHub('team/dh-app', '2.1'), {
      query: { token: GLOBAL_SECRET, registry: env.trap.host },
    });
    assert.equal(res2.json<{ unconfigured: number }>().unconfigured, 1);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(env.trap.hits(), 0);
  });

  void it('quay: every updated tag resolved; two tags of one digest join one scan', async () => {
    const pushed = await env.push('no-provenance', 'team/quay-app', 'v1');
    // a second tag for the same manifest
    await env.push('no-provenance', 'team/quay-app', 'latest');
    const res = await post(env.app, 'quay', quay(env.reg.host, 'team/quay-app', ['v1', 'latest']), {
      query: { token: GLOBAL_SECRET },
    });
    assert.equal(res.statusCode, 202, res.body);
    assert.equal(res.json<{ queued: unknown[] }>().queued.length, 2);
    await env.waitDone('team/quay-app', pushed.digest);
    await env.waitIdle();
    assert.equal(await env.scans('team/quay-app', pushed.digest), 1);
    // no provenance: channels cannot be exported, the manifests can
    const ch = await env.app.inject({ method: 'GET', url: `/v1/recipes/${pushed.digest}/channels.scm` });
    assert.notEqual(ch.statusCode, 200);
    const m = await env.app.inject({
      method: 'GET',
      url: `/v1/recipes/${pushed.digest}/manifest.scm?style=pinned`,
    });
    assert.equal(m.statusCode, 200, m.body);
  });

  void it('quay: ?registry= wins over the docker_url host (quay.io); stored byte-identical', async () => {
    const pushed = await env.push('layered', 'team/quay-layered', '3');
    const res = await post(env.app, 'quay', quay('quay.io', 'team/quay-layered', ['3']), {
      query: { token: GLOBAL_SECRET, registry: env.reg.host },
    });
    assert.equal(res.statusCode, 202, res.body);
    await env.waitDone('team/quay-layered', pushed.digest);
    await env.recipeMatches('layered', pushed.digest);
  });

  void it('quay: unconfigured docker_url host: nothing fetched; wrong secret 401; non-push ignored', async () => {
    const res = await post(env.app, 'quay', quay(env.trap.host, 'team/app', ['v1']), {
      query: { token: GLOBAL_SECRET },
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), { queued: [], ignored: 0, unconfigured: 1 });
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(env.trap.hits(), 0);
    const bad = await post(env.app, 'quay', quay(env.reg.host, 'team/app', ['v1']), {
      query: { token: 'nope' },
    });
    assert.equal(bad.statusCode, 401);
    const missing = await post(env.app, 'quay', quay(env.reg.host, 'team/app', ['v1']));
    assert.equal(missing.statusCode, 401);
    const build = await post(
      env.app,
      'quay',
      {
        repository: 'team/app',
        docker_url: `${env.reg.host}/team/app`,
        build_id: 'b1',
        trigger_kind: 'github',
      },
      { query: { token: GLOBAL_SECRET } },
    );
    assert.deepEqual(build.json(), { queued: [], ignored: 1, unconfigured: 0 });
  });
});
