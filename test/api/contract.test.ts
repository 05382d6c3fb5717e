/**
 * The contract: openapi/openapi.json (committed, `npm run openapi`) is exactly what the routes
 * produce, it is OpenAPI 3.1, it documents every non-hidden route with its access, and errors are
 * application/problem+json with stable codes for 400, 404, 413, 415 and 500.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import type { InjectOptions } from 'fastify';
import { Value } from 'typebox/value';
import { ACCESS } from '../../services/api/access.js';
import { OPENAPI_PATH, openApiText } from '../../services/api/openapi-document.js';
import { buildApp } from '../../services/api/app.js';
import { ProblemSchema } from '../../services/api/problem.js';
import { loadConfig } from '../../shared/config/load-config.js';
import { startRedis } from '../harness/redis.js';

void test('the committed contract is what the routes produce (run `npm run openapi` after changing routes)', async () => {
  const generated = await openApiText();
  const committed = await readFile(OPENAPI_PATH, 'utf8');
  assert.equal(committed, generated, 'openapi/openapi.json is out of date: npm run openapi');
  const doc = JSON.parse(committed) as {
    openapi: string;
    paths: Record<string, Record<string, { 'x-access'?: string; responses: Record<string, unknown> }>>;
  };
  assert.equal(doc.openapi, '3.1.0');
  const documented = new Set<string>();
  for (const [path, ops] of Object.entries(doc.paths))
    for (const [method, op] of Object.entries(ops)) {
      const key = `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`;
      documented.add(key);
      assert.equal(op['x-access'], ACCESS[key], `${key}: access in the contract matches the table`);
      for (const [status, r] of Object.entries(op.responses))
        if (/^[45]/.test(status))
          assert.ok(
            Object.keys((r as { content?: object }).content ?? {}).includes('application/problem+json'),
            `${key} ${status} is problem+json`,
          );
    }
  const hidden = (k: string) => k.startsWith('GET /docs') || k === 'GET /openapi.json';
  for (const key of Object.keys(ACCESS))
    if (!hidden(key)) assert.ok(documented.has(key), `${key} is documented`);
});

void test('/openapi.json serves the same document; errors are problem+json with stable codes', async (t) => {
  const redis = await startRedis();
  t.after(() => redis.stop());
  const config = loadConfig({
    env: {},
    file: { logLevel: 'silent', redis: redis.redisConfig, http: { bodyLimitBytes: 1024 } },
  });
  const app = await buildApp({ config }, { logger: false });
  t.after(() => app.close());
  const served = await app.inject({ url: '/openapi.json' });
  assert.equal(served.statusCode, 200);
  assert.deepEqual(served.json(), JSON.parse(await readFile(OPENAPI_PATH, 'utf8')));
  assert.equal((await app.inject({ url: '/docs/' })).statusCode, 200);

  const cases: [string, InjectOptions, number, string][] = [
    ['unknown route', { url: '/v1/nope' }, 404, 'not-found'],
    ['validation', { url: '/v1/images?state=bogus' }, 400, 'usage'],
    ['bad digest', { url: '/v1/recipes/sha256:xyz' }, 400, 'usage'],
    ['unknown digest', { url: `/v1/recipes/sha256:${'c'.repeat(64)}` }, 404, 'not-found'],
    [
      'bad JSON',
      {
        method: 'POST',
        url: '/v1/scans',
        headers: { 'content-type': 'application/json' },
        payload: '{"image":',
      },
      // problem.ts keeps the table's status for parse-error (422), not Fastify's 400.
      422,
      'parse-error',
    ],
    [
      'too large',
      {
        method: 'POST',
        url: '/v1/scans',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ image: 'x'.repeat(4000) }),
      },
      413,
      'size-limit',
    ],
    [
      'media type',
      { method: 'POST', url: '/v1/scans', headers: { 'content-type': 'text/csv' }, payload: 'a,b' },
      415,
      'unsupported-media-type',
    ],
  ];
  for (const [what, req, status, code] of cases) {
    const r = await app.inject(req);
    const text = r.body;
    assert.equal(r.statusCode, status, `${what}: ${text}`);
    assert.match(String(r.headers['content-type']), /^application\/problem\+json/, what);
    const body = r.json<{ code: string; status: number }>();
    assert.ok(Value.Check(ProblemSchema, body), `${what}: ${text}`);
    assert.equal(body.code, code, what);
    assert.equal(body.status, status, what);
  }
  // 500: a store that is gone answers 503/500 as problem+json, never a stack trace.
  await redis.stopServers();
  const down = await app.inject({ url: '/v1/images?state=failed' });
  assert.ok(down.statusCode >= 500, down.body);
  assert.match(String(down.headers['content-type']), /^application\/problem\+json/);
  assert.doesNotMatch(down.body, /\bat .*\.ts:\d+/);
});
