/**
 * The per-token rate limit's defaults (services/api/plugins/rate-limit.ts): 1,000 reads per second
 * from one token (an admission webhook) are all served, while a token asking twice that is held to
 * the rate. The buckets are driven by a simulated clock; the app is checked to use the defaults.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildApp } from '../../services/api/app.js';
import { RATE_LIMIT_DEFAULTS } from '../../services/api/plugins/rate-limit.js';
import { loadConfig } from '../../shared/config/load-config.js';
import { TokenBuckets } from '../../shared/metrics/token-bucket.js';
import { startRedis, type RedisHarness } from '../harness/redis.js';

const READ = 'read-token-0123456789';
let redis: RedisHarness;
before(async () => {
  redis = await startRedis();
});
after(async () => {
  await redis?.stop();
});

/** Requests at `perSecond`, evenly spaced, for `seconds`: how many the defaults allow. */
function allowedAt(perSecond: number, seconds: number): number {
  let t = 0;
  const b = new TokenBuckets({ ...RATE_LIMIT_DEFAULTS, now: () => t });
  let allowed = 0;
  for (let i = 0; i < perSecond * seconds; i++) {
    t = (i * 1000) / perSecond;
    if (b.take('token').allowed) allowed++;
  }
  return allowed;
}

void describe('per-token rate limit defaults', () => {
  void it('serve 1,000 req/s from one token for a minute, and hold 2,000 req/s to the rate', () => {
    assert.equal(allowedAt(1000, 60), 60_000, 'an admission webhook at 1,000 req/s: nothing refused');
    const over = allowedAt(2000, 60);
    assert.ok(over <= 1000 * 60 + RATE_LIMIT_DEFAULTS.burst, `${over} allowed of 120,000`);
    assert.ok(over >= 1000 * 60, 'the rate itself is served');
    // A flood at once: the burst, then nothing until the bucket refills.
    let t = 0;
    const b = new TokenBuckets({ ...RATE_LIMIT_DEFAULTS, now: () => t });
    let flood = 0;
    for (let i = 0; i < 10_000; i++) if (b.take('token').allowed) flood++;
    assert.equal(flood, RATE_LIMIT_DEFAULTS.burst);
    t = 1000;
    assert.equal(b.take('token').remaining, 999, 'one second refills 1,000');
  });

  void it('the app applies them: a burst of 1,000 reads from one token all answered 200', async () => {
    const config = loadConfig({
      env: {},
      file: {
        logLevel: 'silent',
        redis: redis.redisConfig,
        queue: { prefix: `{rl-${process.pid}}` },
        apiTokens: [{ token: READ, scopes: ['read'] }],
      },
    });
    const app = await buildApp({ config }, { logger: false });
    try {
      const rs = await Promise.all(
        Array.from({ length: 1000 }, () =>
          app.inject({ url: '/v1/images?state=failed', headers: { authorization: `Bearer ${READ}` } }),
        ),
      );
      assert.deepEqual([...new Set(rs.map((r) => r.statusCode))], [200]);
      assert.equal(rs[0]!.headers['ratelimit-limit'], String(RATE_LIMIT_DEFAULTS.burst));
    } finally {
      await app.close();
    }
  });
});
