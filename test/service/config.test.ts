// Configuration: defaults, environment names, the JSON file, refusals.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  assertSafeListen,
  findRegistry,
  isLoopbackHost,
  loadConfig,
  parseApiTokens,
} from '../../shared/config/load-config.js';
import { isRecipeError } from '../../shared/errors.js';

void it('has the documented defaults', () => {
  const c = loadConfig({ env: {} });
  assert.equal(c.port, 8080);
  assert.equal(c.host, '127.0.0.1');
  assert.equal(c.redis.url, undefined);
  assert.deepEqual(c.registries, []);
  assert.deepEqual(c.apiTokens, []);
  assert.equal(c.webhooks.secret, undefined);
  assert.equal(c.webhooks.bodyLimitBytes, 1048576);
  assert.equal(c.worker.concurrency, 2);
  assert.equal(c.queue.attempts, 5);
  assert.equal(c.queue.prefix, '{guix-recipes}');
  assert.equal(c.allowOpenAccess, false);
});

void it('reads the environment names operators rely on', () => {
  const c = loadConfig({
    env: {
      PORT: '9999',
      HOST: '0.0.0.0',
      REDIS_URL: 'redis://127.0.0.1:6380',
      GUIX_RECIPES_REGISTRIES: 'ghcr.io, http://127.0.0.1:5000 ,https://Registry.Example:8443',
      GUIX_RECIPES_WEBHOOK_SECRET: 'hook-secret',
      GUIX_RECIPES_API_TOKENS: 'reader-token-1:read,all-token-22:read+scan+admin',
      GUIX_RECIPES_TLS_CERT: '/c.pem',
      GUIX_RECIPES_TLS_KEY: '/k.pem',
      GUIX_RECIPES_TLS_CLIENT_CA: '/ca.pem',
    },
  });
  assert.equal(c.port, 9999);
  assert.equal(c.host, '0.0.0.0');
  assert.equal(c.redis.url, 'redis://127.0.0.1:6380');
  assert.deepEqual(
    c.registries.map((r) => [r.host, r.insecure]),
    [
      ['ghcr.io', false],
      ['127.0.0.1:5000', true],
      ['registry.example:8443', false],
    ],
  );
  assert.equal(findRegistry(c, 'http://127.0.0.1:5000')?.insecure, true);
  assert.equal(findRegistry(c, 'docker.io'), undefined);
  assert.equal(c.webhooks.secret, 'hook-secret');
  assert.deepEqual(c.apiTokens, [
    { token: 'reader-token-1', scopes: ['read'] },
    { token: 'all-token-22', scopes: ['read', 'scan', 'admin'] },
  ]);
  assert.deepEqual(c.tls, { certFile: '/c.pem', keyFile: '/k.pem', clientCaFile: '/ca.pem' });
  assertSafeListen(c); // tokens are configured: any address is fine
});

void it('merges the JSON file under the environment', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gr-config-'));
  try {
    const file = join(dir, 'config.json');
    writeFileSync(
      file,
      JSON.stringify({
        port: 7000,
        registries: [
          {
            host: '127.0.0.1:5000',
            username: 'u',
            password: 'p',
            webhook: { sender: 'distribution', secret: 'reg-secret' },
          },
        ],
        worker: { concurrency: 8 },
      }),
    );
    const c = loadConfig({
      env: { GUIX_RECIPES_CONFIG: file, PORT: '7001', GUIX_RECIPES_REGISTRIES: 'http://127.0.0.1:5000' },
    });
    assert.equal(c.port, 7001, 'env wins');
    assert.equal(c.worker.concurrency, 8);
    assert.equal(c.worker.lockDurationMs, 15000, 'defaults fill the rest of a section');
    assert.equal(c.registries.length, 1);
    assert.equal(c.registries[0]?.insecure, true);
    assert.equal(c.registries[0]?.username, 'u');
    assert.equal(c.registries[0]?.webhook?.secret, 'reg-secret');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

void it('refuses bad settings with one usage error naming them', () => {
  const bad: Record<string, string>[] = [
    { PORT: 'eighty' },
    { GUIX_RECIPES_API_TOKENS: 'short:read' },
    { GUIX_RECIPES_API_TOKENS: 'long-enough-token:write' },
    { GUIX_RECIPES_API_TOKENS: 'no-scope-here' },
    { GUIX_RECIPES_REGISTRIES: 'host/with/path' },
    { GUIX_RECIPES_TLS_CERT: '/only-cert.pem' },
    { GUIX_RECIPES_CONFIG: '/nonexistent/config.json' },
  ];
  for (const env of bad)
    assert.throws(
      () => loadConfig({ env }),
      (e) => isRecipeError(e, 'usage'),
      JSON.stringify(env),
    );
  assert.throws(() => loadConfig({ env: {}, file: { nonsense: true } }), /nonsense|additional/i);
  assert.throws(
    () => loadConfig({ env: {}, file: { registries: [{ host: 'a.example' }, { host: 'A.example' }] } }),
    /twice/,
  );
  assert.deepEqual(parseApiTokens('a:b:c:long:scan'), [{ token: 'a:b:c:long', scopes: ['scan'] }]);
});

void it('stays on loopback without API tokens unless told otherwise', () => {
  for (const host of ['127.0.0.1', '::1', 'localhost', '127.1.2.3']) {
    assert.ok(isLoopbackHost(host), host);
    assertSafeListen(loadConfig({ env: { HOST: host } }));
  }
  for (const host of ['0.0.0.0', '::', '10.0.0.1']) {
    assert.ok(!isLoopbackHost(host));
    assert.throws(
      () => assertSafeListen(loadConfig({ env: { HOST: host } })),
      /GUIX_RECIPES_ALLOW_OPEN_ACCESS/,
    );
  }
  assertSafeListen(loadConfig({ env: { HOST: '0.0.0.0', GUIX_RECIPES_ALLOW_OPEN_ACCESS: '1' } }));
});
