// The admission webhook over mutual TLS, as the Kubernetes API server calls it: a client certificate
// signed by the configured client CA counts as the `read` scope for POST /v1/admission (and for it
// only); without a certificate, or with one from another CA, the TLS handshake is refused. API tokens
// are configured, so nothing here is open by default. Certificates are made with openssl.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { certificates } from '../harness/certificates.js';
import { startRedis, type RedisHarness } from '../harness/redis.js';
import { startServer, type StartedServer } from '../../services/api/server.js';
import { loadConfig } from '../../shared/config/load-config.js';

const dir = mkdtempSync(join(tmpdir(), 'guix-recipes-admission-tls-'));
const { file, makeCa, makeCert } = certificates(dir);

interface Answer {
  status?: number;
  body?: string;
  error?: string;
}
function call(
  url: string,
  opts: { method?: string; path: string; body?: unknown; client?: string; token?: string },
): Promise<Answer> {
  return new Promise((resolve) => {
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const req = request(
      `${url}${opts.path}`,
      {
        method: opts.method ?? 'GET',
        ca: readFileSync(file('ca.crt')),
        headers: {
          ...(body ? { 'content-type': 'application/json' } : {}),
          ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
        },
        ...(opts.client && {
          cert: readFileSync(file(`${opts.client}.crt`)),
          key: readFileSync(file(`${opts.client}.key`)),
        }),
        timeout: 5000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    req.end(body);
  });
}

const review = {
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: {
    uid: '6d1f0c9e-1b7a-4c1e-9a57-2f1d6c3b8e10',
    kind: { group: '', version: 'v1', kind: 'Pod' },
    operation: 'CREATE',
    namespace: 'team',
    object: { spec: { containers: [{ name: 'app', image: 'registry.example.org/team/app:1' }] } },
  },
};

void describe('admission over mutual TLS', () => {
  let redis: RedisHarness;
  let server: StartedServer;

  before(async () => {
    makeCa('ca');
    makeCa('other-ca');
    makeCert('server', 'ca', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
    makeCert('apiserver', 'ca', 'extendedKeyUsage=clientAuth\n');
    makeCert('stranger', 'other-ca', 'extendedKeyUsage=clientAuth\n');
    redis = await startRedis();
    const config = loadConfig({
      env: {
        PORT: '0',
        GUIX_RECIPES_LOG_LEVEL: 'silent',
        GUIX_RECIPES_TLS_CERT: file('server.crt'),
        GUIX_RECIPES_TLS_KEY: file('server.key'),
        GUIX_RECIPES_TLS_CLIENT_CA: file('ca.crt'),
        GUIX_RECIPES_API_TOKENS: 'reader-token-123:read',
      },
      file: {},
    });
    config.redis = { ...config.redis, ...redis.redisConfig };
    server = await startServer({ config });
  });
  after(async () => {
    await server?.close();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  void it('a client certificate from the configured CA is enough: the review is answered', async () => {
    const a = await call(server.url, {
      method: 'POST',
      path: '/v1/admission',
      body: review,
      client: 'apiserver',
    });
    assert.equal(a.status, 200, a.body);
    const r = JSON.parse(a.body!) as {
      response: { uid: string; allowed: boolean; status: { message: string } };
    };
    assert.equal(r.response.uid, review.request.uid);
    assert.equal(r.response.allowed, false, 'an image of a registry guix-recipes does not read');
    assert.match(r.response.status.message, /container "app"/);
  });

  void it('the certificate counts for admission only: other read routes still want a token', async () => {
    const images = await call(server.url, { path: '/v1/images?state=failed', client: 'apiserver' });
    assert.equal(images.status, 401, images.body);
    const withToken = await call(server.url, {
      path: '/v1/images?state=failed',
      client: 'apiserver',
      token: 'reader-token-123',
    });
    assert.equal(withToken.status, 200, withToken.body);
  });

  void it('without a client certificate, or with one from another CA, the handshake is refused', async () => {
    const anonymous = await call(server.url, {
      method: 'POST',
      path: '/v1/admission',
      body: review,
      token: 'reader-token-123',
    });
    assert.equal(anonymous.status, undefined, `refused: ${JSON.stringify(anonymous)}`);
    assert.ok(anonymous.error);
    const stranger = await call(server.url, {
      method: 'POST',
      path: '/v1/admission',
      body: review,
      client: 'stranger',
    });
    assert.equal(stranger.status, undefined, `refused: ${JSON.stringify(stranger)}`);
  });
});
