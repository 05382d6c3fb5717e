// The registry options of the configuration, each against a real docker-registry set up the way a
// private registry is: `tls.caFile` (HTTPS with a certificate from a private CA), `tls.certFile` +
// `tls.keyFile` (mutual TLS: the registry demands a client certificate from its CA), and `token` (a
// registry behind token authentication, given a bearer token as it is). Certificates and the token's
// signing key are made here with openssl; images are pushed with skopeo.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, randomUUID, sign } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { certificates } from '../harness/certificates.js';
import { startRegistry, type RunningRegistry } from '../harness/registry.js';
import { FIXTURES_DIR, skopeo, unpackFixture } from '../harness/skopeo.js';
import { loadConfig } from '../../shared/config/load-config.js';
import { createRegistryAccess } from '../../shared/config/registry-access.js';
import { scanImage } from '../../shared/scan/scan-image.js';
import { renderChannels } from '../../shared/guix/build-recipe.js';
import { isRecipeError } from '../../shared/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'guix-recipes-registry-options-'));
const { file, makeCa, makeCert } = certificates(dir);

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

/** A JWT as distribution's token auth verifies it: RS256, the signing certificate in `x5c`. */
function registryToken(claims: { service: string; issuer: string; repository: string }): string {
  const pem = readFileSync(file('token-signer.crt'), 'utf8');
  const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
  const header = { alg: 'RS256', typ: 'JWT', x5c: [der.toString('base64')] };
  const now = Math.floor(Date.now() / 1000);
  const payload = {
    iss: claims.issuer,
    sub: 'guix-recipes-test',
    aud: claims.service,
    exp: now + 3600,
    nbf: now - 60,
    iat: now,
    jti: randomUUID(),
    access: [{ type: 'repository', name: claims.repository, actions: ['pull', 'push'] }],
  };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  const key = createPrivateKey(readFileSync(file('token-signer.key')));
  return `${input}.${b64url(sign('sha256', Buffer.from(input), key))}`;
}

/** The registry access the service builds from this configuration. */
function access(registry: Record<string, unknown>) {
  return createRegistryAccess(loadConfig({ env: {}, file: { registries: [registry] } }));
}

const EXPECTED = readFileSync(join(FIXTURES_DIR, 'two-channels', 'export-channels.scm'), 'utf8');

async function channelsThrough(registry: Record<string, unknown>, host: string, digest: string) {
  const a = access(registry);
  try {
    const scan = await scanImage(
      a.source({ registry: host, repository: 'team/app', digest: digest as never }),
      {
        signal: AbortSignal.timeout(60_000),
      },
    );
    const r = scan.results[0];
    assert.equal(r?.kind, 'recipe');
    return renderChannels(r.recipe);
  } finally {
    await a.close();
  }
}

async function refused(registry: Record<string, unknown>, host: string, digest: string): Promise<string> {
  const a = access(registry);
  try {
    await a.resolveTag(
      { registry: host, repository: 'team/app', tag: '1' },
      { signal: AbortSignal.timeout(60_000) },
    );
    void digest;
    assert.fail('the registry answered without the option');
  } catch (err) {
    assert.ok(isRecipeError(err), String(err));
    return `${err.code}: ${err.message}`;
  } finally {
    await a.close();
  }
}

void describe('registry options on real registries', { timeout: 300_000 }, () => {
  let archive: string;
  before(async () => {
    makeCa('ca');
    makeCert('server', 'ca', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
    makeCert('client', 'ca', 'extendedKeyUsage=clientAuth\n');
    makeCa('other-ca');
    makeCert('stranger', 'other-ca', 'extendedKeyUsage=clientAuth\n');
    makeCa('token-signer');
    // skopeo's certificate directory: the CA, and the client certificate for mutual TLS.
    mkdirSync(file('certs.d'));
    copyFileSync(file('ca.crt'), file('certs.d/ca.crt'));
    copyFileSync(file('client.crt'), file('certs.d/client.cert'));
    copyFileSync(file('client.key'), file('certs.d/client.key'));
    archive = await unpackFixture('two-channels', dir);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function push(reg: RunningRegistry, extra: string[]): Promise<string> {
    await skopeo(['copy', ...extra, `docker-archive:${archive}`, `docker://${reg.host}/team/app:1`]);
    const raw = await skopeo([
      'inspect',
      ...extra.map((a) => a.replace('--dest-', '--')),
      `docker://${reg.host}/team/app:1`,
    ]);
    return (JSON.parse(raw) as { Digest: string }).Digest;
  }

  void describe('tls.caFile: a registry with a certificate from a private CA', () => {
    let reg: RunningRegistry;
    let digest: string;
    before(async () => {
      reg = await startRegistry({ tls: { certFile: file('server.crt'), keyFile: file('server.key') } });
      digest = await push(reg, [`--dest-cert-dir=${file('certs.d')}`]);
    });
    after(async () => reg?.stop());

    void it('is read with the CA file configured', async () => {
      const text = await channelsThrough(
        { host: reg.host, tls: { caFile: file('ca.crt') } },
        reg.host,
        digest,
      );
      assert.equal(text, EXPECTED);
    });

    void it('is refused without it: the certificate is not trusted', async () => {
      const why = await refused({ host: reg.host }, reg.host, digest);
      assert.match(why, /^registry-error: .*(certificate|self.signed|issuer)/i);
    });

    void it('a CA file that is not PEM is a configuration error naming the field', () => {
      writeFileSync(file('not-pem.crt'), 'hello');
      assert.throws(
        () => access({ host: reg.host, tls: { caFile: file('not-pem.crt') } }),
        (e: unknown) => isRecipeError(e, 'usage') && /tls\.caFile: .* holds no PEM block/.test(e.message),
      );
      assert.throws(
        () => access({ host: reg.host, tls: { caFile: file('missing.crt') } }),
        (e: unknown) => isRecipeError(e, 'usage') && /tls\.caFile: cannot read/.test(e.message),
      );
    });
  });

  void describe('tls.certFile + keyFile: a registry demanding a client certificate', () => {
    let reg: RunningRegistry;
    let digest: string;
    const caFile = () => file('ca.crt');
    before(async () => {
      reg = await startRegistry({
        tls: {
          certFile: file('server.crt'),
          keyFile: file('server.key'),
          clientCaFiles: [file('ca.crt')],
          probe: {
            cert: readFileSync(file('client.crt'), 'utf8'),
            key: readFileSync(file('client.key'), 'utf8'),
          },
        },
      });
      digest = await push(reg, [`--dest-cert-dir=${file('certs.d')}`]);
    });
    after(async () => reg?.stop());

    void it('is read with the client certificate configured', async () => {
      const text = await channelsThrough(
        {
          host: reg.host,
          tls: { caFile: caFile(), certFile: file('client.crt'), keyFile: file('client.key') },
        },
        reg.host,
        digest,
      );
      assert.equal(text, EXPECTED);
    });

    void it('is refused without a client certificate, and with one from another CA', async () => {
      assert.match(
        await refused({ host: reg.host, tls: { caFile: caFile() } }, reg.host, digest),
        /^registry-error: /,
      );
      assert.match(
        await refused(
          {
            host: reg.host,
            tls: { caFile: caFile(), certFile: file('stranger.crt'), keyFile: file('stranger.key') },
          },
          reg.host,
          digest,
        ),
        /^registry-error: /,
      );
    });

    void it('a certificate without its key is a configuration error', () => {
      assert.throws(
        () => access({ host: reg.host, tls: { certFile: file('client.crt') } }),
        (e: unknown) => isRecipeError(e, 'usage') && /certFile and keyFile go together/.test(e.message),
      );
    });
  });

  void describe('token: a registry behind token authentication', () => {
    let reg: RunningRegistry;
    let digest: string;
    const auth = { realm: 'https://auth.invalid/token', service: 'test-registry', issuer: 'test-issuer' };
    let token: string;
    before(async () => {
      reg = await startRegistry({ tokenAuth: { ...auth, rootCertBundle: file('token-signer.crt') } });
      token = registryToken({ service: auth.service, issuer: auth.issuer, repository: 'team/app' });
      digest = await push(reg, ['--dest-tls-verify=false', `--dest-registry-token=${token}`]);
    });
    after(async () => reg?.stop());

    void it('is read with the token configured, sent as it is', async () => {
      const text = await channelsThrough({ host: reg.host, insecure: true, token }, reg.host, digest);
      assert.equal(text, EXPECTED);
    });

    void it('is refused without a token, and with a token for another repository', async () => {
      assert.match(
        await refused({ host: reg.host, insecure: true }, reg.host, digest),
        /^(unauthorized|registry-error): /,
      );
      const other = registryToken({ service: auth.service, issuer: auth.issuer, repository: 'team/other' });
      assert.match(
        await refused({ host: reg.host, insecure: true, token: other }, reg.host, digest),
        /^(unauthorized|not-found|registry-error): /,
      );
    });
  });
});
