// /metrics is open to loopback clients, else it needs `admin`. A request that a reverse proxy on
// this host forwarded (Forwarded / X-Forwarded-For / X-Real-IP) comes from elsewhere: it needs the token.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis } from '../harness/redis.js';
import { buildApp } from '../../services/api/app.js';
import { loadConfig } from '../../shared/config/load-config.js';

void test('/metrics: loopback is open, forwarded or remote requests need admin', async (t) => {
  const h = await startRedis();
  t.after(() => h.stop());
  const config = loadConfig({
    env: {
      GUIX_RECIPES_API_TOKENS: 'admin-token-123:admin,reader-token-1:read',
      GUIX_RECIPES_LOG_LEVEL: 'silent',
    },
    file: { queue: { prefix: '{m}' } },
  });
  config.redis = { ...h.redisConfig };
  const app = await buildApp({ config }, { logger: false });
  t.after(() => app.close());
  const get = (remoteAddress: string, headers: Record<string, string> = {}) =>
    app.inject({ url: '/metrics', remoteAddress, headers }).then((r) => r.statusCode);
  assert.equal(await get('127.0.0.1'), 200);
  assert.equal(await get('::1'), 200);
  assert.equal(await get('203.0.113.7'), 401);
  for (const [k, v] of [
    ['x-forwarded-for', '203.0.113.7'],
    ['x-forwarded-for', '127.0.0.1'],
    ['forwarded', 'for=203.0.113.7'],
    ['x-real-ip', '203.0.113.7'],
  ] as const) {
    assert.equal(await get('127.0.0.1', { [k]: v }), 401, `${k}: ${v}`);
    assert.equal(await get('127.0.0.1', { [k]: v, authorization: 'Bearer reader-token-1' }), 403);
    assert.equal(await get('127.0.0.1', { [k]: v, authorization: 'Bearer admin-token-123' }), 200);
  }
});
