/**
 * The access table (services/api/access.ts) exercised row by row, driven by the table itself so
 * routes added later are covered: no token, a wrong token, a token without the scope, the right one.
 * Also: every route the app serves has a row, and the per-token rate limit answers 429.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { ACCESS } from '../../services/api/access.js';
import Fastify from 'fastify';
import apiPlugin, { buildApp } from '../../services/api/app.js';
import { loadConfig } from '../../shared/config/load-config.js';
import { startRedis, type RedisHarness } from '../harness/redis.js';

const T = { read: 'read-token-aaaaaaaa', scan: 'scan-token-bbbbbbbb', admin: 'admin-token-cccccccc' };
let redis: RedisHarness;
let app: FastifyInstance;

before(async () => {
  redis = await startRedis();
  const config = loadConfig({
    env: {},
    file: {
      logLevel: 'silent',
      redis: redis.redisConfig,
      queue: { prefix: `{acc-${process.pid}}` },
      webhooks: { secret: 'webhook-secret-xyz' },
      apiTokens: [
        { token: T.read, scopes: ['read'] },
        { token: T.scan, scopes: ['scan'] },
        { token: T.admin, scopes: ['admin'] },
      ],
      // Every row is called with wrong credentials from one address: the failed-authentication
      // limit (tested in auth-failure-limit.test.ts) would turn the later rows' 401s into 429s.
      rateLimit: { burst: 10_000, perSecond: 1000, failedAuth: { burst: 10_000, perSecond: 1000 } },
    },
  });
  app = await buildApp({ config }, { logger: false });
});
after(async () => {
  await app?.close();
  await redis?.stop();
});

/** A concrete URL for a route pattern. */
const concrete = (pattern: string) =>
  pattern
    .replace(':digest', `sha256:${'a'.repeat(64)}`)
    .replace(':id', 'b'.repeat(64))
    .replace(/:name|:policy/, 'some-policy')
    .replace('*', 'swagger-ui.css');

const call = (key: string, token?: string, remoteAddress = '127.0.0.1') => {
  const [method, pattern] = key.split(' ') as [string, string];
  return app.inject({
    method: method as 'GET',
    url: concrete(pattern),
    remoteAddress,
    headers: token ? { authorization: `Bearer ${token}` } : {},
    ...(method === 'POST' ? { payload: {} } : {}),
  });
};

void test('every route the app serves is in the access table, and every row is served', async () => {
  for (const key of Object.keys(ACCESS)) {
    const [method, pattern] = key.split(' ') as [string, string];
    assert.ok(app.hasRoute({ method: method, url: pattern }), `${key} is in the table but not served`);
  }
  // A route missing from the table stops the app from starting (plugins/auth.ts), so no served
  // route can lack a row: check that the guard is really there.
  const f = Fastify({ logger: false });
  await f.register(apiPlugin, {
    config: loadConfig({ env: {}, file: { logLevel: 'silent', redis: redis.redisConfig } }),
  });
  assert.throws(() => f.get('/not-in-the-table', async () => 'x'), /missing from the access table/);
  await f.close().catch(() => {});
});

for (const [key, access] of Object.entries(ACCESS)) {
  void test(`${key} (${access})`, async () => {
    const none = await call(key);
    const wrong = await call(key, 'not-a-configured-token');
    const scopeFor = (s: 'read' | 'scan' | 'admin') => call(key, T[s]);
    if (access === 'open') {
      for (const r of [none, wrong, await scopeFor('read')]) {
        assert.notEqual(r.statusCode, 401, r.body);
        assert.notEqual(r.statusCode, 403, r.body);
      }
      return;
    }
    if (access === 'sender') {
      // API tokens mean nothing to webhooks: without the sender's secret it is 401 whatever token is sent.
      for (const r of [none, wrong, await scopeFor('admin')]) assert.equal(r.statusCode, 401, r.body);
      const ok = await app.inject({
        method: 'POST',
        url: concrete(key.split(' ')[1]!),
        headers: { authorization: 'Bearer webhook-secret-xyz', 'content-type': 'application/json' },
        payload: { events: [] },
      });
      // Senders authenticate in their own ways (bearer, HMAC, basic...); at least one of these is not a 401
      // for the distribution sender, whose secret is a bearer token.
      if (key.endsWith('/distribution')) assert.equal(ok.statusCode, 200, ok.body);
      return;
    }
    if (access === 'local-or-admin') {
      const local = await call(key);
      assert.equal(local.statusCode, 200, 'open to loopback clients');
      const far = (t?: string) => call(key, t, '192.0.2.10');
      assert.equal((await far()).statusCode, 401);
      assert.equal((await far('not-a-configured-token')).statusCode, 401);
      assert.equal((await far(T.read)).statusCode, 403);
      assert.equal((await far(T.admin)).statusCode, 200);
      return;
    }
    assert.equal(none.statusCode, 401, none.body);
    assert.equal(none.headers['www-authenticate'], 'Bearer');
    assert.match(String(none.headers['content-type']), /^application\/problem\+json/);
    assert.equal(none.json<{ code: string }>().code, 'unauthorized');
    assert.equal(wrong.statusCode, 401, wrong.body);
    // Over plain HTTP no client certificate can be shown: `read-or-client-cert` is `read` here (the
    // certificate half is tested over mutual TLS in test/service/admission-tls.test.ts).
    const scope = access === 'read-or-client-cert' ? 'read' : access;
    const others = (['read', 'scan'] as const).filter((s) => s !== scope);
    for (const s of others) {
      const r = await scopeFor(s);
      assert.equal(r.statusCode, 403, `${s}: ${r.body}`);
      assert.equal(r.json<{ code: string }>().code, 'forbidden');
    }
    const right = await scopeFor(scope);
    assert.ok(![401, 403].includes(right.statusCode), `${access}: ${right.statusCode} ${right.body}`);
    if (scope !== 'admin') {
      const admin = await scopeFor('admin');
      assert.ok(![401, 403].includes(admin.statusCode), 'admin may do everything');
    }
  });
}

void test('per-token rate limit: 429 problem+json with Retry-After; other tokens unaffected', async () => {
  const config = loadConfig({
    env: {},
    file: {
      logLevel: 'silent',
      redis: redis.redisConfig,
      apiTokens: [
        { token: T.read, scopes: ['read'] },
        { token: T.admin, scopes: ['admin'] },
      ],
      rateLimit: { burst: 3, perSecond: 0.5 },
    },
  });
  const limited = await buildApp({ config }, { logger: false });
  try {
    const get = (t: string, url = '/v1/images?state=failed') =>
      limited.inject({ method: 'GET', url, headers: { authorization: `Bearer ${t}` } });
    for (let i = 0; i < 3; i++) assert.equal((await get(T.read)).statusCode, 200);
    const r = await get(T.read);
    assert.equal(r.statusCode, 429);
    assert.match(String(r.headers['content-type']), /^application\/problem\+json/);
    assert.equal(r.json<{ code: string }>().code, 'rate-limited');
    assert.equal(r.headers['retry-after'], '2');
    assert.equal((await get(T.admin)).statusCode, 200, 'buckets are per token');
    assert.equal((await limited.inject({ url: '/healthz' })).statusCode, 200, 'open routes are not limited');
  } finally {
    await limited.close();
  }
});
