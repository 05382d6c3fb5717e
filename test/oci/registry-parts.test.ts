/** The small pure parts of the registry client: challenges, Retry-After, error bodies, address policy, auth files, redaction. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseChallenges } from '../../shared/oci/registry/auth.js';
import { parseRetryAfter, registryErrorFor } from '../../shared/oci/registry/registry-error.js';
import { HostPolicy, disallowedAddressReason } from '../../shared/oci/registry/host-policy.js';
import {
  credentialsFromAuthFiles,
  defaultAuthFilePaths,
  lookupCredentials,
  parseAuthFile,
} from '../../shared/oci/registry/auth-file.js';
import { redactUrl } from '../../shared/oci/registry/redact.js';
import { parseCreds, registryEndpoint } from '../../shared/oci/registry/registry-endpoint.js';
import { isRecipeError } from '../../shared/errors.js';

void test('WWW-Authenticate: Bearer with realm, service, scope (quoted, escaped, several scopes)', () => {
  assert.deepEqual(
    parseChallenges(
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"',
    ),
    [
      {
        scheme: 'bearer',
        params: {
          realm: 'https://auth.docker.io/token',
          service: 'registry.docker.io',
          scope: 'repository:library/nginx:pull',
        },
      },
    ],
  );
  assert.deepEqual(
    parseChallenges(
      'Bearer realm="http://h/t", scope="repository:a:pull repository:b:pull,push", error="insufficient_scope"',
    )[0]!.params,
    {
      realm: 'http://h/t',
      scope: 'repository:a:pull repository:b:pull,push',
      error: 'insufficient_scope',
    },
  );
  assert.deepEqual(parseChallenges('Basic realm="a \\"q\\" b"'), [
    { scheme: 'basic', params: { realm: 'a "q" b' } },
  ]);
  const two = parseChallenges('Basic realm="x", Bearer realm="https://t/token",service=s');
  assert.deepEqual(
    two.map((c) => c.scheme),
    ['basic', 'bearer'],
  );
  assert.equal(two[1]!.params.service, 's');
  assert.deepEqual(parseChallenges(''), []);
  assert.deepEqual(parseChallenges('Bearer'), [{ scheme: 'bearer', params: {} }]);
});

void test('Retry-After: seconds, HTTP date, garbage', () => {
  const now = Date.parse('2026-11-22T10:00:00Z');
  assert.equal(parseRetryAfter('7', now), 7000);
  assert.equal(parseRetryAfter('Sun, 22 Nov 2026 10:00:30 GMT', now), 30_000);
  assert.equal(parseRetryAfter('Sun, 22 Nov 2026 09:00:00 GMT', now), 0);
  assert.equal(parseRetryAfter('soon', now), undefined);
  assert.equal(parseRetryAfter(undefined, now), undefined);
});

void test('distribution error bodies map to codes', () => {
  const body = (code: string) => Buffer.from(JSON.stringify({ errors: [{ code, message: 'm' }] }));
  assert.equal(registryErrorFor(404, body('MANIFEST_UNKNOWN'), 'x').code, 'not-found');
  assert.equal(registryErrorFor(404, body('NAME_UNKNOWN'), 'x').code, 'not-found');
  assert.equal(registryErrorFor(404, Buffer.from('404 page not found'), 'x').code, 'not-found');
  assert.equal(registryErrorFor(401, body('UNAUTHORIZED'), 'x').code, 'unauthorized');
  assert.equal(registryErrorFor(403, body('DENIED'), 'x').code, 'unauthorized');
  assert.equal(registryErrorFor(429, body('TOOMANYREQUESTS'), 'x', 5000).retryAfterMs, 5000);
  assert.equal(registryErrorFor(502, Buffer.from('<html>'), 'x').code, 'registry-error');
  assert.equal(registryErrorFor(400, body('NAME_INVALID'), 'x').code, 'invalid-reference');
  const e = registryErrorFor(404, body('MANIFEST_UNKNOWN'), 'manifest h/r:t');
  assert.match(e.message, /^manifest h\/r:t: MANIFEST_UNKNOWN: m \(HTTP 404\)$/);
});

void test("a 404 without a body (an answer to HEAD) is said in distribution's words, not a bare status", () => {
  const none = new Uint8Array(0);
  assert.equal(
    registryErrorFor(404, none, 'manifest h/r:t').message,
    'manifest h/r:t: MANIFEST_UNKNOWN: manifest unknown (HTTP 404)',
  );
  assert.equal(
    registryErrorFor(404, none, 'blob h/r@sha256:00').message,
    'blob h/r@sha256:00: BLOB_UNKNOWN: blob unknown to registry (HTTP 404)',
  );
  assert.equal(registryErrorFor(404, none, 'manifest h/r:t').code, 'not-found');
  // A body that is not the error JSON, or another status, is not given words it did not say.
  assert.equal(
    registryErrorFor(404, Buffer.from('404 page not found'), 'manifest h/r:t').message,
    'manifest h/r:t: HTTP 404 (HTTP 404)',
  );
  assert.equal(registryErrorFor(500, none, 'manifest h/r:t').message, 'manifest h/r:t: HTTP 500 (HTTP 500)');
});

void test('addresses: loopback, link-local, private, unspecified are refused; public ones pass', () => {
  for (const a of [
    '127.0.0.1',
    '127.9.9.9',
    '169.254.169.254',
    '10.0.0.1',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '0.0.0.0',
    '::1',
    '::',
    'fe80::1',
    'fd00::1',
    'fc00::5',
    '::ffff:127.0.0.1',
    '::ffff:a9fe:a9fe',
    '100.64.0.1',
    '192.0.0.1',
    '198.18.0.1',
    '198.19.255.1',
    '::10.0.0.1',
    '::8.8.8.8',
    '64:ff9b::a9fe:a9fe',
    '64:ff9b::7f00:1',
    '2002:a9fe:a9fe::1',
    '2002:c0a8:101::1',
  ])
    assert.ok(disallowedAddressReason(a), `${a} should be refused`);
  for (const a of [
    '8.8.8.8',
    '172.32.0.1',
    '192.169.0.1',
    '2001:4860:4860::8888',
    '1.1.1.1',
    '198.20.0.1',
    '64:ff9b::808:808',
    '2002:808:808::1',
  ])
    assert.equal(disallowedAddressReason(a), undefined, a);
});

void test('host policy: configured host:port passes, anything else must be https to public addresses', async () => {
  const lookups: string[] = [];
  const policy = new HostPolicy(['127.0.0.1:5000', 'registry.example'], {
    lookup: async (h) => {
      lookups.push(h);
      return h === 'rebind.example'
        ? [
            { address: '93.184.216.34', family: 4 },
            { address: '10.0.0.7', family: 4 },
          ]
        : [{ address: '93.184.216.34', family: 4 }];
    },
  });
  await policy.check(new URL('http://127.0.0.1:5000/v2/'), 't');
  await policy.check(new URL('http://registry.example/v2/'), 't');
  await policy.check(new URL('https://cdn.example/blob?sig=1'), 't');
  const refused = async (u: string) =>
    assert.rejects(policy.check(new URL(u), 't'), (e: unknown) => isRecipeError(e, 'host-not-allowed'));
  await refused('http://127.0.0.1:5001/');
  await refused('http://cdn.example/blob'); // plain http off the configured list
  await refused('https://rebind.example/'); // one of its addresses is private
  await refused('ftp://registry.example/');
  assert.deepEqual(lookups, ['cdn.example', 'rebind.example']);
});

void test('connect-time lookup refuses names that resolve to loopback unless they are configured', async () => {
  const call = (policy: HostPolicy, host: string) =>
    new Promise<unknown>((resolve) =>
      policy.connectLookup()(host, {}, (err: unknown, addr: unknown) => resolve(err ?? addr)),
    );
  const refused = await call(new HostPolicy([]), 'localhost');
  assert.ok(isRecipeError(refused, 'host-not-allowed'));
  assert.match(String(await call(new HostPolicy(['localhost:5000']), 'localhost')), /^(127\.0\.0\.1|::1)$/);
});

void test('auth files: auth base64, username/password, normalised keys, most specific key wins', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const entries = parseAuthFile(
    JSON.stringify({
      auths: {
        'https://index.docker.io/v1/': { auth: b64('hub:hubpass') },
        'ghcr.io': { username: 'g', password: 'gp:with:colons' },
        'ghcr.io/team': { auth: b64('team:tp') },
        'quay.io': { identitytoken: 'ignored' },
      },
      credsStore: 'desktop',
      credHelpers: { 'gcr.io': 'gcloud' },
    }),
    'test',
  );
  assert.deepEqual(lookupCredentials(entries, 'docker.io', 'library/nginx'), {
    username: 'hub',
    password: 'hubpass',
  });
  assert.deepEqual(lookupCredentials(entries, 'ghcr.io', 'other/x'), {
    username: 'g',
    password: 'gp:with:colons',
  });
  assert.deepEqual(lookupCredentials(entries, 'ghcr.io', 'team/app'), { username: 'team', password: 'tp' });
  assert.equal(lookupCredentials(entries, 'quay.io', 'x/y'), undefined);
  assert.equal(lookupCredentials(entries, 'gcr.io', 'x/y'), undefined);
  assert.throws(
    () => parseAuthFile('{', 'f'),
    (e: unknown) => isRecipeError(e, 'usage') && !e.message.includes('{'),
  );
  assert.throws(
    () => parseAuthFile(JSON.stringify({ auths: { h: { auth: b64('nocolon') } } }), 'f'),
    (e: unknown) => isRecipeError(e, 'usage'),
  );
});

void test('default auth file locations, in order', () => {
  assert.deepEqual(
    defaultAuthFilePaths({ REGISTRY_AUTH_FILE: '/x/auth.json', XDG_RUNTIME_DIR: '/run/user/1' }, '/home/u'),
    ['/x/auth.json'],
  );
  assert.deepEqual(defaultAuthFilePaths({ XDG_RUNTIME_DIR: '/run/user/1' }, '/home/u'), [
    '/run/user/1/containers/auth.json',
    '/home/u/.config/containers/auth.json',
    '/home/u/.docker/config.json',
  ]);
});

void test('the first default auth file with an entry wins', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'guix-recipes-auth-'));
  try {
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(dir, 'run', 'containers'), { recursive: true });
    await mkdir(join(dir, 'home', '.docker'), { recursive: true });
    await writeFile(
      join(dir, 'run', 'containers', 'auth.json'),
      JSON.stringify({ auths: { 'a.example': { username: 'ra', password: 'p' } } }),
    );
    await writeFile(
      join(dir, 'home', '.docker', 'config.json'),
      JSON.stringify({
        auths: {
          'a.example': { username: 'da', password: 'p' },
          'b.example': { username: 'db', password: 'p' },
        },
      }),
    );
    const opts = { env: { XDG_RUNTIME_DIR: join(dir, 'run') }, home: join(dir, 'home') };
    assert.equal((await credentialsFromAuthFiles('a.example', 'r', opts))?.username, 'ra');
    assert.equal((await credentialsFromAuthFiles('b.example', 'r', opts))?.username, 'db');
    assert.equal(await credentialsFromAuthFiles('c.example', 'r', opts), undefined);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

void test('redaction drops user info and query values', () => {
  assert.equal(
    redactUrl('https://u:p@s3.example/b/k?X-Amz-Signature=abc&X-Amz-Credential=def'),
    'https://s3.example/b/k?X-Amz-Signature=REDACTED&X-Amz-Credential=REDACTED',
  );
  assert.equal(redactUrl('http://h:5000/v2/'), 'http://h:5000/v2/');
});

void test('registry endpoint from GUIX_RECIPES_REGISTRIES spellings and --creds', () => {
  assert.deepEqual(registryEndpoint('http://127.0.0.1:5000'), {
    host: '127.0.0.1:5000',
    scheme: 'http',
    tlsVerify: true,
  });
  assert.deepEqual(registryEndpoint('ghcr.io'), { host: 'ghcr.io', scheme: 'https', tlsVerify: true });
  assert.equal(registryEndpoint('https://index.docker.io').host, 'docker.io');
  assert.throws(
    () => registryEndpoint('http://h/with/path'),
    (e: unknown) => isRecipeError(e, 'usage'),
  );
  assert.deepEqual(parseCreds('u:p:q'), { username: 'u', password: 'p:q' });
  assert.throws(
    () => parseCreds(':p'),
    (e: unknown) => isRecipeError(e, 'usage'),
  );
});

void test('an auth file that never ends (a device, a pipe) is refused at the cap, not read whole', async () => {
  const started = Date.now();
  await assert.rejects(
    credentialsFromAuthFiles('example.com', 'team/app', { authFile: '/dev/zero' }),
    (e) => isRecipeError(e, 'size-limit') && /larger than/.test(e.message),
  );
  assert.ok(Date.now() - started < 2_000, `took ${Date.now() - started} ms`);
});
