/**
 * The request log under load (services/api/request-log-sampler.ts, plugins/request-log.ts): every
 * 5xx and slow request is written, at most `linesPerSecond` others per second, and the rest is
 * counted in summary lines, so a burst of thousands of requests writes a bounded number of lines
 * while no request goes uncounted.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { buildApp } from '../../services/api/app.js';
import { loggerOptions } from '../../services/api/logger.js';
import { REQUEST_LOG_DEFAULTS, RequestLogSampler } from '../../services/api/request-log-sampler.js';
import { loadConfig } from '../../shared/config/load-config.js';
import { startRedis, type RedisHarness } from '../harness/redis.js';

const READ = 'read-token-0123456789';
let redis: RedisHarness;
before(async () => {
  redis = await startRedis();
});
after(async () => {
  await redis?.stop();
});

void describe('the request log', () => {
  void it('sampler: errors and slow requests always, N others per second, the rest summarised', () => {
    let t = 1_000_000;
    const s = new RequestLogSampler({ linesPerSecond: 3, slowMs: 500, summaryIntervalMs: 2000 }, () => t);
    const admitted = Array.from({ length: 10 }, () => s.admit(200, 1));
    assert.deepEqual(admitted, [true, true, true, false, false, false, false, false, false, false]);
    assert.equal(s.admit(503, 1), true, 'a 5xx is always logged');
    assert.equal(s.admit(200, 600), true, 'a slow request is always logged');
    assert.equal(s.admit(404, 1), false);
    assert.equal(s.takeSummary(), undefined, 'not before the interval');
    t += 1000;
    assert.equal(s.admit(200, 1), true, 'a new second, new lines');
    t += 1000;
    assert.deepEqual(s.takeSummary(), { notLogged: 8, byStatus: { '2xx': 7, '4xx': 1 }, sinceMs: 2000 });
    assert.equal(s.takeSummary(true), undefined, 'nothing left out since');
    assert.deepEqual(REQUEST_LOG_DEFAULTS, { linesPerSecond: 50, slowMs: 1000, summaryIntervalMs: 10_000 });
  });

  void it('a burst of 3,000 requests writes a bounded number of lines, every request counted', async () => {
    const config = loadConfig({
      env: {},
      file: {
        logLevel: 'info',
        redis: redis.redisConfig,
        queue: { prefix: `{rlog-${process.pid}}` },
        apiTokens: [{ token: READ, scopes: ['read'] }],
      },
    });
    const stream = new PassThrough();
    let out = '';
    stream.on('data', (b: Buffer) => (out += b.toString()));
    const app = await buildApp(
      { config },
      { logger: { ...(loggerOptions(config) as Record<string, unknown>), stream } },
    );
    const started = Date.now();
    const statuses = new Map<number, number>();
    try {
      for (let batch = 0; batch < 30; batch++) {
        const rs = await Promise.all(
          Array.from({ length: 100 }, (_, i) =>
            app.inject({
              url: '/v1/images?state=failed',
              remoteAddress: '192.0.2.10',
              headers: { authorization: `Bearer ${i % 10 === 0 ? 'wrong-token-xxxxxxxx' : READ}` },
            }),
          ),
        );
        for (const r of rs) statuses.set(r.statusCode, (statuses.get(r.statusCode) ?? 0) + 1);
      }
    } finally {
      await app.close();
    }
    const seconds = Math.ceil((Date.now() - started) / 1000);
    const lines = out
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as { msg: string; notLogged?: number; status?: number });
    const requestLines = lines.filter((l) => l.msg === 'request');
    const summaries = lines.filter((l) => l.msg === 'requests not logged one by one');
    assert.ok(statuses.get(200)! > 2000 && (statuses.get(401) ?? 0) + (statuses.get(429) ?? 0) === 300);
    assert.ok(
      requestLines.length <= 50 * (seconds + 1),
      `${requestLines.length} request lines in ${seconds} s`,
    );
    const summarised = summaries.reduce((n, l) => n + (l.notLogged ?? 0), 0);
    assert.equal(requestLines.length + summarised, 3000, 'every request is logged or counted');
    assert.ok(lines.length <= requestLines.length + summaries.length + 5, `${lines.length} lines in all`);
  });
});
