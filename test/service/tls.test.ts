// HTTPS and mutual TLS as operators configure them (GUIX_RECIPES_TLS_CERT / _KEY / _CLIENT_CA): the
// Kubernetes admission webhook will need both. Certificates are made here with openssl.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { certificates } from '../harness/certificates.js';
import { startRedis, type RedisHarness } from '../harness/redis.js';
import { startServer, type StartedServer } from '../../services/api/server.js';
import { loadConfig } from '../../shared/config/load-config.js';

const dir = mkdtempSync(join(tmpdir(), 'guix-recipes-tls-'));
const { file, makeCa, makeCert } = certificates(dir);

interface Answer {
  status?: number;
  error?: string;
}
function get(url: string, client?: string): Promise<Answer> {
  return new Promise((resolve) => {
    const req = request(
      `${url}/healthz`,
      {
        ca: readFileSync(file('ca.crt')),
        ...(client && {
          cert: readFileSync(file(`${client}.crt`)),
          key: readFileSync(file(`${client}.key`)),
        }),
        timeout: 5000,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    req.end();
  });
}

void describe('HTTPS and mutual TLS', () => {
  let redis: RedisHarness;
  const servers: StartedServer[] = [];

  before(async () => {
    makeCa('ca');
    makeCa('other-ca');
    makeCert('server', 'ca', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
    makeCert('client', 'ca', 'extendedKeyUsage=clientAuth\n');
    makeCert('stranger', 'other-ca', 'extendedKeyUsage=clientAuth\n');
    redis = await startRedis();
  });
  after(async () => {
    for (const s of servers) await s.close();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function serve(env: Record<string, string>): Promise<StartedServer> {
    const config = loadConfig({
      env: {
        PORT: '0',
        GUIX_RECIPES_LOG_LEVEL: 'silent',
        GUIX_RECIPES_TLS_CERT: file('server.crt'),
        GUIX_RECIPES_TLS_KEY: file('server.key'),
        ...env,
      },
      file: {},
    });
    config.redis = { ...config.redis, ...redis.redisConfig };
    const s = await startServer({ config });
    servers.push(s);
    return s;
  }

  void it('serves HTTPS with the configured certificate', async () => {
    const s = await serve({});
    assert.match(s.url, /^https:\/\//);
    assert.deepEqual(await get(s.url), { status: 200 });
  });

  void it('with a client CA, only clients holding a certificate it signed get an answer', async () => {
    const s = await serve({ GUIX_RECIPES_TLS_CLIENT_CA: file('ca.crt') });
    assert.deepEqual(await get(s.url, 'client'), { status: 200 });
    const anonymous = await get(s.url);
    assert.equal(anonymous.status, undefined, 'a client without a certificate must be refused');
    const stranger = await get(s.url, 'stranger');
    assert.equal(stranger.status, undefined, 'a certificate from another CA must be refused');
  });

  void it('a missing certificate file stops start-up with one clear error', () => {
    assert.throws(
      () =>
        loadConfig({
          env: { GUIX_RECIPES_TLS_CERT: file('server.crt') },
          file: {},
        }),
      /GUIX_RECIPES_TLS_KEY|key/i,
    );
  });
});
