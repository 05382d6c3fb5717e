/**
 * End to end from a real docker-registry: every fixture (Docker schema 2, OCI gzip, OCI zstd) scanned
 * through scanImage(RegistrySource) and `inspect docker://... --tls-verify=false`, whose outputs must
 * be Guix's own byte for byte; and a two-platform OCI index (per-platform recipes, --platform,
 * --output json, a missing platform).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { scanImage } from '../../shared/scan/scan-image.js';
import { registrySource } from '../../shared/oci/sources/registry-source.js';
import { formatPlatform } from '../../shared/content/platform.js';
import { runCli } from '../../services/cli/run-cli.js';
import { startRegistry, type RunningRegistry } from '../harness/registry.js';
import {
  FIXTURE_NAMES,
  FIXTURES_DIR,
  pushArchive,
  pushIndex,
  tempDir,
  unpackFixture,
  type PushFormat,
  type PushedImage,
} from '../harness/skopeo.js';

const FIXTURES = FIXTURE_NAMES;
const FORMATS: PushFormat[] = ['v2s2', 'oci', 'oci-zstd'];
const signal = () => AbortSignal.timeout(60_000);

async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: {},
    cwd: process.cwd(),
  });
  return { code, stdout, stderr };
}

const expected = (fixture: string, file: string) => readFileSync(join(FIXTURES_DIR, fixture, file), 'utf8');
const hasProvenance = (fixture: string) => !existsSync(join(FIXTURES_DIR, fixture, 'export-channels.error'));

void describe('scanning images in a real registry', { timeout: 300_000 }, () => {
  let reg: RunningRegistry;
  let work: string;
  const pushed = new Map<string, PushedImage>();
  let index: { digest: string };
  // The two images of the index: distinct fixtures, so each platform has its own recipe.
  const AMD = 'two-channels';
  const ARM = 'multi-output';

  before(async () => {
    [reg, work] = await Promise.all([startRegistry(), tempDir()]);
    const archives = new Map(
      await Promise.all(FIXTURES.map(async (f) => [f, await unpackFixture(f, work)] as const)),
    );
    // Fixtures four at a time, the formats of one fixture in turn: two formats share blobs, and
    // docker-registry may fail one of two uploads of the same blob to a repository at once.
    for (let i = 0; i < FIXTURES.length; i += 4)
      await Promise.all(
        FIXTURES.slice(i, i + 4).map(async (f) => {
          for (const fmt of FORMATS)
            pushed.set(
              `${f}/${fmt}`,
              await pushArchive(archives.get(f)!, `${reg.host}/guix/${f}:${fmt}`, fmt),
            );
        }),
      );
    const amd = await pushArchive(archives.get(AMD)!, `${reg.host}/guix/multi:amd64`, 'oci');
    const arm = await pushArchive(archives.get(ARM)!, `${reg.host}/guix/multi:arm64`, 'oci');
    index = await pushIndex(reg.url, 'guix/multi', 'latest', [
      { image: amd, platform: { os: 'linux', architecture: 'amd64' } },
      { image: arm, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
    ]);
  });
  after(async () => {
    await reg?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  for (const f of FIXTURES) {
    for (const fmt of FORMATS) {
      void test(`${f} (${fmt}): inspect docker:// prints Guix's own outputs`, async () => {
        const src = `docker://${reg.host}/guix/${f}:${fmt}`;
        const man = await cli([
          'inspect',
          src,
          '--tls-verify=false',
          '--output',
          'manifest',
          '--manifest-style',
          'guix',
        ]);
        assert.equal(man.stderr, '');
        assert.equal(man.code, 0);
        assert.equal(man.stdout, expected(f, 'export-manifest.scm'));
        const pinned = await cli([
          'inspect',
          src,
          '--tls-verify=false',
          '--output',
          'manifest',
          '--manifest-style',
          'pinned',
        ]);
        assert.equal(pinned.stdout, expected(f, 'manifest-pinned.scm'));
        const ch = await cli(['inspect', src, '--tls-verify=false', '--output', 'channels']);
        if (hasProvenance(f)) {
          assert.equal(ch.stderr, '');
          assert.equal(ch.code, 0);
          assert.equal(ch.stdout, expected(f, 'export-channels.scm'));
        } else {
          assert.equal(ch.code, 4);
          assert.equal(ch.stderr, `guix-recipes: ${expected(f, 'export-channels.error').trim()}\n`);
        }
      });
    }
  }

  void test('scanImage(RegistrySource) gives a verified recipe for the pushed digest', async () => {
    for (const fmt of FORMATS) {
      const p = pushed.get(`layered/${fmt}`)!;
      const source = await registrySource(`docker://${reg.host}/guix/layered:${fmt}`, {
        tlsVerify: false,
        noAuthFiles: true,
      });
      try {
        const scan = await scanImage(source, { signal: signal() });
        assert.equal(scan.manifest.digest, p.digest);
        assert.equal(scan.results.length, 1);
        const r = scan.results[0]!;
        assert.equal(r.kind, 'recipe');
        assert.ok(r.kind === 'recipe' && r.verified, 'every blob read was verified');
        assert.equal(r.manifest.digest, p.digest);
        assert.ok(scan.bytesRead > 0);
      } finally {
        await source.close();
      }
    }
  });

  void test('a two-platform index: one recipe per platform', async () => {
    const source = await registrySource(`docker://${reg.host}/guix/multi:latest`, {
      tlsVerify: false,
      noAuthFiles: true,
    });
    try {
      const scan = await scanImage(source, { signal: signal() });
      assert.equal(scan.manifest.digest, index.digest);
      assert.equal(scan.manifest.mediaType, 'application/vnd.oci.image.index.v1+json');
      assert.deepEqual(scan.results.map((r) => (r.platform ? formatPlatform(r.platform) : '?')).sort(), [
        'linux/amd64',
        'linux/arm64/v8',
      ]);
      assert.ok(scan.results.every((r) => r.kind === 'recipe' && r.verified));
    } finally {
      await source.close();
    }
  });

  void test('inspect of the index: linux/amd64 by default, --platform picks the other', async () => {
    const src = `docker://${reg.host}/guix/multi:latest`;
    const def = await cli(['inspect', src, '--tls-verify=false', '--output', 'channels']);
    assert.equal(def.stderr, '');
    assert.equal(def.stdout, expected(AMD, 'export-channels.scm'));
    const arm = await cli([
      'inspect',
      src,
      '--tls-verify=false',
      '--output',
      'manifest',
      '--manifest-style',
      'guix',
      '--platform',
      'linux/arm64/v8',
    ]);
    assert.equal(arm.stderr, '');
    assert.equal(arm.stdout, expected(ARM, 'export-manifest.scm'));
  });

  void test('inspect --output json of the index gives every platform', async () => {
    const r = await cli([
      'inspect',
      `docker://${reg.host}/guix/multi:latest`,
      '--tls-verify=false',
      '--output',
      'json',
    ]);
    assert.equal(r.stderr, '');
    assert.equal(r.code, 0);
    const json = JSON.parse(r.stdout) as {
      manifest: { digest: string };
      results: { kind: string; platform?: { os: string; architecture: string; variant?: string } }[];
    };
    assert.equal(json.manifest.digest, index.digest);
    assert.deepEqual(json.results.map((x) => (x.platform ? formatPlatform(x.platform) : '?')).sort(), [
      'linux/amd64',
      'linux/arm64/v8',
    ]);
    assert.ok(json.results.every((x) => x.kind === 'recipe'));
  });

  void test('inspect of the index for a platform it lacks lists the ones it has', async () => {
    const r = await cli([
      'inspect',
      `docker://${reg.host}/guix/multi:latest`,
      '--tls-verify=false',
      '--platform',
      'linux/s390x',
    ]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /linux\/s390x/);
    assert.match(r.stderr, /linux\/amd64/);
    assert.match(r.stderr, /linux\/arm64\/v8/);
  });

  void test('inspect of a tag that does not exist fails with one line', async () => {
    const r = await cli(['inspect', `docker://${reg.host}/guix/layered:nope`, '--tls-verify=false']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^guix-recipes: .*MANIFEST_UNKNOWN.*\n$/);
  });
});
