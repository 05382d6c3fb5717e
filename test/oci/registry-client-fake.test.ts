/**
 * The registry client against the in-process fake: what a real docker-registry cannot show
 * (token flow, redirects and their refusals, 429/5xx, corrupt and cut bodies, hostile realms).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { RegistryClient } from '../../shared/oci/registry/registry-client.js';
import type { ClientSettingsInput } from '../../shared/oci/registry/client-settings.js';
import { registryEndpoint, type RegistryEndpoint } from '../../shared/oci/registry/registry-endpoint.js';
import { parseReference } from '../../shared/oci/reference.js';
import { isRecipeError, type ErrorCode } from '../../shared/errors.js';
import type { Descriptor } from '../../shared/content/descriptor.js';
import {
  putTestImage,
  startFakeRegistry,
  startTestServer,
  type FakeRegistry,
  type TestServer,
} from '../harness/fake-registry.js';

const FAST: ClientSettingsInput = {
  retries: { max: 3, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 3000 },
  timeouts: { requestMs: 5000, headersMs: 3000, bodyIdleMs: 3000, blobMs: 10_000 },
};
const CREDS = { username: 'alice', password: 'pa55-secret-word' };

async function collect(s: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function http(host: string, extra: Partial<RegistryEndpoint> = {}): RegistryEndpoint {
  return { ...registryEndpoint(`http://${host}`), ...extra };
}

async function rejectsWith(p: Promise<unknown>, code: ErrorCode, re?: RegExp): Promise<Error> {
  let caught: unknown;
  try {
    await p;
  } catch (err) {
    caught = err;
  }
  assert.ok(isRecipeError(caught), `expected a RecipeError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  if (re) assert.match(caught.message, re);
  return caught;
}

const signal = () => AbortSignal.timeout(20_000);

void describe('registry client: anonymous reads', () => {
  let reg: FakeRegistry;
  let client: RegistryClient;
  let img: ReturnType<typeof putTestImage>;
  before(async () => {
    reg = await startFakeRegistry();
    img = putTestImage(reg, 'team/app', 'v1', randomBytes(100_000));
    client = new RegistryClient({ registries: [http(reg.host)], settings: FAST });
  });
  after(async () => {
    await client.close();
    await reg.close();
  });

  void test('manifestGet by tag returns the exact bytes and their digest', async () => {
    const got = await client.manifestGet(parseReference(`${reg.host}/team/app:v1`), { signal: signal() });
    assert.deepEqual(Buffer.from(got.bytes), img.manifestBytes);
    assert.deepEqual(got.descriptor, img.manifest);
    const accept = reg.requests.at(-1)!.headers.accept!;
    for (const mt of [
      'application/vnd.oci.image.index.v1+json',
      'application/vnd.oci.image.manifest.v1+json',
      'application/vnd.docker.distribution.manifest.list.v2+json',
      'application/vnd.docker.distribution.manifest.v2+json',
    ])
      assert.ok(accept.includes(mt), `Accept lacks ${mt}`);
  });

  void test('manifestHead resolves the tag to the digest without a body', async () => {
    const d = await client.manifestHead(parseReference(`${reg.host}/team/app:v1`), { signal: signal() });
    assert.deepEqual(d, img.manifest);
    assert.equal(reg.requests.at(-1)!.method, 'HEAD');
  });

  void test('manifestGet by digest', async () => {
    const got = await client.manifestGet(parseReference(`${reg.host}/team/app@${img.manifest.digest}`), {
      signal: signal(),
    });
    assert.equal(got.descriptor.digest, img.manifest.digest);
  });

  void test('blobGet streams the verified bytes', async () => {
    const s = await client.blobGet({ registry: reg.host, repository: 'team/app' }, img.layer, {
      signal: signal(),
    });
    assert.deepEqual(await collect(s), Buffer.from(img.layerBytes));
  });

  void test('blobGet with a range asks Range: bytes=a-b and gets exactly those bytes', async () => {
    const s = await client.blobGet({ registry: reg.host, repository: 'team/app' }, img.layer, {
      signal: signal(),
      range: { start: 10, end: 1033 },
    });
    assert.deepEqual(await collect(s), Buffer.from(img.layerBytes.subarray(10, 1034)));
    assert.equal(reg.requests.at(-1)!.headers.range, 'bytes=10-1033');
  });

  void test('a range outside the blob is a usage error', async () => {
    await rejectsWith(
      client.blobGet({ registry: reg.host, repository: 'team/app' }, img.layer, {
        signal: signal(),
        range: { start: 5, end: img.layer.size },
      }),
      'usage',
    );
  });

  void test('404 MANIFEST_UNKNOWN and BLOB_UNKNOWN are not-found', async () => {
    await rejectsWith(
      client.manifestGet(parseReference(`${reg.host}/team/app:nope`), { signal: signal() }),
      'not-found',
      /MANIFEST_UNKNOWN/,
    );
    const missing: Descriptor = {
      mediaType: 'application/octet-stream',
      digest: `sha256:${'0'.repeat(64)}`,
      size: 3,
    };
    await rejectsWith(
      client.blobGet({ registry: reg.host, repository: 'team/app' }, missing, { signal: signal() }),
      'not-found',
      /BLOB_UNKNOWN/,
    );
  });

  void test('an unconfigured registry is refused before any request', async () => {
    const n = reg.requests.length;
    await rejectsWith(
      client.manifestGet(parseReference('127.0.0.1:1/x:y'), { signal: signal() }),
      'host-not-allowed',
    );
    assert.equal(reg.requests.length, n);
  });

  void test('ping', async () => {
    await client.ping(reg.host, { signal: signal() });
    assert.equal(reg.requests.at(-1)!.url, '/v2/');
  });
});

void describe('registry client: hostile and broken answers', () => {
  let reg: FakeRegistry;
  let client: RegistryClient;
  let img: ReturnType<typeof putTestImage>;
  const repo = () => ({ registry: reg.host, repository: 'team/app' });
  before(async () => {
    reg = await startFakeRegistry();
    img = putTestImage(reg, 'team/app', 'v1', randomBytes(200_000));
    client = new RegistryClient({
      registries: [http(reg.host)],
      settings: { ...FAST, limits: { manifestBytes: 64 * 1024 } },
    });
  });
  after(async () => {
    await client.close();
    await reg.close();
  });

  void test('blob bytes that do not match their digest fail at the end of the stream', async () => {
    reg.clearIntercepts();
    reg.intercept((req, res, url) => {
      if (!url.pathname.includes('/blobs/')) return false;
      const bad = Buffer.from(img.layerBytes);
      bad[bad.length - 1] = bad[bad.length - 1]! ^ 0xff;
      res.writeHead(200, { 'content-length': bad.length }).end(bad);
      return true;
    });
    const s = await client.blobGet(repo(), img.layer, { signal: signal() });
    await rejectsWith(collect(s), 'digest-mismatch', /expected sha256:/);
    reg.clearIntercepts();
  });

  void test('a blob whose Docker-Content-Digest names another digest is refused before reading', async () => {
    reg.clearIntercepts();
    reg.intercept((req, res, url) => {
      if (!url.pathname.includes('/blobs/')) return false;
      res
        .writeHead(200, {
          'content-length': img.layerBytes.length,
          'docker-content-digest': `sha256:${'1'.repeat(64)}`,
        })
        .end(img.layerBytes);
      return true;
    });
    await rejectsWith(client.blobGet(repo(), img.layer, { signal: signal() }), 'digest-mismatch');
    reg.clearIntercepts();
  });

  void test('a blob body cut in the middle is truncated, never verified', async () => {
    reg.clearIntercepts();
    reg.intercept((req, res, url) => {
      if (!url.pathname.includes('/blobs/')) return false;
      res.writeHead(200, { 'content-length': img.layerBytes.length });
      res.write(img.layerBytes.subarray(0, 50_000), () => setTimeout(() => res.socket?.destroy(), 20));
      return true;
    });
    const s = await client.blobGet(repo(), img.layer, { signal: signal() });
    await rejectsWith(collect(s), 'truncated');
    reg.clearIntercepts();
  });

  void test('a blob longer than its descriptor is refused', async () => {
    reg.clearIntercepts();
    reg.intercept((req, res, url) => {
      if (!url.pathname.includes('/blobs/')) return false;
      res.writeHead(200, { 'transfer-encoding': 'chunked' });
      res.end(Buffer.concat([Buffer.from(img.layerBytes), Buffer.from('extra')]));
      return true;
    });
    const s = await client.blobGet(repo(), img.layer, { signal: signal() });
    await rejectsWith(collect(s), 'digest-mismatch', /more than/);
    reg.clearIntercepts();
  });

  void test('a manifest cut in the middle is truncated (after retries)', async () => {
    reg.clearIntercepts();
    let n = 0;
    reg.intercept((req, res, url) => {
      if (!url.pathname.includes('/manifests/')) return false;
      n++;
      res.writeHead(200, {
        'content-type': img.manifest.mediaType,
        'content-length': img.manifestBytes.length,
      });
      res.write(img.manifestBytes.subarray(0, 20), () => setTimeout(() => res.socket?.destroy(), 20));
      return true;
    });
    await rejectsWith(
      client.manifestGet(parseReference(`${reg.host}/team/app:v1`), { signal: signal() }),
      'truncated',
    );
    assert.equal(n, 4, 'one attempt and three retries');
    reg.clearIntercepts();
  });

  void test('a manifest whose bytes do not match Docker-Content-Digest is refused', async () => {
    reg.clearIntercepts();
    reg.intercept((req, res, url) => {
      if (!url.pathname.includes('/manifests/')) return false;
      res
        .writeHead(200, {
          'content-type': img.manifest.mediaType,
          'docker-content-digest': `sha256:${'2'.repeat(64)}`,
        })
        .end(img.manifestBytes);
      return true;
    });
    await rejectsWith(
      client.manifestGet(parseReference(`${reg.host}/team/app:v1`), { signal: signal() }),
      'digest-mismatch',
    );
    reg.clearIntercepts();
  });

  void test('a manifest fetched by digest must hash to that digest (even without the header)', async () => {
    reg.clearIntercepts();
    const other = Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: img.manifest.mediaType, config: img.config, layers: [] }),
    );
    reg.intercept((req, res, url) => {
      if (!url.pathname.includes('/manifests/')) return false;
      res.writeHead(200, { 'content-type': img.manifest.mediaType }).end(other);
      return true;
    });
    await rejectsWith(
      client.manifestGet(parseReference(`${reg.host}/team/app@${img.manifest.digest}`), { signal: signal() }),
      'digest-mismatch',
    );
    reg.clearIntercepts();
  });

  void test('Docker schema 1 is refused by name', async () => {
    reg.clearIntercepts();
    const s1 = Buffer.from(
      JSON.stringify({ schemaVersion: 1, name: 'team/app', tag: 'v1', fsLayers: [], history: [] }),
    );
    reg.intercept((req, res, url) => {
      if (!url.pathname.endsWith('/manifests/old')) return false;
      res
        .writeHead(200, { 'content-type': 'application/vnd.docker.distribution.manifest.v1+prettyjws' })
        .end(s1);
      return true;
    });
    reg.intercept((req, res, url) => {
      if (!url.pathname.endsWith('/manifests/old-json')) return false;
      res.writeHead(200, { 'content-type': 'application/json' }).end(s1);
      return true;
    });
    await rejectsWith(
      client.manifestGet(parseReference(`${reg.host}/team/app:old`), { signal: signal() }),
      'unsupported-media-type',
      /schema 1/,
    );
    await rejectsWith(
      client.manifestGet(parseReference(`${reg.host}/team/app:old-json`), { signal: signal() }),
      'unsupported-media-type',
      /schema 1/,
    );
    reg.clearIntercepts();
  });

  void test('a manifest over the size cap is refused (announced or not)', async () => {
    reg.clearIntercepts();
    const big = Buffer.alloc(100 * 1024, 0x20);
    reg.intercept((req, res, url) => {
      if (!url.pathname.includes('/manifests/')) return false;
      if (url.pathname.endsWith('chunked'))
        res.writeHead(200, { 'content-type': img.manifest.mediaType, 'transfer-encoding': 'chunked' });
      else res.writeHead(200, { 'content-type': img.manifest.mediaType, 'content-length': big.length });
      res.end(big);
      return true;
    });
    await rejectsWith(
      client.manifestGet(parseReference(`${reg.host}/team/app:big`), { signal: signal() }),
      'size-limit',
    );
    await rejectsWith(
      client.manifestGet(parseReference(`${reg.host}/team/app:chunked`), { signal: signal() }),
      'size-limit',
    );
    reg.clearIntercepts();
  });

  void test('error bodies are read with a cap and parsed as distribution errors', async () => {
    reg.clearIntercepts();
    reg.intercept((req, res, url) => {
      if (!url.pathname.includes('/manifests/')) return false;
      const body = JSON.stringify({
        errors: [{ code: 'DENIED', message: 'requested access to the resource is denied' }],
        pad: 'x'.repeat(2 * 1024 * 1024),
      });
      res.writeHead(403, { 'content-type': 'application/json' }).end(body);
      return true;
    });
    const err = await rejectsWith(
      client.manifestGet(parseReference(`${reg.host}/team/app:v1`), { signal: signal() }),
      'unauthorized',
      /HTTP 403/,
    );
    assert.ok(err.message.length < 500);
    reg.clearIntercepts();
  });

  void test('5xx then success is retried', async () => {
    reg.clearIntercepts();
    let n = 0;
    reg.intercept((req, res, url) => {
      if (!url.pathname.includes('/manifests/') || ++n > 2) return false;
      res.writeHead(n === 1 ? 500 : 502, { 'content-type': 'text/plain' }).end('upstream trouble');
      return true;
    });
    const got = await client.manifestGet(parseReference(`${reg.host}/team/app:v1`), { signal: signal() });
    assert.equal(got.descriptor.digest, img.manifest.digest);
    assert.equal(n, 3);
    reg.clearIntercepts();
  });

  void test('5xx that never ends is a registry-error after the retries', async () => {
    reg.clearIntercepts();
    let n = 0;
    reg.intercept((req, res, url) => {
      if (!url.pathname.includes('/manifests/')) return false;
      n++;
      res
        .writeHead(500, { 'content-type': 'application/json' })
        .end(JSON.stringify({ errors: [{ code: 'UNKNOWN', message: 'boom' }] }));
      return true;
    });
    await rejectsWith(
      client.manifestGet(parseReference(`${reg.host}/team/app:v1`), { signal: signal() }),
      'registry-error',
      /HTTP 500/,
    );
    assert.equal(n, 4);
    reg.clearIntercepts();
  });

  void test('a connection reset before the answer is retried', async () => {
    reg.clearIntercepts();
    let n = 0;
    reg.intercept((req, res, url) => {
      if (!url.pathname.includes('/blobs/') || ++n > 1) return false;
      req.socket.destroy();
      return true;
    });
    const s = await client.blobGet(repo(), img.layer, { signal: signal() });
    assert.deepEqual(await collect(s), Buffer.from(img.layerBytes));
    assert.equal(n, 2);
    reg.clearIntercepts();
  });

  void test('429 with Retry-After (seconds) is waited for, then succeeds', async () => {
    reg.clearIntercepts();
    let n = 0;
    const times: number[] = [];
    reg.intercept((req, res, url) => {
      if (!url.pathname.includes('/manifests/')) return false;
      times.push(Date.now());
      if (++n > 1) return false;
      res
        .writeHead(429, { 'retry-after': '1', 'content-type': 'application/json' })
        .end(JSON.stringify({ errors: [{ code: 'TOOMANYREQUESTS', message: 'slow down' }] }));
      return true;
    });
    const got = await client.manifestGet(parseReference(`${reg.host}/team/app:v1`), { signal: signal() });
    assert.equal(got.descriptor.digest, img.manifest.digest);
    assert.ok(times[1]! - times[0]! >= 950, `waited ${times[1]! - times[0]!} ms`);
    reg.clearIntercepts();
  });

  void test('503 with Retry-After as an HTTP date is honoured', async () => {
    reg.clearIntercepts();
    let n = 0;
    const times: number[] = [];
    reg.intercept((req, res, url) => {
      if (!url.pathname.includes('/manifests/')) return false;
      times.push(Date.now());
      if (++n > 1) return false;
      res.writeHead(503, { 'retry-after': new Date(Date.now() + 2000).toUTCString() }).end();
      return true;
    });
    await client.manifestGet(parseReference(`${reg.host}/team/app:v1`), { signal: signal() });
    assert.ok(times[1]! - times[0]! >= 900, `waited ${times[1]! - times[0]!} ms`);
    reg.clearIntercepts();
  });

  void test('429 beyond the cap fails at once as rate-limited with retryAfterMs', async () => {
    reg.clearIntercepts();
    let n = 0;
    reg.intercept((req, res, url) => {
      if (!url.pathname.includes('/manifests/')) return false;
      n++;
      res.writeHead(429, { 'retry-after': '120' }).end();
      return true;
    });
    const err = await rejectsWith(
      client.manifestGet(parseReference(`${reg.host}/team/app:v1`), { signal: signal() }),
      'rate-limited',
    );
    assert.equal((err as { retryAfterMs?: number }).retryAfterMs, 120_000);
    assert.equal((err as { kind?: string }).kind, 'rate-limited');
    assert.equal(n, 1);
    reg.clearIntercepts();
  });

  void test('429 that never stops ends as rate-limited once retries are exhausted', async () => {
    reg.clearIntercepts();
    let n = 0;
    reg.intercept((req, res, url) => {
      if (!url.pathname.includes('/manifests/')) return false;
      n++;
      res.writeHead(429, { 'retry-after': '0' }).end();
      return true;
    });
    const err = await rejectsWith(
      client.manifestGet(parseReference(`${reg.host}/team/app:v1`), { signal: signal() }),
      'rate-limited',
    );
    assert.equal((err as { retryAfterMs?: number }).retryAfterMs, 0);
    assert.equal(n, 4);
    reg.clearIntercepts();
  });

  void test('a caller abort mid-blob ends the stream with aborted', async () => {
    reg.clearIntercepts();
    reg.intercept((req, res, url) => {
      if (!url.pathname.includes('/blobs/')) return false;
      res.writeHead(200, { 'content-length': img.layerBytes.length });
      res.write(img.layerBytes.subarray(0, 1000)); // then hang
      return true;
    });
    const ac = new AbortController();
    const s = await client.blobGet(repo(), img.layer, { signal: ac.signal });
    setTimeout(() => ac.abort(), 100);
    await rejectsWith(collect(s), 'aborted');
    reg.clearIntercepts();
  });

  void test('a registry that never answers times out', async () => {
    const slow = new RegistryClient({
      registries: [http(reg.host)],
      settings: { ...FAST, retries: { max: 0 }, timeouts: { requestMs: 300 } },
    });
    reg.clearIntercepts();
    reg.intercept((req, res, url) => url.pathname.includes('/manifests/')); // never answers
    await rejectsWith(
      slow.manifestGet(parseReference(`${reg.host}/team/app:v1`), { signal: signal() }),
      'timeout',
    );
    reg.clearIntercepts();
    await slow.close();
  });
});

void describe('registry client: bearer tokens', () => {
  let reg: FakeRegistry;
  let client: RegistryClient;
  let img: ReturnType<typeof putTestImage>;
  before(async () => {
    reg = await startFakeRegistry({
      auth: { kind: 'bearer', credentials: CREDS, service: 'fake', expiresIn: 300 },
    });
    img = putTestImage(reg, 'team/app', 'v1');
    client = new RegistryClient({ registries: [http(reg.host, { credentials: CREDS })], settings: FAST });
  });
  after(async () => {
    await client.close();
    await reg.close();
  });

  void test('401 challenge → token with basic credentials → request with the token', async () => {
    const got = await client.manifestGet(parseReference(`${reg.host}/team/app:v1`), { signal: signal() });
    assert.equal(got.descriptor.digest, img.manifest.digest);
    assert.equal(reg.tokenRequests.length, 1);
    const tr = new URL(reg.tokenRequests[0]!.url, 'http://x');
    assert.equal(tr.searchParams.get('service'), 'fake');
    assert.deepEqual(tr.searchParams.getAll('scope'), ['repository:team/app:pull']);
    assert.equal(
      reg.tokenRequests[0]!.headers.authorization,
      `Basic ${Buffer.from('alice:pa55-secret-word').toString('base64')}`,
    );
    assert.match(reg.requests.at(-1)!.headers.authorization ?? '', /^Bearer [0-9a-f]{32}$/);
  });

  void test('the token is reused for the same scope', async () => {
    const before = reg.tokenRequests.length;
    await client.manifestHead(parseReference(`${reg.host}/team/app:v1`), { signal: signal() });
    const s = await client.blobGet({ registry: reg.host, repository: 'team/app' }, img.layer, {
      signal: signal(),
    });
    await collect(s);
    assert.equal(reg.tokenRequests.length, before);
  });

  void test('a revoked token is refreshed once on 401', async () => {
    reg.revokeTokens();
    const before = reg.tokenRequests.length;
    await client.manifestGet(parseReference(`${reg.host}/team/app:v1`), { signal: signal() });
    assert.equal(reg.tokenRequests.length, before + 1);
  });

  void test('wrong credentials are unauthorized, and the password appears in no message', async () => {
    const bad = { username: 'alice', password: 'wrong-secret-xyz' };
    const c = new RegistryClient({ registries: [http(reg.host, { credentials: bad })], settings: FAST });
    const err = await rejectsWith(
      c.manifestGet(parseReference(`${reg.host}/team/app:v1`), { signal: signal() }),
      'unauthorized',
    );
    assert.ok(!err.message.includes('wrong-secret-xyz'));
    assert.ok(!JSON.stringify(err).includes('wrong-secret-xyz'));
    await c.close();
  });

  void test('anonymous access to a token endpoint that wants credentials is unauthorized', async () => {
    const c = new RegistryClient({ registries: [http(reg.host)], settings: FAST });
    await rejectsWith(
      c.manifestGet(parseReference(`${reg.host}/team/app:v1`), { signal: signal() }),
      'unauthorized',
    );
    await c.close();
  });
});

void describe('registry client: token lifetime and fields', () => {
  void test('expires_in is honoured (minus the margin) and access_token accepted', async () => {
    const reg = await startFakeRegistry({ auth: { kind: 'bearer', expiresIn: 11, accessTokenField: true } });
    putTestImage(reg, 'team/app', 'v1');
    const client = new RegistryClient({
      registries: [http(reg.host)],
      settings: { ...FAST, tokenMarginMs: 10_500 },
    });
    await client.manifestGet(parseReference(`${reg.host}/team/app:v1`), { signal: signal() });
    await client.manifestGet(parseReference(`${reg.host}/team/app:v1`), { signal: signal() });
    assert.equal(reg.tokenRequests.length, 1, 'still valid for 500 ms');
    await new Promise((r) => setTimeout(r, 700));
    await client.manifestGet(parseReference(`${reg.host}/team/app:v1`), { signal: signal() });
    assert.equal(reg.tokenRequests.length, 2, 'expired, so fetched again');
    await client.close();
    await reg.close();
  });
});

void describe('registry client: basic auth', () => {
  void test('credentials are sent after the Basic challenge; without them it is unauthorized', async () => {
    const reg = await startFakeRegistry({ auth: { kind: 'basic', credentials: CREDS } });
    const img = putTestImage(reg, 'team/app', 'v1');
    const good = new RegistryClient({ registries: [http(reg.host, { credentials: CREDS })], settings: FAST });
    assert.equal(
      (await good.manifestGet(parseReference(`${reg.host}/team/app:v1`), { signal: signal() })).descriptor
        .digest,
      img.manifest.digest,
    );
    const anon = new RegistryClient({ registries: [http(reg.host)], settings: FAST });
    await rejectsWith(
      anon.manifestGet(parseReference(`${reg.host}/team/app:v1`), { signal: signal() }),
      'unauthorized',
      /HTTP 401/,
    );
    await Promise.all([good.close(), anon.close(), reg.close()]);
  });
});

void describe('registry client: redirects', () => {
  let reg: FakeRegistry;
  let cdn: TestServer;
  let client: RegistryClient;
  let img: ReturnType<typeof putTestImage>;
  before(async () => {
    reg = await startFakeRegistry({ auth: { kind: 'basic', credentials: CREDS } });
    img = putTestImage(reg, 'team/app', 'v1', randomBytes(50_000));
    cdn = await startTestServer((req, res) => {
      const range = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
      if (range) {
        const [s, e] = [Number(range[1]), Number(range[2])];
        res
          .writeHead(206, {
            'content-range': `bytes ${s}-${e}/${img.layerBytes.length}`,
            'content-length': e - s + 1,
          })
          .end(img.layerBytes.subarray(s, e + 1));
      } else res.writeHead(200, { 'content-length': img.layerBytes.length }).end(img.layerBytes);
    });
    // The CDN is a second configured host:port (loopback must be configured to be reachable at all).
    client = new RegistryClient({
      registries: [http(reg.host, { credentials: CREDS }), http(cdn.host)],
      settings: FAST,
    });
  });
  after(async () => {
    await client.close();
    await Promise.all([reg.close(), cdn.close()]);
  });
  const redirectBlobsTo = (location: string, status = 307) => {
    reg.clearIntercepts();
    reg.intercept((req, res, url) => {
      if (!url.pathname.includes('/blobs/')) return false;
      if (!req.headers.authorization) return false; // let the fake challenge first
      res.writeHead(status, { location }).end();
      return true;
    });
  };

  for (const status of [307, 302, 301, 303, 308]) {
    void test(`${status} to another host is followed, without the registry's Authorization`, async () => {
      redirectBlobsTo(`${cdn.url}/data/${img.layer.digest}?X-Amz-Signature=s3cr3t`, status);
      const n = cdn.requests.length;
      const s = await client.blobGet({ registry: reg.host, repository: 'team/app' }, img.layer, {
        signal: signal(),
      });
      assert.deepEqual(await collect(s), Buffer.from(img.layerBytes));
      const hop = cdn.requests[n]!;
      assert.equal(hop.headers.authorization, undefined);
      assert.equal(hop.headers.cookie, undefined);
      assert.ok(
        reg.requests.some((r) => r.url.includes('/blobs/') && r.headers.authorization?.startsWith('Basic ')),
        'the registry itself got credentials',
      );
      reg.clearIntercepts();
    });
  }

  void test('Range is forwarded on the redirect hop', async () => {
    redirectBlobsTo(`${cdn.url}/data/${img.layer.digest}`);
    const s = await client.blobGet({ registry: reg.host, repository: 'team/app' }, img.layer, {
      signal: signal(),
      range: { start: 100, end: 199 },
    });
    assert.deepEqual(await collect(s), Buffer.from(img.layerBytes.subarray(100, 200)));
    assert.equal(cdn.requests.at(-1)!.headers.range, 'bytes=100-199');
    reg.clearIntercepts();
  });

  void test('a server that ignores Range still yields exactly the range', async () => {
    const plain = await startTestServer(
      (req, res) => void res.writeHead(200, { 'content-length': img.layerBytes.length }).end(img.layerBytes),
    );
    const c = new RegistryClient({
      registries: [http(reg.host, { credentials: CREDS }), http(plain.host)],
      settings: FAST,
    });
    redirectBlobsTo(`${plain.url}/blob`);
    const s = await c.blobGet({ registry: reg.host, repository: 'team/app' }, img.layer, {
      signal: signal(),
      range: { start: 40_000, end: 40_099 },
    });
    assert.deepEqual(await collect(s), Buffer.from(img.layerBytes.subarray(40_000, 40_100)));
    reg.clearIntercepts();
    await c.close();
    await plain.close();
  });

  void test('a server that ignores Range and sends an endless body: the range ends at its last byte', async () => {
    let closed = 0;
    const timers = new Set<NodeJS.Timeout>();
    const endless = await startTestServer((req, res) => {
      res.writeHead(200); // no length, never ends: object storage gone wrong, or hostile
      res.write(img.layerBytes);
      const t = setInterval(() => res.write(Buffer.alloc(1024)), 20);
      timers.add(t);
      res.on('close', () => {
        clearInterval(t);
        closed++;
      });
    });
    const c = new RegistryClient({
      registries: [http(reg.host, { credentials: CREDS }), http(endless.host)],
      settings: { ...FAST, timeouts: { ...FAST.timeouts, bodyIdleMs: 8_000, blobMs: 8_000 } },
    });
    try {
      redirectBlobsTo(`${endless.url}/blob`);
      const started = Date.now();
      const s = await c.blobGet({ registry: reg.host, repository: 'team/app' }, img.layer, {
        signal: signal(),
        range: { start: 100, end: 199 },
      });
      assert.deepEqual(await collect(s), Buffer.from(img.layerBytes.subarray(100, 200)));
      assert.ok(Date.now() - started < 5_000, 'the range did not wait for the end of the body');
      for (let i = 0; i < 100 && closed === 0; i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal(closed, 1, 'the connection was closed once the range was read');
    } finally {
      for (const t of timers) clearInterval(t);
      reg.clearIntercepts();
      await c.close();
      await endless.close();
    }
  });

  const refused: [string, string][] = [
    ['127.0.0.1 on a port that is not configured', 'http://127.0.0.1:9/x'],
    ['https to 127.0.0.1 (loopback) on a port that is not configured', 'https://127.0.0.1:9/x'],
    ['169.254.169.254 (cloud metadata)', 'http://169.254.169.254/latest/meta-data/'],
    ['https to 169.254.169.254', 'https://169.254.169.254/latest/meta-data/'],
    ['a private address', 'https://10.1.2.3/x'],
    ['a private IPv6 address', 'https://[fd00::1]/x'],
    ['IPv4-mapped loopback', 'https://[::ffff:127.0.0.1]:8443/x'],
    ['the unspecified address', 'https://0.0.0.0/x'],
    ['localhost (a name for loopback)', 'https://localhost:9/x'],
    ['a non-http scheme', 'file:///etc/passwd'],
  ];
  for (const [what, location] of refused) {
    void test(`a redirect to ${what} is refused`, async () => {
      redirectBlobsTo(location);
      const err = await rejectsWith(
        client.blobGet({ registry: reg.host, repository: 'team/app' }, img.layer, { signal: signal() }),
        'host-not-allowed',
      );
      assert.ok(!err.message.includes('pa55'), 'no password in the message');
      reg.clearIntercepts();
    });
  }

  void test('query strings of refused redirect targets are redacted in the message', async () => {
    redirectBlobsTo('https://169.254.169.254/x?X-Amz-Signature=very-secret-sig');
    const err = await rejectsWith(
      client.blobGet({ registry: reg.host, repository: 'team/app' }, img.layer, { signal: signal() }),
      'host-not-allowed',
    );
    assert.ok(!err.message.includes('very-secret-sig'));
    assert.match(err.message, /X-Amz-Signature=REDACTED/);
    reg.clearIntercepts();
  });

  void test('redirect loops stop after the hop bound', async () => {
    reg.clearIntercepts();
    reg.intercept((req, res, url) => {
      if (!url.pathname.includes('/blobs/') || !req.headers.authorization) return false;
      res.writeHead(307, { location: `${cdn.url}/loop` }).end();
      return true;
    });
    cdn.intercept((req, res, url) => {
      if (url.pathname !== '/loop') return false;
      res.writeHead(307, { location: `${cdn.url}/loop` }).end();
      return true;
    });
    await rejectsWith(
      client.blobGet({ registry: reg.host, repository: 'team/app' }, img.layer, { signal: signal() }),
      'registry-error',
      /more than 5 redirects/,
    );
    reg.clearIntercepts();
    cdn.clearIntercepts();
  });
});

void describe('registry client: token realms', () => {
  void test('a realm on another, unconfigured loopback host is refused (plain http and https)', async () => {
    for (const realm of [
      'http://127.0.0.1:9/token',
      'https://127.0.0.1:9/token',
      'https://169.254.169.254/token',
    ]) {
      const reg = await startFakeRegistry({ auth: { kind: 'bearer', realm } });
      putTestImage(reg, 'team/app', 'v1');
      const client = new RegistryClient({
        registries: [http(reg.host, { credentials: CREDS })],
        settings: FAST,
      });
      await rejectsWith(
        client.manifestGet(parseReference(`${reg.host}/team/app:v1`), { signal: signal() }),
        'host-not-allowed',
        /token realm/,
      );
      await client.close();
      await reg.close();
    }
  });

  void test('a 401 whose realm is refused has its body dropped: the connection closes at once', async () => {
    let closed = 0;
    const timers = new Set<NodeJS.Timeout>();
    const hostile = await startTestServer((req, res) => {
      res.writeHead(401, { 'www-authenticate': 'Bearer realm="https://169.254.169.254/token"' });
      const t = setInterval(() => res.write(Buffer.alloc(64 * 1024, 0x20)), 10); // an error body that never ends
      timers.add(t);
      res.on('close', () => {
        clearInterval(t);
        closed++;
      });
    });
    const client = new RegistryClient({
      registries: [http(hostile.host)],
      settings: { ...FAST, timeouts: { ...FAST.timeouts, bodyIdleMs: 20_000, requestMs: 20_000 } },
    });
    try {
      await rejectsWith(
        client.manifestGet(parseReference(`${hostile.host}/team/app:v1`), { signal: signal() }),
        'host-not-allowed',
        /token realm/,
      );
      for (let i = 0; i < 50 && closed === 0; i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal(closed, 1, 'the refused answer was not left hanging on its connection');
    } finally {
      for (const t of timers) clearInterval(t);
      await client.close();
      await hostile.close();
    }
  });

  void test('credentials go to a realm on another configured host only when it is listed for the registry', async () => {
    const tokens = await startFakeRegistry({ auth: { kind: 'bearer', credentials: CREDS } });
    const reg = await startFakeRegistry({ auth: { kind: 'bearer', realm: `${tokens.url}/token` } });
    putTestImage(reg, 'team/app', 'v1');
    // The fake registry trusts only the tokens it issued itself; share the token table by answering with the realm's token.
    const strict = new RegistryClient({
      registries: [http(reg.host, { credentials: CREDS }), http(tokens.host)],
      settings: FAST,
    });
    await rejectsWith(
      strict.manifestGet(parseReference(`${reg.host}/team/app:v1`), { signal: signal() }),
      'host-not-allowed',
      /not sent there/,
    );
    assert.equal(tokens.tokenRequests.length, 0);
    const trusting = new RegistryClient({
      registries: [http(reg.host, { credentials: CREDS, tokenRealmHosts: [tokens.host] }), http(tokens.host)],
      settings: FAST,
    });
    // The realm is asked with the credentials; the registry then refuses the foreign token (unauthorized), which is fine here.
    await rejectsWith(
      trusting.manifestGet(parseReference(`${reg.host}/team/app:v1`), { signal: signal() }),
      'unauthorized',
    );
    assert.equal(tokens.tokenRequests.length, 1);
    assert.ok(tokens.tokenRequests[0]!.headers.authorization?.startsWith('Basic '));
    await Promise.all([strict.close(), trusting.close(), reg.close(), tokens.close()]);
  });
});

void test('the fake hashes what it serves (sanity of the harness itself)', async () => {
  const reg = await startFakeRegistry();
  const bytes = randomBytes(10);
  const d = reg.putBlob(bytes);
  assert.equal(d.digest, `sha256:${createHash('sha256').update(bytes).digest('hex')}`);
  await reg.close();
});
