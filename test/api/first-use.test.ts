/**
 * What a newcomer meets first at the API, on a real docker-registry and redis-server: a reference
 * without a tag that the registry does not have is answered in the same words `inspect` uses for it,
 * and GET /v1/images lists every image when no state is asked for, in a stable order.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startApiEnv, TOKENS, type ApiEnv } from './api-env.js';
import { cli } from '../cli/capture.js';

let env: ApiEnv;

before(async () => {
  env = await startApiEnv();
  await env.push('two-channels', 'team/app', '1');
  await env.push('mixed-commits', 'team/app', '2');
  await env.push('seed-python-numpy', 'team/other', '1');
});
after(async () => {
  await env?.stop();
});

const auth = { authorization: `Bearer ${TOKENS.all}` };

void test('POST /v1/scans for a reference without a tag says what inspect says for it', async () => {
  const image = `${env.reg.host}/team/app`; // no tag: 'latest', which was never pushed
  const res = await env.app.inject({ method: 'POST', url: '/v1/scans', headers: auth, payload: { image } });
  assert.equal(res.statusCode, 404, res.body);
  const problem = res.json<{ code: string; detail: string }>();
  assert.equal(problem.code, 'not-found');

  const r = await cli(['inspect', `docker://${image}`, '--tls-verify=false']);
  assert.notEqual(r.code, 0);
  const cliWords = r.stderr.replace(/^guix-recipes: /, '').trimEnd();
  assert.match(cliWords, /manifest unknown/i, r.stderr);
  assert.equal(problem.detail, cliWords, 'the same words on both sides');
  assert.match(problem.detail, new RegExp(`${env.reg.host}/team/app:latest`), 'names the tag it asked for');
});

void test('GET /v1/images without state lists every image, first recorded first, in stable pages', async () => {
  const scanned = [
    await env.scan(`${env.reg.host}/team/app:1`),
    await env.scan(`${env.reg.host}/team/app:2`),
    await env.scan(`${env.reg.host}/team/other:1`),
  ];
  const all = await env.get('/v1/images');
  assert.equal(all.statusCode, 200, all.body);
  const body = all.json<{ query: object; items: { id: string; state: string }[]; total: number }>();
  assert.deepEqual(body.query, {});
  assert.equal(body.total, 3);
  assert.deepEqual(
    body.items.map((i) => i.id),
    scanned.map((s) => s.id),
  );
  assert.ok(body.items.every((i) => i.state === 'done'));

  // Pages of one: the same order, and a next link that carries no state.
  const first = (await env.get('/v1/images?limit=1')).json<{ items: { id: string }[]; next: string }>();
  assert.equal(first.items[0]!.id, scanned[0]!.id);
  assert.equal(first.next, '/v1/images?limit=1&offset=1');
  const second = (await env.get(first.next)).json<{ items: { id: string }[] }>();
  assert.equal(second.items[0]!.id, scanned[1]!.id);

  // A rescan moves the image between states, never in the list of all images.
  const again = await env.app.inject({
    method: 'POST',
    url: '/v1/scans',
    headers: auth,
    payload: { image: `${env.reg.host}/team/app:1`, force: true },
  });
  assert.equal(again.statusCode, 202, again.body);
  await env.scan(`${env.reg.host}/team/app:1`);
  const after = (await env.get('/v1/images')).json<{ items: { id: string }[] }>();
  assert.deepEqual(
    after.items.map((i) => i.id),
    scanned.map((s) => s.id),
  );

  // With a state, as before.
  const done = (await env.get('/v1/images?state=done')).json<{ query: object; total: number }>();
  assert.deepEqual(done.query, { state: 'done' });
  assert.equal(done.total, 3);
});
