/**
 * SBOM and SLSA documents of images in a real docker-registry, through `inspect docker://...`: the
 * subject is `registry/repository` with the manifest digest, a multi-platform index gives the document
 * of the platform `--platform` selects (linux/amd64 by default), and the CLI prints exactly the bytes
 * renderAttestation gives for a registry subject, which is what the API serves.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { cli } from '../cli/capture.js';
import { startRegistry, type RunningRegistry } from '../harness/registry.js';
import { pushArchive, pushIndex, tempDir, unpackFixture, type PushedImage } from '../harness/skopeo.js';
import { registryImageSubject } from '../../shared/attest/attest-input.js';
import { ATTESTATION_FORMATS, renderAttestation } from '../../shared/attest/render-attestation.js';
import type { Platform } from '../../shared/content/platform.js';
import type { ImageScan } from '../../shared/scan/scan-result.js';
import type { Recipe } from '../../shared/guix/recipe.js';

const env = { SOURCE_DATE_EPOCH: '1700000000' };
const SCANNED_AT = '2023-11-14T22:13:20Z';
const OUTPUT_OF = {
  'cyclonedx-1.6': 'cyclonedx',
  'cyclonedx-1.7': 'cyclonedx-1.7',
  'spdx-2.3': 'spdx',
  slsa: 'slsa',
};

interface Bom {
  metadata: {
    component: {
      name: string;
      version: string;
      purl?: string;
      properties: { name: string; value: string }[];
    };
  };
}

void describe('attestations of images in a real registry', { timeout: 300_000 }, () => {
  let reg: RunningRegistry;
  let work: string;
  let amd: PushedImage;
  let arm: PushedImage;
  const AMD_PLATFORM: Platform = { os: 'linux', architecture: 'amd64' };
  const ARM_PLATFORM: Platform = { os: 'linux', architecture: 'arm64', variant: 'v8' };

  before(async () => {
    [reg, work] = await Promise.all([startRegistry(), tempDir()]);
    amd = await pushArchive(await unpackFixture('two-channels', work), `${reg.host}/guix/multi:amd64`, 'oci');
    arm = await pushArchive(
      await unpackFixture('multi-output', work),
      `${reg.host}/guix/multi:arm64`,
      'v2s2',
    );
    await pushIndex(reg.url, 'guix/multi', 'latest', [
      { image: amd, platform: AMD_PLATFORM },
      { image: arm, platform: ARM_PLATFORM },
    ]);
  });
  after(async () => {
    await reg?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** The recipes of every platform, from `--output json`. */
  async function recipes(source: string): Promise<Map<string, Recipe>> {
    const r = await cli(['inspect', source, '--tls-verify=false', '--output', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const scan = JSON.parse(r.stdout) as ImageScan;
    return new Map(
      scan.results.flatMap((x) => (x.kind === 'recipe' ? [[x.manifest.digest, x.recipe] as const] : [])),
    );
  }

  void test('an index: the default platform (linux/amd64), named registry/repository, same bytes as renderAttestation', async () => {
    const source = `docker://${reg.host}/guix/multi:latest`;
    const byDigest = await recipes(source);
    assert.equal(byDigest.size, 2);
    for (const format of ATTESTATION_FORMATS) {
      const r = await cli(['inspect', source, '--tls-verify=false', '--output', OUTPUT_OF[format]], { env });
      assert.equal(r.stderr, '');
      assert.equal(r.code, 0);
      const expected = renderAttestation(format, {
        recipe: byDigest.get(amd.digest)!,
        subject: registryImageSubject({
          registry: reg.host,
          repository: 'guix/multi',
          digest: amd.digest,
          platform: AMD_PLATFORM,
        }),
        scannedAt: SCANNED_AT,
      }).body;
      assert.equal(r.stdout, expected, `${format}: the CLI prints what the API will serve`);
    }
    const bom = JSON.parse(
      (await cli(['inspect', source, '--tls-verify=false', '--output', 'cyclonedx'], { env })).stdout,
    ) as Bom;
    const subject = bom.metadata.component;
    assert.equal(subject.name, `${reg.host}/guix/multi`);
    assert.equal(subject.version, amd.digest);
    assert.ok(subject.properties.some((p) => p.name === 'guix:platform' && p.value === 'linux/amd64'));
    assert.match(subject.purl ?? '', /^pkg:oci\/multi@sha256:[0-9a-f]{64}\?arch=amd64&repository_url=/);
  });

  void test('an index: --platform selects the other image', async () => {
    const source = `docker://${reg.host}/guix/multi:latest`;
    const byDigest = await recipes(source);
    const r = await cli(
      ['inspect', source, '--tls-verify=false', '--platform', 'linux/arm64/v8', '--output', 'slsa'],
      { env },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      renderAttestation('slsa', {
        recipe: byDigest.get(arm.digest)!,
        subject: registryImageSubject({
          registry: reg.host,
          repository: 'guix/multi',
          digest: arm.digest,
          platform: ARM_PLATFORM,
        }),
        scannedAt: SCANNED_AT,
      }).body,
    );
    const statement = JSON.parse(r.stdout) as {
      subject: { digest: { sha256: string }; annotations: unknown }[];
    };
    assert.equal(`sha256:${statement.subject[0]!.digest.sha256}`, arm.digest);
    assert.deepEqual(statement.subject[0]!.annotations, {
      digestOf: 'image-manifest',
      platform: 'linux/arm64/v8',
    });
  });

  void test('an index without the platform asked for: exit 1, the platforms it has, nothing printed', async () => {
    const r = await cli(
      [
        'inspect',
        `docker://${reg.host}/guix/multi:latest`,
        '--tls-verify=false',
        '--platform',
        'linux/s390x',
        '--output',
        'spdx',
      ],
      { env },
    );
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /has no linux\/s390x; it has: linux\/amd64, linux\/arm64\/v8\n$/);
  });

  void test('a single image by tag: no platform, the subject digest is the image manifest digest', async () => {
    const r = await cli(
      ['inspect', `docker://${reg.host}/guix/multi:arm64`, '--tls-verify=false', '--output', 'cyclonedx-1.7'],
      {
        env,
      },
    );
    assert.equal(r.code, 0, r.stderr);
    const subject = (JSON.parse(r.stdout) as Bom).metadata.component;
    assert.equal(subject.version, arm.digest);
    assert.equal(
      subject.properties.find((p) => p.name === 'guix:platform'),
      undefined,
    );
    assert.match(
      subject.purl ?? '',
      /^pkg:oci\/multi@sha256:[0-9a-f]{64}\?repository_url=127\.0\.0\.1%3A\d+%2Fguix%2Fmulti$/,
    );
  });
});
