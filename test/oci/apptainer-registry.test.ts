// Every SIF and squashfs file of test/fixtures/apptainer pushed to a real docker-registry as
// `apptainer push` / `oras push` store them (blobs uploaded, the manifest bytes PUT as given, in the
// manifest shape index.json names), then read back through `inspect oras://`: channels byte for byte
// as Guix exported them, verified, read through byte ranges; and the same through a proxy that drops
// `Range` (the registry answers every blob GET whole): the same answer, in streamed passes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { cli } from '../cli/capture.js';
import { startRegistry, type RunningRegistry } from '../harness/registry.js';
import { describeBytes, pushArtifact, type Digest } from '../harness/oras-push.js';
import { startRangeIgnoringProxy, type RangeIgnoringProxy } from '../harness/range-ignoring-proxy.js';
import { DIGEST_CHANNEL, type DigestComputed } from '../../shared/content/digest.js';
import { MediaType } from '../../shared/content/media-types.js';
import { registrySource } from '../../shared/oci/sources/registry-source.js';
import { scanImage } from '../../shared/scan/scan-image.js';
import { UNKNOWN_ARTIFACT_TYPE } from '../../shared/scan/apptainer-artifact.js';
import {
  APPTAINER_CHANNELS,
  APPTAINER_DIR,
  APPTAINER_PROFILE,
  APPTAINER_PUSHES,
  APPTAINER_REPO,
  pushFixtureArtifact,
} from '../harness/apptainer-pushes.js';

const DIR = APPTAINER_DIR;
const REPO = APPTAINER_REPO;
const CONFIG = Buffer.from('{}');
const EXPECTED_CHANNELS = APPTAINER_CHANNELS;
const PROFILE = APPTAINER_PROFILE;
const PUSHES = APPTAINER_PUSHES;

interface JsonScan {
  source: string;
  manifest: { digest: string; mediaType: string };
  bytesRead: number;
  bytesHashed: number;
  results: {
    kind: string;
    verified: boolean;
    recipe: { profile: string };
    artifact: {
      format: string;
      size: number;
      layer: { digest: string; size: number; mediaType: string };
      classifiedBy: string;
      pack: { profile: string; foundBy: string };
      squashfs: { compression: string };
      read: {
        mode: string;
        requests: number;
        passes: number;
        bytesRead: number;
        bytesHashed: number;
        bytesTransferred: number;
      };
    };
  }[];
}

void describe('Apptainer images and squashfs packs in a real registry', { timeout: 180_000 }, () => {
  let reg: RunningRegistry;
  let proxy: RangeIgnoringProxy;
  const digests = new Map<string, Digest>();

  before(async () => {
    reg = await startRegistry();
    proxy = await startRangeIgnoringProxy(reg.port);
    for (const p of PUSHES) digests.set(p.tag, await pushFixtureArtifact(reg.url, p));
  });
  after(async () => {
    await proxy?.close();
    await reg?.stop();
  });

  void test('the registry keeps each manifest as pushed (the digests index.json recorded)', () => {
    for (const p of PUSHES) {
      assert.equal(digests.get(p.tag), describeBytes(p.manifest).digest, p.tag);
      if (p.expectedDigest !== undefined) assert.equal(digests.get(p.tag), p.expectedDigest, p.tag);
    }
  });

  for (const p of PUSHES) {
    void describe(`${p.tag} (shape ${p.shape}, ${p.file})`, () => {
      void test('inspect oras:// --output channels = expected-channels.scm, byte for byte', async () => {
        const r = await cli([
          'inspect',
          `oras://${reg.host}/${REPO}:${p.tag}`,
          '--tls-verify=false',
          '--output',
          'channels',
        ]);
        assert.equal(r.stderr, '');
        assert.equal(r.code, 0);
        assert.equal(r.stdout, EXPECTED_CHANNELS);
      });

      void test('--output json: verified, read through ranges, the whole blob hashed once', async () => {
        const hashed: DigestComputed[] = [];
        const onDigest = (m: unknown): void => void hashed.push(m as DigestComputed);
        subscribe(DIGEST_CHANNEL, onDigest);
        let r;
        try {
          r = await cli([
            'inspect',
            `oras://${reg.host}/${REPO}:${p.tag}`,
            '--tls-verify=false',
            '--output',
            'json',
          ]);
        } finally {
          unsubscribe(DIGEST_CHANNEL, onDigest);
        }
        assert.equal(r.stderr, '');
        assert.equal(r.code, 0);
        const j = JSON.parse(r.stdout) as JsonScan;
        assert.equal(j.source, `oras://${reg.host}/${REPO}:${p.tag}`);
        assert.equal(j.manifest.digest, digests.get(p.tag));
        assert.equal(j.results.length, 1);
        const [res] = j.results;
        const size = readFileSync(join(DIR, p.file)).length;
        assert.equal(res!.kind, 'recipe');
        assert.equal(res!.verified, true);
        assert.equal(res!.recipe.profile, PROFILE);
        const a = res!.artifact;
        assert.equal(a.format, p.format);
        assert.equal(a.classifiedBy, p.classifiedBy);
        assert.equal(a.size, size);
        assert.equal(a.layer.size, size);
        assert.equal(a.pack.profile, PROFILE);
        assert.equal(a.pack.foundBy, 'bin-symlink');
        assert.equal(a.read.mode, 'ranges');
        assert.equal(a.read.bytesHashed, size);
        assert.ok(a.read.bytesRead > 0 && a.read.bytesRead <= size, `read ${a.read.bytesRead} of ${size}`);
        assert.equal(j.bytesHashed, size);
        assert.equal(j.bytesRead, a.read.bytesRead);
        // The layer blob's digest was computed once, over all of its bytes; the parse hashed nothing.
        const ofLayer = hashed.filter((h) => h.digest === a.layer.digest);
        assert.deepEqual(ofLayer, [{ digest: a.layer.digest, bytes: size }]);
      });

      void test('through a proxy that drops Range: the same channels, verified, in streamed passes', async () => {
        const before = proxy.rangesDropped;
        const source = await registrySource(`oras://${proxy.host}/${REPO}:${p.tag}`, { tlsVerify: false });
        try {
          const scan = await scanImage(source, { signal: AbortSignal.timeout(60_000) });
          const [res] = scan.results;
          assert.equal(res?.kind, 'recipe');
          if (res?.kind !== 'recipe') return;
          assert.equal(res.verified, true);
          assert.equal(res.recipe.profile, PROFILE);
          const size = readFileSync(join(DIR, p.file)).length;
          assert.equal(res.artifact?.read.mode, 'streamed');
          assert.ok(res.artifact.read.passes <= 2, `${res.artifact.read.passes} passes`);
          assert.equal(res.artifact.read.bytesHashed, size);
          assert.equal(scan.bytesHashed, size);
          assert.ok(proxy.rangesDropped > before, 'the registry was asked for ranges, and answered whole');
          const r = await cli([
            'inspect',
            `oras://${proxy.host}/${REPO}:${p.tag}`,
            '--tls-verify=false',
            '--output',
            'channels',
          ]);
          assert.equal(r.stderr, '');
          assert.equal(r.stdout, EXPECTED_CHANNELS);
        } finally {
          await source.close();
        }
      });
    });
  }

  void test('docker:// reads the same artifacts (the same client); the summary says how it was read', async () => {
    const r = await cli(['inspect', `docker://${reg.host}/${REPO}:gz-build`, '--tls-verify=false']);
    assert.equal(r.stderr, '');
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^verified +yes/m);
    assert.match(r.stdout, /^artifact +sif, layer sha256:9921ec1b/m);
  });

  void test('an ORAS artifact holding some other file is not a Guix image (exit 3)', async () => {
    const file = Buffer.from('not an image at all\n');
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.OciManifest,
        artifactType: UNKNOWN_ARTIFACT_TYPE,
        config: { mediaType: MediaType.OciEmpty, ...describeBytes(CONFIG), data: 'e30=' },
        layers: [{ mediaType: MediaType.OciLayer, ...describeBytes(file) }],
      }),
    );
    await pushArtifact(reg.url, REPO, 'readme', {
      manifest,
      mediaType: MediaType.OciManifest,
      blobs: [{ bytes: CONFIG }, { bytes: file }],
    });
    const r = await cli(['inspect', `oras://${reg.host}/${REPO}:readme`, '--tls-verify=false']);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /neither a SIF file nor a squashfs image/);
  });
});
