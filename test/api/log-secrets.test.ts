/**
 * Captured log output (API and worker, level trace) holds none of the configured secrets: API
 * tokens, the webhook secret (also an HMAC key), registry passwords, `token` query parameters —
 * while requests carry them in headers, query strings and bodies, and a scan runs. One line per request.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { startApiEnv, TOKENS } from './api-env.js';
import { redactQuery } from '../../services/api/logger.js';

void test('no secret reaches a log line; one line per request', async (t) => {
  const stream = new PassThrough();
  let out = '';
  stream.on('data', (b: Buffer) => (out += b.toString()));
  const secrets = {
    webhook: 'webhook-secret-SHOULD-NOT-LEAK-1',
    registryPassword: 'registry-password-SHOULD-NOT-LEAK-2',
    registryToken: 'registry-token-SHOULD-NOT-LEAK-3',
    queryToken: 'query-token-SHOULD-NOT-LEAK-4',
  };
  const env = await startApiEnv({
    logStream: stream,
    file: (reg) => ({
      webhooks: { secret: secrets.webhook },
      registries: [
        { host: reg.host, insecure: true },
        { host: 'private.example', username: 'u', password: secrets.registryPassword },
        { host: 'tokened.example', token: secrets.registryToken },
      ],
    }),
  });
  t.after(() => env.stop());
  env.app.log.info({ config: env.config }, 'configuration');
  await env.push('two-channels', 'logs', 'v1');
  await env.scan(`${env.reg.host}/logs:v1`);
  const inject = env.app.inject.bind(env.app);
  const before = out.split('\n').filter((l) => l.includes('"msg":"request"')).length;
  await inject({
    url: `/v1/images?state=done&token=${secrets.queryToken}`,
    headers: { authorization: `Bearer ${TOKENS.read}` },
  });
  await inject({ url: '/v1/images?state=done', headers: { authorization: `Bearer ${secrets.queryToken}` } });
  await inject({
    method: 'POST',
    url: `/v1/webhooks/distribution?token=${secrets.webhook}`,
    headers: { authorization: `Bearer ${secrets.webhook}`, 'content-type': 'application/json' },
    payload: { events: [] },
  });
  await inject({
    method: 'POST',
    url: '/v1/webhooks/distribution',
    headers: {
      authorization: 'Bearer wrong',
      'x-hub-signature-256': `sha256=${secrets.webhook}`,
      'content-type': 'application/json',
    },
    payload: { events: [] },
  });
  await inject({ url: '/metrics', headers: { authorization: `Bearer ${TOKENS.admin}` } });
  await new Promise((r) => setTimeout(r, 200));
  const lines = out.split('\n').filter((l) => l.includes('"msg":"request"')).length - before;
  assert.equal(lines, 5, 'one line per request');
  assert.ok(out.includes('scan job done'), 'the worker logged the scan');
  assert.ok(out.includes('[redacted]'), 'something was redacted');
  for (const s of [...Object.values(secrets), ...Object.values(TOKENS)])
    assert.ok(!out.includes(s), `log output leaks ${s}`);
});

void test('logged errors show type, code, message and causes, never request options or query secrets', async () => {
  const { pino } = await import('pino');
  const { basePinoOptions, loggerOptions } = await import('../../services/api/logger.js');
  const { RecipeError } = await import('../../shared/errors.js');
  // The shape undici and other HTTP clients give their errors: the request options ride along.
  const inner = Object.assign(
    new Error('connect ECONNREFUSED https://r.example/v2/t?token=QUERY-SECRET-1&x=1'),
    {
      code: 'ECONNREFUSED',
      options: {
        headers: { authorization: 'Bearer HEADER-SECRET-2' },
        path: '/v2/?access_token=QUERY-SECRET-3',
      },
      request: { headers: { 'proxy-authorization': 'Basic HEADER-SECRET-4' } },
    },
  );
  const wrapped = new RecipeError('registry-error', 'network error', { cause: inner });
  for (const [name, opts] of [
    ['api', loggerOptions({ logLevel: 'info' }) as Record<string, unknown>],
    ['worker', basePinoOptions({ logLevel: 'info' }) as Record<string, unknown>],
  ] as const) {
    const stream = new PassThrough();
    let out = '';
    stream.on('data', (b: Buffer) => (out += b.toString()));
    const log = pino(opts, stream);
    log.error({ err: inner }, 'raw');
    log.error({ err: wrapped }, 'wrapped');
    log.warn({ error: inner }, 'other key');
    await new Promise((r) => setImmediate(r));
    for (const s of ['QUERY-SECRET-1', 'HEADER-SECRET-2', 'QUERY-SECRET-3', 'HEADER-SECRET-4'])
      assert.ok(!out.includes(s), `${name} log leaks ${s}: ${out}`);
    const lines = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { err?: Record<string, unknown> });
    assert.equal(lines.length, 3);
    assert.equal(lines[0]!.err?.code, 'ECONNREFUSED');
    assert.match(String(lines[0]!.err?.message), /connect ECONNREFUSED .*token=\[redacted\]&x=1/);
    assert.equal(lines[1]!.err?.code, 'registry-error');
    assert.equal((lines[1]!.err?.cause as { code?: string }).code, 'ECONNREFUSED');
  }
});

void test('request URLs keep the values of lookup parameters and hide every other value', () => {
  assert.equal(
    redactQuery('/v1/recipes?store-path=/gnu/store/abc-python&limit=5'),
    '/v1/recipes?store-path=/gnu/store/abc-python&limit=5',
  );
  assert.equal(
    redactQuery('/v1/webhooks/dockerhub?token=hunter2&registry=docker.io'),
    '/v1/webhooks/dockerhub?token=[redacted]&registry=docker.io',
  );
  assert.equal(
    redactQuery('/x?Token=a&unknown=b&flag'),
    '/x?Token=[redacted]&unknown=[redacted]&flag=[redacted]',
  );
  assert.equal(redactQuery('/v1/scans'), '/v1/scans');
});
