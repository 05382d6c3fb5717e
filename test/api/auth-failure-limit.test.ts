/**
 * The failed-authentication limit (services/api/auth-failure-limit.ts): wrong API tokens and wrong
 * webhook secrets are counted per client address; past the burst every WRONG attempt from that
 * address is 429 until the bucket refills, while right credentials from it are always accepted.
 * The API is built as the service builds it (buildApp, requests by inject with a socket address).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../services/api/app.js';
import { AUTH_FAILURE_LIMIT_DEFAULTS, clientKey } from '../../services/api/auth-failure-limit.js';
import { loadConfig } from '../../shared/config/load-config.js';
import { startRedis, type RedisHarness } from '../harness/redis.js';

const READ = 'read-token-aaaaaaaa';
const ADMIN = 'admin-token-cccccccc';
const SECRET = 'webhook-secret-xyz';
let redis: RedisHarness;

before(async () => {
  redis = await startRedis();
});
after(async () => {
  await redis?.stop();
});

async function api(failedAuth?: Record<string, unknown>): Promise<FastifyInstance> {
  const config = loadConfig({
    env: {},
    file: {
      logLevel: 'silent',
      redis: redis.redisConfig,
      queue: { prefix: `{afl-${process.pid}}` },
      webhooks: { secret: SECRET },
      apiTokens: [
        { token: READ, scopes: ['read'] },
        { token: ADMIN, scopes: ['admin'] },
      ],
      // The per-token limit out of the way: this file is about failures.
      rateLimit: { burst: 10_000, perSecond: 1000, ...(failedAuth ? { failedAuth } : {}) },
    },
  });
  return buildApp({ config }, { logger: false });
}

const get = (app: FastifyInstance, from: string, token?: string, headers: Record<string, string> = {}) =>
  app.inject({
    method: 'GET',
    url: '/v1/images?state=failed',
    remoteAddress: from,
    headers: { ...headers, ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}) },
  });

const hook = (app: FastifyInstance, from: string, secret: string) =>
  app.inject({
    method: 'POST',
    url: '/v1/webhooks/distribution',
    remoteAddress: from,
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
    payload: { events: [] },
  });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

void describe('failed authentications per client address', () => {
  void test('defaults: 10 wrong tokens, then wrong ones 429, right ones still accepted', async () => {
    assert.deepEqual(AUTH_FAILURE_LIMIT_DEFAULTS, {
      enabled: true,
      burst: 10,
      perSecond: 0.1,
      maxClients: 10_000,
    });
    const app = await api();
    try {
      const A = '198.51.100.7';
      for (let i = 0; i < 10; i++) {
        const r = await get(app, A, i % 2 ? `guess-${i}-xxxxxxxx` : undefined);
        assert.equal(r.statusCode, 401, `failure ${i + 1}: ${r.body}`);
      }
      const r = await get(app, A, 'guess-11-xxxxxxxx');
      assert.equal(r.statusCode, 429, r.body);
      assert.match(String(r.headers['content-type']), /^application\/problem\+json/);
      const p = r.json<{ code: string; status: number; detail: string }>();
      assert.equal(p.code, 'rate-limited');
      assert.equal(p.status, 429);
      assert.match(p.detail, /failed authentications/);
      assert.equal(r.headers['retry-after'], '10', 'one failure refills in 10 s');
      assert.equal((await get(app, A)).statusCode, 429, 'no token at all is a failing attempt too');
      // Forwarding headers do not make it someone else (trustProxy is off).
      const fwd = await get(app, A, 'guess-12-xxxxxxxx', {
        'x-forwarded-for': '203.0.113.99',
        forwarded: 'for=203.0.113.99',
      });
      assert.equal(fwd.statusCode, 429);
      // The right credentials from the same address: accepted, on scope routes and webhooks alike.
      assert.equal((await get(app, A, READ)).statusCode, 200);
      assert.equal((await hook(app, A, SECRET)).statusCode, 200);
      assert.equal((await hook(app, A, 'wrong-secret')).statusCode, 429, 'a wrong secret is limited');
      // Another client, open routes: unaffected.
      assert.equal((await get(app, '198.51.100.8', 'guess-xxxxxxxx')).statusCode, 401);
      assert.equal((await app.inject({ url: '/healthz', remoteAddress: A })).statusCode, 200);
      const m = await app.inject({
        url: '/metrics',
        remoteAddress: '127.0.0.1',
      });
      assert.match(m.body, /^guix_recipes_auth_failures_total 11$/m);
      assert.match(m.body, /^guix_recipes_auth_failures_limited_total 4$/m);
    } finally {
      await app.close();
    }
  });

  void test('someone failing once a second from the registry address never stops its webhooks', async () => {
    const app = await api();
    try {
      const registry = '127.0.0.1';
      for (let i = 0; i < 10; i++) assert.equal((await hook(app, registry, `guess-${i}`)).statusCode, 401);
      for (let round = 0; round < 5; round++) {
        assert.equal((await hook(app, registry, `guess-again-${round}`)).statusCode, 429);
        assert.equal((await get(app, registry, `guess-again-${round}-xxxxxxxx`)).statusCode, 429);
        assert.equal((await hook(app, registry, SECRET)).statusCode, 200, `round ${round}: webhook`);
        assert.equal((await get(app, registry, READ)).statusCode, 200, `round ${round}: read token`);
      }
    } finally {
      await app.close();
    }
  });

  void test('the bucket refills: one more failure per refill, 429 again after it', async () => {
    const app = await api({ burst: 3, perSecond: 1 });
    try {
      const A = '198.51.100.20';
      for (let i = 0; i < 3; i++) assert.equal((await get(app, A, 'wrong-token-xxxxxxxx')).statusCode, 401);
      const limited = await get(app, A, 'wrong-token-xxxxxxxx');
      assert.equal(limited.statusCode, 429);
      assert.equal(limited.headers['retry-after'], '1');
      assert.equal((await get(app, A, READ)).statusCode, 200, 'the right token passes');
      // 429s take nothing: after one refill interval a wrong token is a plain 401 again.
      assert.equal((await get(app, A, 'wrong-token-xxxxxxxx')).statusCode, 429);
      await sleep(1100);
      assert.equal((await get(app, A, 'wrong-token-xxxxxxxx')).statusCode, 401, 'refilled');
      assert.equal(
        (await get(app, A, 'wrong-token-xxxxxxxx')).statusCode,
        429,
        'that failure emptied it again',
      );
    } finally {
      await app.close();
    }
  });

  void test("a success resets nothing: neither the client's own bucket nor another's", async () => {
    const app = await api({ burst: 3, perSecond: 0.01 });
    try {
      const A = '198.51.100.30';
      const B = '198.51.100.31';
      assert.equal((await get(app, A, 'wrong-token-1xxxxxxx')).statusCode, 401);
      assert.equal((await get(app, A, 'wrong-token-2xxxxxxx')).statusCode, 401);
      for (let i = 0; i < 5; i++) assert.equal((await get(app, B, ADMIN)).statusCode, 200);
      assert.equal((await get(app, A, READ)).statusCode, 200);
      assert.equal((await get(app, A, 'wrong-token-3xxxxxxx')).statusCode, 401, 'third failure');
      assert.equal((await get(app, A, READ)).statusCode, 200);
      assert.equal((await get(app, A, 'wrong-token-4xxxxxxx')).statusCode, 429, 'its success reset nothing');
      assert.equal((await get(app, B, 'wrong-token-5xxxxxxx')).statusCode, 401, 'B has its own bucket');
    } finally {
      await app.close();
    }
  });

  void test('webhook secret guessing counts, and shares the address bucket with API tokens', async () => {
    const app = await api({ burst: 3, perSecond: 0.01 });
    try {
      const C = '198.51.100.40';
      assert.equal((await hook(app, C, SECRET)).statusCode, 200, 'the right secret works');
      for (let i = 0; i < 2; i++) assert.equal((await hook(app, C, `guess-${i}`)).statusCode, 401);
      assert.equal((await get(app, C, 'wrong-token-xxxxxxxx')).statusCode, 401, 'third failure');
      const r = await hook(app, C, 'guess-3');
      assert.equal(r.statusCode, 429, r.body);
      assert.equal(r.json<{ code: string }>().code, 'rate-limited');
      assert.ok(Number(r.headers['retry-after']) >= 1);
      assert.equal((await get(app, C, 'wrong-token-yyyyyyyy')).statusCode, 429);
      assert.equal((await hook(app, C, SECRET)).statusCode, 200);
      assert.equal((await get(app, C, READ)).statusCode, 200);
      assert.equal((await hook(app, '198.51.100.41', 'guess-4')).statusCode, 401);
    } finally {
      await app.close();
    }
  });

  void test('memory bound: at most maxClients addresses, the least recently seen forgotten', async () => {
    const app = await api({ burst: 1, perSecond: 0.01, maxClients: 2 });
    try {
      const [A, B, C] = ['198.51.100.50', '198.51.100.51', '198.51.100.52'];
      const wrong = 'wrong-token-xxxxxxxx';
      for (const x of [A, B]) assert.equal((await get(app, x, wrong)).statusCode, 401);
      assert.equal((await get(app, A, wrong)).statusCode, 429);
      assert.equal((await get(app, B, wrong)).statusCode, 429);
      assert.equal(app.authFailures.size, 2);
      assert.equal((await get(app, C, wrong)).statusCode, 401);
      assert.equal(app.authFailures.size, 2, 'still two');
      assert.equal((await get(app, C, wrong)).statusCode, 429, 'C is limited');
      assert.equal((await get(app, A, wrong)).statusCode, 401, 'A, the oldest, was forgotten');
      // Successful clients are never tracked.
      for (let i = 0; i < 20; i++) await get(app, `198.51.100.${100 + i}`, READ);
      assert.equal(app.authFailures.size, 2);
    } finally {
      await app.close();
    }
  });

  void test('failedAuth.enabled false: failures are never limited', async () => {
    const app = await api({ enabled: false, burst: 1 });
    try {
      for (let i = 0; i < 5; i++)
        assert.equal((await get(app, '198.51.100.60', 'wrong-xxxxxxxx')).statusCode, 401);
      assert.equal((await get(app, '198.51.100.60', READ)).statusCode, 200);
    } finally {
      await app.close();
    }
  });

  void test('the config schema takes rateLimit.failedAuth and refuses bad settings', () => {
    const ok = loadConfig({ env: {}, file: { rateLimit: { failedAuth: { burst: 5, perSecond: 0.5 } } } });
    assert.equal(ok.rateLimit?.failedAuth?.burst, 5);
    assert.equal(ok.rateLimit?.failedAuth?.perSecond, 0.5);
    for (const failedAuth of [{ burst: 0 }, { perSecond: 0 }, { maxClients: 0 }, { other: 1 }])
      assert.throws(
        () => loadConfig({ env: {}, file: { rateLimit: { failedAuth } } }),
        /rateLimit/,
        JSON.stringify(failedAuth),
      );
  });
});

void test('clientKey: IPv4 as is, IPv4-mapped as IPv4, IPv6 by /64', () => {
  assert.equal(clientKey('192.0.2.1'), '192.0.2.1');
  assert.equal(clientKey('::ffff:192.0.2.1'), '192.0.2.1');
  assert.equal(clientKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
  assert.equal(clientKey('2001:DB8:1:2:bbbb:cccc:dddd:eeee'), '2001:db8:1:2::/64');
  assert.equal(clientKey('2001:db8::1'), '2001:db8:0:0::/64');
  assert.equal(clientKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
  assert.equal(clientKey('::1'), '0:0:0:0::/64');
  assert.notEqual(clientKey('2001:db8:1:3::1'), clientKey('2001:db8:1:2::1'));
  assert.equal(clientKey(undefined), 'unknown');
});
