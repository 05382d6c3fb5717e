/**
 * What a newcomer stumbled on with `inspect`, each held here: a plain-HTTP registry named without
 * `--tls-verify=false` (a real docker-registry; the service's registry client says the same), a
 * `--platform` the single image does not have, and `--deep-scan` advice after a deep scan.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { cli } from './capture.js';
import { writeOciIndexLayout } from './oci-layout-builder.js';
import { guixConfig, imageOf, PROFILE, PROFILE_DIR, tarOf } from '../scan/image-builder.js';
import { digestHex } from '../../shared/content/digest.js';
import { MediaType } from '../../shared/content/media-types.js';
import { loadConfig } from '../../shared/config/load-config.js';
import { createRegistryAccess } from '../../shared/config/registry-access.js';
import { isRecipeError } from '../../shared/errors.js';
import { startRegistry, type RunningRegistry } from '../harness/registry.js';
import { pushFixture, tempDir } from '../harness/skopeo.js';
import { readFileSync } from 'node:fs';

const FIXTURE = 'test/fixtures/guix-images/two-channels';
const ARCHIVE = `docker-archive:${FIXTURE}/image.tar.gz`;

let reg: RunningRegistry;
let work: string;

before(async () => {
  work = await tempDir('guix-recipes-first-use-');
  reg = await startRegistry();
  await pushFixture('two-channels', `${reg.host}/team/app:1`, 'oci', work);
});
after(async () => {
  await reg?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

void test('a plain-HTTP registry without --tls-verify=false: the error says what to do, not OpenSSL', async () => {
  const r = await cli(['inspect', `docker://${reg.host}/team/app:1`, '--output', 'channels']);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr.split('\n').length, 2, 'one line');
  assert.match(r.stderr, /plain HTTP/);
  assert.match(r.stderr, /--tls-verify=false/);
  assert.match(r.stderr, /http:\/\/HOST:PORT/);
  assert.doesNotMatch(r.stderr, /ssl3_get_record|deps\/openssl|0A00010B/, 'no OpenSSL internals');

  // Following the advice works.
  const ok = await cli([
    'inspect',
    `docker://${reg.host}/team/app:1`,
    '--output',
    'channels',
    '--tls-verify=false',
  ]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout, readFileSync(`${FIXTURE}/export-channels.scm`, 'utf8'));
});

void test("the service's registry client gives the same advice for a registry listed as HTTPS", async () => {
  const access = createRegistryAccess(loadConfig({ env: {}, file: { registries: [{ host: reg.host }] } }));
  try {
    await assert.rejects(
      access.resolveTag(
        { registry: reg.host, repository: 'team/app', tag: '1' },
        { signal: AbortSignal.timeout(20_000) },
      ),
      (e: unknown) =>
        isRecipeError(e, 'registry-error') &&
        /plain HTTP/.test(e.message) &&
        /http:\/\/HOST:PORT in the service's registries/.test(e.message),
    );
  } finally {
    await access.close();
  }
});

void test('--platform that a single-platform image does not have is refused, naming the one it has', async () => {
  const r = await cli(['inspect', ARCHIVE, '--platform', 'linux/arm64', '--output', 'channels']);
  assert.notEqual(r.code, 0);
  assert.equal(r.stdout, '', 'no recipe of another platform');
  assert.match(r.stderr, /no linux\/arm64 platform/);
  assert.match(r.stderr, /single linux\/amd64 image/);

  const asked = await cli(['inspect', ARCHIVE, '--platform', 'linux/amd64', '--output', 'channels']);
  assert.equal(asked.code, 0, asked.stderr);
  assert.equal(asked.stdout, readFileSync(`${FIXTURE}/export-channels.scm`, 'utf8'));
});

void test('without --platform, a single image is reported whatever its platform', async () => {
  // One arm64 image (no index) in an OCI layout.
  const dir = join(work, 'arm64-layout');
  mkdirSync(join(dir, 'blobs/sha256'), { recursive: true });
  const manifest = readFileSync(`${FIXTURE}/profile-manifest`, 'utf8');
  const image = imageOf(
    [await tarOf([{ name: `${PROFILE_DIR}/manifest`, content: manifest }])],
    guixConfig(PROFILE, { architecture: 'arm64', os: 'linux' }),
  );
  for (const [digest, bytes] of image.blobs)
    writeFileSync(join(dir, 'blobs/sha256', digestHex(digest as `sha256:${string}`)), bytes);
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          ...image.manifest.descriptor,
          mediaType: MediaType.OciManifest,
          annotations: { 'org.opencontainers.image.ref.name': 'one' },
        },
      ],
    }),
  );
  const r = await cli(['inspect', `oci:${dir}:one`, '--output', 'channels']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, readFileSync(`${FIXTURE}/export-channels.scm`, 'utf8'));
  const refused = await cli(['inspect', `oci:${dir}:one`, '--platform', 'linux/amd64']);
  assert.match(refused.stderr, /no linux\/amd64 platform: it is a single linux\/arm64 image/);
});

void test('--deep-scan of an image that is not Guix does not end with advice to use --deep-scan', async () => {
  const src = await writeOciIndexLayout(join(work, 'not-guix'), [
    { platform: { os: 'linux', architecture: 'amd64' }, notGuix: true },
  ]);
  const plain = await cli(['inspect', src]);
  assert.equal(plain.code, 3);
  assert.match(plain.stderr, /--deep-scan reads its layers anyway/, 'advice where it was not done');

  const deep = await cli(['inspect', src, '--deep-scan']);
  assert.equal(deep.code, 3);
  assert.match(deep.stderr, /no Guix profile found/);
  assert.match(deep.stderr, /deep scan: no \/gnu\/store\/\*-profile\/manifest in the layers/);
  assert.doesNotMatch(deep.stderr, /--deep-scan/, deep.stderr);
});
