/**
 * Every query on fixture images pushed to a real docker-registry and scanned by the real worker:
 * lookups by image (tag index, digest), package, channel commit and store path with paging; the
 * diff between two-channels and mixed-commits (JSON and text/plain); failed scans listed and
 * retried; /metrics parsed and moving as scans happen.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Value } from 'typebox/value';
import { ProblemSchema } from '../../services/api/problem.js';
import { DiffResponseSchema, ImagePageSchema } from '../../services/api/schemas/queries.js';
import { startApiEnv, TOKENS, type ApiEnv } from './api-env.js';
import { fixtureFacts } from './fixture-facts.js';
import { parseExposition } from './prom-parse.js';

let env: ApiEnv;
const d: Record<string, string> = {};

before(async () => {
  env = await startApiEnv();
  for (const f of ['two-channels', 'mixed-commits']) {
    const pushed = await env.push(f, f, 'v1');
    d[f] = pushed.digest;
    const s = await env.scan(`${env.reg.host}/${f}:v1`);
    assert.equal(s.digest, pushed.digest);
  }
  // The same image in a second repository: a digest held by two images.
  await env.push('two-channels', 'copy', 'latest');
  await env.scan(`${env.reg.host}/copy:latest`);
});
after(() => env?.stop());

type Page = {
  items: { image: string; digest: string; state?: string }[];
  total: number;
  next: string | null;
};
async function page(url: string): Promise<Page> {
  const res = await env.get(url);
  assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
  const body = res.json<Page>();
  assert.ok(Value.Check(ImagePageSchema, body), `${url}: response matches its schema`);
  return body;
}
const images = (p: Page) => p.items.map((i) => i.image).sort();

void test('by image: tag (through the tag index), host/repo@digest and a bare digest', async () => {
  const h = env.reg.host;
  const byTag = await page(`/v1/recipes?image=${encodeURIComponent(`${h}/two-channels:v1`)}`);
  assert.deepEqual(images(byTag), [`${h}/two-channels@${d['two-channels']}`]);
  assert.equal(byTag.items[0]!.state, 'done');
  const byRef = await page(
    `/v1/recipes?image=${encodeURIComponent(`${h}/mixed-commits@${d['mixed-commits']}`)}`,
  );
  assert.deepEqual(images(byRef), [`${h}/mixed-commits@${d['mixed-commits']}`]);
  const byDigest = await page(`/v1/recipes?image=${d['two-channels']}`);
  assert.deepEqual(images(byDigest), [
    `${h}/copy@${d['two-channels']}`,
    `${h}/two-channels@${d['two-channels']}`,
  ]);
  const unknownTag = await page(`/v1/recipes?image=${encodeURIComponent(`${h}/two-channels:nope`)}`);
  assert.equal(unknownTag.total, 0);
});

void test('by package, channel commit and store path, from the fixtures’ manifests', async () => {
  const h = env.reg.host;
  const two = fixtureFacts('two-channels');
  const mixed = fixtureFacts('mixed-commits');
  const holders = (pred: (f: ReturnType<typeof fixtureFacts>) => boolean) =>
    [
      ...(pred(two) ? [`${h}/copy@${d['two-channels']}`, `${h}/two-channels@${d['two-channels']}`] : []),
      ...(pred(mixed) ? [`${h}/mixed-commits@${d['mixed-commits']}`] : []),
    ].sort();
  for (const p of [...two.packages, ...mixed.packages]) {
    const want = holders((f) => f.packages.some((x) => x.name === p.name && x.version === p.version));
    assert.deepEqual(
      images(await page(`/v1/recipes?package=${encodeURIComponent(`${p.name}@${p.version}`)}`)),
      want,
    );
    assert.deepEqual(
      images(await page(`/v1/recipes?package=${encodeURIComponent(p.name)}`)),
      holders((f) => f.packages.some((x) => x.name === p.name)),
    );
    assert.deepEqual(
      images(await page(`/v1/recipes?store-path=${encodeURIComponent(p.storePath)}`)),
      holders((f) => f.packages.some((x) => x.storePath === p.storePath)),
    );
  }
  for (const c of [...two.commits, ...mixed.commits]) {
    const got = await page(`/v1/recipes?channel=${encodeURIComponent(c.url)}&commit=${c.commit}`);
    assert.deepEqual(
      images(got),
      holders((f) => f.commits.some((x) => x.url === c.url && x.commit === c.commit)),
    );
  }
  assert.equal((await page('/v1/recipes?package=no-such-package')).total, 0);
});

void test('pages: offset + limit, stable order, a next link, limits checked', async () => {
  const first = await page('/v1/recipes?package=python&limit=2');
  assert.equal(first.total, 3);
  assert.equal(first.items.length, 2);
  assert.ok(first.next);
  const second = await page(first.next);
  assert.equal(second.items.length, 1);
  assert.equal(second.next, null);
  const all = await page('/v1/recipes?package=python');
  assert.deepEqual(
    [...first.items, ...second.items].map((i) => i.image),
    all.items.map((i) => i.image),
  );
  for (const bad of [
    '/v1/recipes?package=python&limit=201',
    '/v1/recipes?package=python&limit=0',
    '/v1/recipes',
    '/v1/recipes?package=python&image=x',
    '/v1/recipes?channel=https://x',
    '/v1/recipes?commit=' + 'a'.repeat(40),
    '/v1/recipes?store-path=relative',
  ]) {
    const res = await env.get(bad);
    assert.equal(res.statusCode, 400, bad);
    assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
    assert.equal(res.json<{ code: string }>().code, 'usage', bad);
    assert.ok(Value.Check(ProblemSchema, res.json()));
  }
});

void test('diff two-channels -> mixed-commits: JSON by default, text/plain on request', async () => {
  const h = env.reg.host;
  const url = `/v1/diff?from=${encodeURIComponent(`${h}/two-channels:v1`)}&to=${encodeURIComponent(`${h}/mixed-commits@${d['mixed-commits']}`)}`;
  const res = await env.get(url);
  assert.equal(res.statusCode, 200, res.body);
  assert.match(String(res.headers['content-type']), /^application\/json/);
  const body = res.json<{
    from: { digest: string };
    to: { digest: string };
    diff: {
      packages: {
        added: { name: string }[];
        removed: { name: string }[];
        changed: { name: string; change: string }[];
      };
      channels: {
        added: { name: string }[];
        removed: { name: string }[];
        changed: { name: string; commitsAdded: string[] }[];
      };
    };
  }>();
  assert.ok(Value.Check(DiffResponseSchema, body));
  assert.equal(body.from.digest, d['two-channels']);
  assert.equal(body.to.digest, d['mixed-commits']);
  const names = (xs: { name: string }[]) => xs.map((x) => x.name).sort();
  assert.deepEqual(names(body.diff.packages.added), ['emacs', 'guile', 'openmpi']);
  assert.deepEqual(names(body.diff.packages.removed), ['python-scikit-learn', 'rstudio-server']);
  assert.deepEqual(
    body.diff.packages.changed.map((c) => [c.name, c.change]),
    [['python', 'rebuilt']],
  );
  assert.deepEqual(names(body.diff.channels.added), ['guix-hpc']);
  assert.deepEqual(names(body.diff.channels.removed), ['guix-science']);
  const mixedCommits = new Set(fixtureFacts('mixed-commits').commits.map((c) => c.commit));
  assert.equal(body.diff.channels.changed[0]!.commitsAdded.length, 2);
  for (const c of body.diff.channels.changed[0]!.commitsAdded) assert.ok(mixedCommits.has(c));

  const text = await env.get(url, { accept: 'text/plain, application/json;q=0.5' });
  assert.equal(text.statusCode, 200);
  assert.match(String(text.headers['content-type']), /^text\/plain/);
  assert.match(text.body, /^ {2}\+ emacs@29\.4 /m);
  assert.match(text.body, /^ {2}- guix-science /m);
  assert.equal((await env.get(`${url}&format=text`)).body, text.body);
  assert.match(String((await env.get(url, { accept: '*/*' })).headers['content-type']), /^application\/json/);

  const same = await env.get(
    `/v1/diff?from=${d['two-channels']}&to=${encodeURIComponent(`${h}/copy:latest`)}`,
  );
  assert.equal(same.json<{ diff: { identical: boolean } }>().diff.identical, true);

  const missing = await env.get(
    `/v1/diff?from=${encodeURIComponent(`${h}/two-channels:gone`)}&to=${d['two-channels']}`,
  );
  assert.equal(missing.statusCode, 404);
  assert.equal(missing.json<{ code: string }>().code, 'not-found');
  assert.equal((await env.get(`/v1/diff?from=x`)).statusCode, 400);
  assert.equal(
    (await env.get(`/v1/diff?from=${encodeURIComponent('Bad Ref')}&to=x`)).json<{ code: string }>().code,
    'invalid-reference',
  );
});

void test('failed scans: listed by state, retried by admin only', async () => {
  const h = env.reg.host;
  const ghost = `sha256:${'0'.repeat(64)}`;
  const { id } = await env.scan(`${h}/ghost@${ghost}`, 'failed');
  const failed = await page('/v1/images?state=failed');
  const item = failed.items.find((i) => i.image === `${h}/ghost@${ghost}`) as Page['items'][number] & {
    error?: { code: string };
  };
  assert.ok(item, JSON.stringify(failed));
  assert.equal(item.error?.code, 'not-found');
  assert.ok(!failed.items.some((i) => i.state !== 'failed'));
  assert.ok((await page('/v1/images?state=done')).items.some((i) => i.digest === d['two-channels']));

  const retry = (token: string, sid = id) =>
    env.app.inject({
      method: 'POST',
      url: `/v1/scans/${sid}/retry`,
      headers: { authorization: `Bearer ${token}` },
    });
  assert.equal((await retry(TOKENS.read)).statusCode, 403);
  assert.equal((await retry(TOKENS.scan)).statusCode, 403);
  const firstFailure = (await env.app.store.getImageById(id))?.error?.at;
  assert.ok(firstFailure);
  const ok = await retry(TOKENS.admin);
  assert.equal(ok.statusCode, 202, ok.body);
  assert.ok(['queued', 'running'].includes(ok.json<{ state: string }>().state), ok.body);
  assert.equal(ok.headers.location, `/v1/scans/${id}`);
  // It fails again (the manifest still does not exist): the retry really ran a new job.
  const until = Date.now() + 30_000;
  for (;;) {
    const rec = await env.app.store.getImageById(id);
    if (rec?.state === 'failed' && rec.error?.at !== firstFailure) break;
    assert.ok(Date.now() < until, 'retried scan did not finish');
    await new Promise((r) => setTimeout(r, 50));
  }
  const doneId = (await page(`/v1/recipes?image=${d['mixed-commits']}`)).items[0] as unknown as {
    id: string;
  };
  const notFailed = await retry(TOKENS.admin, doneId.id);
  assert.equal(notFailed.statusCode, 400);
  assert.equal((await retry(TOKENS.admin, 'f'.repeat(64))).statusCode, 404);
});

void test('/metrics parses and moves when scans, webhooks and requests happen', async () => {
  const scrape = async () => {
    const res = await env.app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    return parseExposition(res.body);
  };
  const before = await scrape();
  const stored = (e: typeof before) => e.value('guix_recipes_recipes_stored_total', { kind: 'recipe' }) ?? 0;
  const bytes = (e: typeof before) => e.value('guix_recipes_blob_bytes_read_total') ?? 0;
  const hits = (e: typeof before) =>
    e.value('guix_recipes_layer_cache_requests_total', { result: 'hit' }) ?? 0;
  assert.ok(stored(before) >= 2);
  assert.ok(bytes(before) > 0);
  assert.ok(
    (before.value('guix_recipes_scan_failures_total', { code: 'not-found', final: 'true' }) ?? 0) >= 1,
  );
  assert.ok((before.value('guix_recipes_scan_stage_seconds_count', { stage: 'scan' }) ?? 0) >= 2);
  assert.equal(before.value('guix_recipes_dependency_up', { dependency: 'redis' }), 1);
  for (const state of ['waiting', 'active', 'delayed', 'failed'])
    assert.equal(typeof before.value('guix_recipes_queue_jobs', { state }), 'number', state);
  assert.equal(typeof before.value('guix_recipes_queue_oldest_waiting_seconds'), 'number');
  assert.ok((before.value('guix_recipes_images', { state: 'done' }) ?? 0) >= 3);

  // A forced re-scan reads the same layers again: a recipe stored, bytes read, layer-cache hits.
  const res = await env.app.inject({
    method: 'POST',
    url: '/v1/scans',
    headers: { authorization: `Bearer ${TOKENS.scan}` },
    payload: { image: `${env.reg.host}/two-channels@${d['two-channels']}`, force: true },
  });
  assert.equal(res.statusCode, 202, res.body);
  const until = Date.now() + 30_000;
  let after = await scrape();
  while (stored(after) === stored(before)) {
    assert.ok(Date.now() < until, 'metrics did not move');
    await new Promise((r) => setTimeout(r, 100));
    after = await scrape();
  }
  assert.equal(stored(after), stored(before) + 1);
  assert.ok(bytes(after) > bytes(before));
  assert.ok(hits(after) > hits(before), 'layer cache hit counted');

  // A webhook without its secret: counted by sender and outcome. Requests are counted too.
  const wh = await env.app.inject({ method: 'POST', url: '/v1/webhooks/distribution', payload: {} });
  assert.equal(wh.statusCode, 401);
  const later = await scrape();
  const unauthorized = (e: typeof before) =>
    e.value('guix_recipes_webhook_deliveries_total', { sender: 'distribution', outcome: 'unauthorized' }) ??
    0;
  assert.equal(unauthorized(later), unauthorized(after) + 1);
  assert.ok(
    (later.value('guix_recipes_http_problems_total', { code: 'unauthorized', status: '401' }) ?? 0) >
      (after.value('guix_recipes_http_problems_total', { code: 'unauthorized', status: '401' }) ?? 0),
  );
  assert.ok(
    (later.value('guix_recipes_http_requests_total', { method: 'GET', route: '/metrics', status: '200' }) ??
      0) >= 2,
  );
});
