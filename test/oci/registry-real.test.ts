/**
 * The registry client and RegistrySource against Debian's docker-registry: every fixture pushed
 * with skopeo as Docker schema 2 (gzip), OCI (gzip) and OCI (zstd); manifests and blobs read back
 * and verified; tag → digest; ranges; a second registry behind htpasswd basic auth.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { RegistryClient } from '../../shared/oci/registry/registry-client.js';
import { registryEndpoint } from '../../shared/oci/registry/registry-endpoint.js';
import { parseReference } from '../../shared/oci/reference.js';
import { registrySource } from '../../shared/oci/sources/registry-source.js';
import { isRecipeError } from '../../shared/errors.js';
import type { Descriptor } from '../../shared/content/descriptor.js';
import { startRegistry, type RunningRegistry } from '../harness/registry.js';
import {
  FIXTURE_NAMES,
  pushFixture,
  tempDir,
  unpackFixture,
  pushArchive,
  type PushFormat,
  type PushedImage,
} from '../harness/skopeo.js';

const FIXTURES = FIXTURE_NAMES;
const FORMATS: PushFormat[] = ['v2s2', 'oci', 'oci-zstd'];
const LAYER_TYPE: Record<PushFormat, string> = {
  v2s2: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  oci: 'application/vnd.oci.image.layer.v1.tar+gzip',
  'oci-zstd': 'application/vnd.oci.image.layer.v1.tar+zstd',
};
const MANIFEST_TYPE: Record<PushFormat, string> = {
  v2s2: 'application/vnd.docker.distribution.manifest.v2+json',
  oci: 'application/vnd.oci.image.manifest.v1+json',
  'oci-zstd': 'application/vnd.oci.image.manifest.v1+json',
};

async function collect(s: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const signal = () => AbortSignal.timeout(60_000);

/** Run `fn` over `items` with at most `n` at a time. */
async function pool<T, R>(items: T[], n: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

void describe('registry client on docker-registry', { timeout: 300_000 }, () => {
  let reg: RunningRegistry;
  let work: string;
  let client: RegistryClient;
  const pushed = new Map<string, PushedImage>(); // `${fixture}/${format}`

  before(async () => {
    [reg, work] = await Promise.all([startRegistry(), tempDir()]);
    const archives = new Map(
      await Promise.all(FIXTURES.map(async (f) => [f, await unpackFixture(f, work)] as const)),
    );
    // Fixtures in parallel, the formats of one fixture in turn: two formats share blobs, and
    // docker-registry may fail one of two uploads of the same blob to a repository at once.
    await pool([...FIXTURES], 4, async (f) => {
      for (const fmt of FORMATS)
        pushed.set(`${f}/${fmt}`, await pushArchive(archives.get(f)!, `${reg.host}/guix/${f}:${fmt}`, fmt));
    });
    client = new RegistryClient({ registries: [registryEndpoint(`http://${reg.host}`)] });
  });
  after(async () => {
    await client?.close();
    await reg?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  for (const f of FIXTURES) {
    for (const fmt of FORMATS) {
      void test(`${f} as ${fmt}: manifest, config and every layer read back verified`, async () => {
        const p = pushed.get(`${f}/${fmt}`)!;
        const ref = parseReference(`${reg.host}/guix/${f}:${fmt}`);
        const head = await client.manifestHead(ref, { signal: signal() });
        assert.deepEqual(head, { mediaType: MANIFEST_TYPE[fmt], digest: p.digest, size: p.size });
        const got = await client.manifestGet(ref, { signal: signal() });
        assert.deepEqual(Buffer.from(got.bytes), p.bytes);
        assert.deepEqual(got.descriptor, head);
        const byDigest = await client.manifestGet(parseReference(`${reg.host}/guix/${f}@${p.digest}`), {
          signal: signal(),
        });
        assert.equal(byDigest.descriptor.digest, p.digest);

        const repo = { registry: reg.host, repository: `guix/${f}` };
        const config = await collect(
          await client.blobGet(repo, p.manifest.config as Descriptor, { signal: signal() }),
        );
        assert.equal(sha256(config), p.manifest.config.digest);
        assert.ok(p.manifest.layers.length > 0);
        for (const layer of p.manifest.layers) {
          assert.equal(layer.mediaType, LAYER_TYPE[fmt]);
          const bytes = await collect(await client.blobGet(repo, layer as Descriptor, { signal: signal() }));
          assert.equal(bytes.length, layer.size);
          assert.equal(sha256(bytes), layer.digest);
          const magic = bytes.subarray(0, 4).toString('hex');
          assert.ok(
            fmt === 'oci-zstd' ? magic === '28b52ffd' : magic.startsWith('1f8b'),
            `${layer.mediaType} starts with ${magic}`,
          );
        }
      });
    }
  }

  void test('byte ranges of a layer (206) match the whole blob', async () => {
    const p = pushed.get(`${FIXTURES[0]}/oci`)!;
    const layer = p.manifest.layers[0]! as Descriptor;
    const repo = { registry: reg.host, repository: `guix/${FIXTURES[0]}` };
    const whole = await collect(await client.blobGet(repo, layer, { signal: signal() }));
    for (const [start, end] of [
      [0, 0],
      [0, 9],
      [5, Math.min(layer.size - 1, 1000)],
      [layer.size - 10, layer.size - 1],
    ] as [number, number][]) {
      const part = await collect(
        await client.blobGet(repo, layer, { signal: signal(), range: { start, end } }),
      );
      assert.deepEqual(part, whole.subarray(start, end + 1), `bytes ${start}-${end}`);
    }
  });

  void test('a layer read with a wrong descriptor digest is refused at the end', async () => {
    const p = pushed.get(`${FIXTURES[0]}/v2s2`)!;
    const layer = p.manifest.layers[0]!;
    const repo = { registry: reg.host, repository: `guix/${FIXTURES[0]}` };
    // The registry serves the real blob for the real digest; claim a different size so the check fires.
    const lying = { ...layer, size: layer.size + 1 } as Descriptor;
    await assert.rejects(
      async () => collect(await client.blobGet(repo, lying, { signal: signal() })),
      (e: unknown) => isRecipeError(e, 'digest-mismatch') || isRecipeError(e, 'truncated'),
    );
  });

  void test('unknown tag and unknown repository are not-found', async () => {
    await assert.rejects(
      client.manifestGet(parseReference(`${reg.host}/guix/${FIXTURES[0]}:nope`), { signal: signal() }),
      (e: unknown) => isRecipeError(e, 'not-found'),
    );
    await assert.rejects(
      client.manifestHead(parseReference(`${reg.host}/guix/none:v1`), { signal: signal() }),
      (e: unknown) => isRecipeError(e, 'not-found'),
    );
  });

  void test('RegistrySource with --tls-verify=false resolves the tag once and fetches by digest', async () => {
    const p = pushed.get(`${FIXTURES[0]}/oci-zstd`)!;
    const src = await registrySource(`docker://${reg.host}/guix/${FIXTURES[0]}:oci-zstd`, {
      tlsVerify: false,
      noAuthFiles: true,
    });
    try {
      assert.equal(src.name, `docker://${reg.host}/guix/${FIXTURES[0]}:oci-zstd`);
      const m = await src.manifest({ signal: signal() });
      assert.equal(m.descriptor.digest, p.digest);
      assert.equal(src.raw.resolved?.digest, p.digest);
      const again = await collect(await src.fetch(m.descriptor, { signal: signal() }));
      assert.deepEqual(again, p.bytes);
      const layer = p.manifest.layers.at(-1)! as Descriptor;
      assert.equal(sha256(await collect(await src.fetch(layer, { signal: signal() }))), layer.digest);
    } finally {
      await src.close();
    }
  });

  void test('without --tls-verify=false a plain-http registry is not reached', async () => {
    const src = await registrySource(`docker://${reg.host}/guix/${FIXTURES[0]}:oci`, {
      noAuthFiles: true,
      settings: { retries: { max: 0 } },
    });
    try {
      await assert.rejects(src.manifest({ signal: signal() }), (e: unknown) =>
        isRecipeError(e, 'registry-error'),
      );
    } finally {
      await src.close();
    }
  });
});

void describe('registry behind htpasswd basic auth', { timeout: 120_000 }, () => {
  let reg: RunningRegistry;
  let work: string;
  let p: PushedImage;
  const fixture = FIXTURES[0]!;
  before(async () => {
    [reg, work] = await Promise.all([startRegistry({ basicAuth: true }), tempDir()]);
    p = await pushFixture(fixture, `${reg.host}/guix/${fixture}:v1`, 'oci', work, reg.credentials);
  });
  after(async () => {
    await reg?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  void test('401 without credentials', async () => {
    const src = await registrySource(`docker://${reg.host}/guix/${fixture}:v1`, {
      tlsVerify: false,
      noAuthFiles: true,
    });
    await assert.rejects(src.manifest({ signal: signal() }), (e: unknown) =>
      isRecipeError(e, 'unauthorized'),
    );
    await src.close();
  });

  void test('wrong credentials are unauthorized and not echoed', async () => {
    const src = await registrySource(`docker://${reg.host}/guix/${fixture}:v1`, {
      tlsVerify: false,
      credentials: { username: 'docker', password: 'not-the-password-42' },
    });
    await assert.rejects(
      src.manifest({ signal: signal() }),
      (e: unknown) => isRecipeError(e, 'unauthorized') && !e.message.includes('not-the-password-42'),
    );
    await src.close();
  });

  void test('--creds USER:PASS reads manifest and blobs', async () => {
    const src = await registrySource(`docker://${reg.host}/guix/${fixture}:v1`, {
      tlsVerify: false,
      credentials: reg.credentials!,
    });
    const m = await src.manifest({ signal: signal() });
    assert.equal(m.descriptor.digest, p.digest);
    const layer = p.manifest.layers[0]! as Descriptor;
    assert.equal(sha256(await collect(await src.fetch(layer, { signal: signal() }))), layer.digest);
    await src.close();
  });

  void test('credentials from an auth file: --authfile, $REGISTRY_AUTH_FILE and ~/.docker/config.json', async () => {
    const { username, password } = reg.credentials!;
    const authFile = join(work, 'auth.json');
    await writeFile(
      authFile,
      JSON.stringify({
        auths: { [reg.host]: { auth: Buffer.from(`${username}:${password}`).toString('base64') } },
      }),
    );
    const viaFlag = await registrySource(`docker://${reg.host}/guix/${fixture}:v1`, {
      tlsVerify: false,
      authFile,
      env: {},
    });
    assert.equal((await viaFlag.manifest({ signal: signal() })).descriptor.digest, p.digest);
    await viaFlag.close();
    const viaEnv = await registrySource(`docker://${reg.host}/guix/${fixture}:v1`, {
      tlsVerify: false,
      env: { REGISTRY_AUTH_FILE: authFile },
    });
    assert.equal((await viaEnv.manifest({ signal: signal() })).descriptor.digest, p.digest);
    await viaEnv.close();
    const home = join(work, 'home');
    await rm(home, { recursive: true, force: true });
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(home, '.docker'), { recursive: true });
    await writeFile(
      join(home, '.docker', 'config.json'),
      JSON.stringify({ auths: { [`http://${reg.host}`]: { username, password } }, credsStore: 'desktop' }),
    );
    const viaHome = await registrySource(`docker://${reg.host}/guix/${fixture}:v1`, {
      tlsVerify: false,
      env: {},
      home,
    });
    assert.equal((await viaHome.manifest({ signal: signal() })).descriptor.digest, p.digest);
    await viaHome.close();
  });

  void test('a missing --authfile is a usage error', async () => {
    await assert.rejects(
      registrySource(`docker://${reg.host}/guix/${fixture}:v1`, {
        tlsVerify: false,
        authFile: join(work, 'nope.json'),
      }),
      (e: unknown) => isRecipeError(e, 'usage'),
    );
  });
});
