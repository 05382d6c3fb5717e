/**
 * What the HTTP edge answers before a route runs, over real sockets (the API listening as the
 * service runs it, a real redis-server): 414 and 431 are problem+json and echo nothing back; a
 * text/plain scan request is 415; unknown body fields are refused; a client uploading 50 MB to a
 * route that takes 64 KiB (or 1 MiB) reads its 413 rather than a broken pipe.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { startRedis, type RedisHarness } from '../harness/redis.js';
import { loadConfig } from '../../shared/config/load-config.js';
import { startServer, type StartedServer } from '../../services/api/server.js';

const SECRET = 'edge-webhook-secret';
let redis: RedisHarness;
let server: StartedServer;
let port: number;

before(async () => {
  redis = await startRedis();
  const config = loadConfig({
    env: {},
    file: {
      logLevel: 'silent',
      port: 0,
      redis: redis.redisConfig,
      queue: { prefix: `{edge-${process.pid}}` },
      webhooks: { secret: SECRET },
    },
  });
  server = await startServer({ config });
  port = Number(new URL(server.url).port);
});
after(async () => {
  await server?.close();
  await redis?.stop();
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * One request on a fresh connection. `body`: the bytes, or a count of filler bytes written in 64 KiB
 * chunks as fast as the socket takes them (a client uploading). Resolves once the answer is read
 * AND the whole body was handed to the socket; any socket error (EPIPE, ECONNRESET), even after the
 * answer, rejects: that is what a client uploading sees as a broken pipe.
 */
function send(
  method: string,
  path: string,
  headers: Record<string, string | number>,
  body: Buffer | number = 0,
): Promise<Answer> {
  const chunk = Buffer.isBuffer(body) ? body : Buffer.alloc(64 * 1024, 0x20);
  const bodyBytes = Buffer.isBuffer(body) ? body.length : body;
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent: false });
    let answer: Answer | undefined;
    let finished = false;
    let failed = false;
    const settle = (): void => {
      // A moment after both, for a late reset to show.
      if (answer && finished && !failed) setTimeout(() => (failed ? undefined : resolve(answer!)), 100);
    };
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => {
        answer = { status: res.statusCode ?? 0, headers: res.headers, body: text };
        settle();
      });
    });
    req.on('finish', () => {
      finished = true;
      settle();
    });
    req.on('error', (err) => {
      failed = true;
      reject(err);
    });
    let sent = 0;
    const write = (): void => {
      while (sent < bodyBytes) {
        const n = Math.min(chunk.length, bodyBytes - sent);
        sent += n;
        if (!req.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
          req.once('drain', write);
          return;
        }
      }
      req.end();
    };
    write();
  });
}

function assertProblem(a: Answer, status: number, code: string): { detail: string } {
  assert.equal(a.status, status, a.body);
  assert.match(String(a.headers['content-type']), /^application\/problem\+json/);
  const p = JSON.parse(a.body) as { status: number; code: string; detail: string };
  assert.equal(p.status, status);
  assert.equal(p.code, code);
  return p;
}

void describe('the HTTP edge', () => {
  void it('414: problem+json, the path not echoed', async () => {
    const marker = `<script>${'x'.repeat(200)}`;
    const a = await send('GET', `/v1/scans/${encodeURIComponent(marker)}`, {});
    const p = assertProblem(a, 414, 'size-limit');
    assert.ok(!a.body.includes('script') && !a.body.includes('xxxx'), a.body);
    assert.match(p.detail, /longer than 100 characters/);
  });

  void it('431: problem+json for headers over the limit', async () => {
    const a = await send('GET', '/healthz', { 'x-big': 'y'.repeat(20000) });
    assertProblem(a, 431, 'size-limit');
    assert.ok(!a.body.includes('yyyy'));
  });

  void it('415 for a text/plain scan request; 400 for unknown body fields', async () => {
    const t = await send(
      'POST',
      '/v1/scans',
      { 'content-type': 'text/plain' },
      Buffer.from('example.org/a:b'),
    );
    assertProblem(t, 415, 'unsupported-media-type');
    const json = Buffer.from(JSON.stringify({ image: 'example.org/a:b', forse: true }));
    const v = await send('POST', '/v1/scans', { 'content-type': 'application/json' }, json);
    const p = assertProblem(v, 400, 'usage');
    assert.match(p.detail, /additional properties/);
  });

  for (const [route, type] of [
    ['/v1/scans', 'application/json'],
    ['/v1/webhooks/distribution', 'application/json'],
  ] as const)
    for (const framing of ['content-length', 'chunked'] as const)
      void it(`a 50 MB upload to ${route} (${framing}) reads its 413`, async () => {
        const size = 50 * 1024 * 1024;
        const headers: Record<string, string | number> = {
          'content-type': type,
          authorization: `Bearer ${SECRET}`,
          ...(framing === 'content-length' ? { 'content-length': size } : {}),
        };
        const a = await send('POST', route, headers, size);
        assertProblem(a, 413, 'size-limit');
        assert.equal(a.headers.connection, 'close');
      });
});
