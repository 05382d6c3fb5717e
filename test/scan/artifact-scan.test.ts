// Apptainer / ORAS artifacts through scanImage, from sources built here in memory: what a real
// registry cannot be made to show (a blob whose bytes differ from its digest, a source that serves
// every range by reading from the start), the decision from the manifest alone, and the bounds of
// the two ways of reading.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { pipeline } from 'node:stream';
import { isRecipeError, type ErrorCode } from '../../shared/errors.js';
import type { Descriptor } from '../../shared/content/descriptor.js';
import type { FetchOptions, RawBlob, RawImageSource } from '../../shared/content/image-source.js';
import { MediaType } from '../../shared/content/media-types.js';
import { sliceStream } from '../../shared/content/range-stream.js';
import { verifiedSource } from '../../shared/content/verified-source.js';
import { buildRecipe } from '../../shared/guix/build-recipe.js';
import { describe as describeBytes, MemorySource } from '../../shared/oci/sources/memory-source.js';
import {
  apptainerClaim,
  sniffFormat,
  SIF_CONFIG_MEDIA_TYPE,
  SIF_LAYER_LEGACY_MEDIA_TYPE,
  SIF_LAYER_MEDIA_TYPE,
  UNKNOWN_ARTIFACT_TYPE,
  UNKNOWN_CONFIG_MEDIA_TYPE,
} from '../../shared/scan/apptainer-artifact.js';
import { scanImage, type ScanOptions } from '../../shared/scan/scan-image.js';
import type { ImageScan, ScanResult } from '../../shared/scan/scan-result.js';
import { buildSquashfs, guixPackTree } from '../archive/squashfs-build.js';
import { wrapSquashfs } from '../archive/sif-writer.js';

const DIR = 'test/fixtures/apptainer/seed-python-numpy';
const SIF = readFileSync(`${DIR}/sif/python-numpy.gz-wrap.sif`);
const SQUASHFS = readFileSync(`${DIR}/squashfs/python-python-numpy-squashfs-pack.gz.squashfs`);
const SEED = readFileSync('test/fixtures/guix-images/seed-python-numpy/profile-manifest', 'utf8');
const PROFILE = '/gnu/store/3gv5kxr28h7b55vflyc0da0mvlm04c1d-profile';
const CONFIG = Buffer.from('{}');
const manifestOf = (file: string): Record<string, unknown> =>
  JSON.parse(readFileSync(`${DIR}/manifests/${file}.manifest.json`, 'utf8')) as Record<string, unknown>;

/** A one-layer artifact manifest: `layer` is the file's blob, `served` what the source serves for it. */
function artifact(
  file: Uint8Array,
  shape: {
    artifactType?: string;
    config?: string;
    layerType?: string;
    served?: Uint8Array;
    layers?: number;
  } = {},
): { manifest: Buffer; blobs: Map<string, Uint8Array>; layer: Descriptor } {
  const config = describeBytes(shape.config ?? SIF_CONFIG_MEDIA_TYPE, CONFIG);
  const layer = describeBytes(shape.layerType ?? SIF_LAYER_MEDIA_TYPE, file);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      ...(shape.artifactType !== undefined && { artifactType: shape.artifactType }),
      config,
      layers: Array.from({ length: shape.layers ?? 1 }, () => layer),
    }),
  );
  const blobs = new Map<string, Uint8Array>([
    [config.digest, CONFIG],
    [layer.digest, shape.served ?? file],
  ]);
  return { manifest, blobs, layer };
}

/** A memory source; `fromStart`: it serves a range by streaming the blob from its start and cutting it out. */
class TestSource extends MemorySource {
  ranges = 0;
  constructor(
    init: { manifest: Buffer; blobs: Map<string, Uint8Array> },
    private readonly fromStart: boolean,
  ) {
    super({
      manifest: { descriptor: describeBytes(MediaType.OciManifest, init.manifest), bytes: init.manifest },
      blobs: init.blobs,
    });
  }
  override async fetch(desc: Descriptor, opts: FetchOptions): Promise<RawBlob> {
    if (!opts.range) return super.fetch(desc, opts);
    this.ranges++;
    if (!this.fromStart) return super.fetch(desc, opts);
    opts.onRangeServed?.('from-start');
    const whole = await super.fetch(desc, { signal: opts.signal });
    const { start, end } = opts.range;
    return { stream: pipeline(whole.stream, sliceStream(start, end - start + 1), () => undefined) };
  }
}

async function scan(
  a: { manifest: Buffer; blobs: Map<string, Uint8Array> },
  fromStart: boolean,
  opts: Partial<ScanOptions> = {},
): Promise<{ scan: ImageScan; result: ScanResult; raw: TestSource }> {
  const raw = new TestSource(a, fromStart);
  const got = await scanImage(verifiedSource(raw as RawImageSource), {
    signal: AbortSignal.timeout(30_000),
    ...opts,
  });
  assert.equal(got.results.length, 1);
  return { scan: got, result: got.results[0]!, raw };
}

const rejectsWith = (code: ErrorCode, message?: RegExp) => (e: unknown) =>
  isRecipeError(e, code) && (message === undefined || message.test((e as Error).message));

void describe('the decision from the manifest alone', () => {
  const layerOf = (m: Record<string, unknown>) => (m.layers as Descriptor[])[0];
  void test('the fixture shapes: A, B and C by their config, D and ORAS left to the first bytes', () => {
    for (const [file, format, by] of [
      ['gz-build', 'sif', 'config'],
      ['gz-wrap', 'sif', 'config'],
      ['xz-wrap', 'sif', 'config'],
      ['zst-wrap', null, 'content'],
      ['gz-squashfs', null, 'content'],
    ] as const) {
      const m = manifestOf(file);
      const claim = apptainerClaim(m as never);
      assert.equal(claim?.kind, 'apptainer', file);
      if (claim?.kind !== 'apptainer') continue;
      assert.equal(claim.format, format, file);
      assert.equal(claim.by, by, file);
      assert.deepEqual(claim.layer, layerOf(m), file);
    }
  });

  void test('artifactType first, then the config type; container images and other artifacts are not ours', () => {
    const layer = describeBytes(SIF_LAYER_MEDIA_TYPE, SIF);
    const config = (mediaType: string) => describeBytes(mediaType, CONFIG);
    const claim = (artifactType: string | undefined, configType: string, layers = [layer]) =>
      apptainerClaim({
        ...(artifactType !== undefined && { artifactType }),
        config: config(configType),
        layers,
      });
    assert.equal(claim(SIF_CONFIG_MEDIA_TYPE, MediaType.OciEmpty)?.kind, 'apptainer');
    const byType = claim(SIF_CONFIG_MEDIA_TYPE, 'application/vnd.cncf.helm.config.v1.tar+json');
    assert.deepEqual(byType?.kind === 'apptainer' && [byType.format, byType.by], ['sif', 'artifactType']);
    assert.equal(claim('application/vnd.cncf.helm.chart.v1', SIF_CONFIG_MEDIA_TYPE), undefined);
    const generic = claim(UNKNOWN_ARTIFACT_TYPE, SIF_CONFIG_MEDIA_TYPE);
    assert.deepEqual(generic?.kind === 'apptainer' && [generic.format, generic.by], ['sif', 'config']);
    assert.equal(claim(undefined, MediaType.OciConfig), undefined);
    assert.equal(claim(undefined, MediaType.DockerConfig), undefined);
    assert.equal(claim(UNKNOWN_ARTIFACT_TYPE, 'application/vnd.cncf.helm.config.v1.tar+json'), undefined);
    const unknown = claim(undefined, UNKNOWN_CONFIG_MEDIA_TYPE);
    assert.deepEqual(unknown?.kind === 'apptainer' && [unknown.format, unknown.by], [null, 'content']);
    // The file is the SIF-typed layer (either spelling), else the only layer.
    const legacy = { ...layer, mediaType: SIF_LAYER_LEGACY_MEDIA_TYPE };
    const readme = describeBytes('text/plain', CONFIG);
    const picked = claim(undefined, SIF_CONFIG_MEDIA_TYPE, [readme, legacy]);
    assert.deepEqual(picked?.kind === 'apptainer' && picked.layer, legacy);
    assert.match(JSON.stringify(claim(undefined, SIF_CONFIG_MEDIA_TYPE, [layer, legacy])), /2 SIF layers/);
    assert.match(
      JSON.stringify(claim(undefined, MediaType.OciEmpty, [readme, readme])),
      /2 layers, none of them typed/,
    );
    assert.match(JSON.stringify(claim(undefined, MediaType.OciEmpty, [])), /no layer/);
  });

  void test('the first bytes: SIF_MAGIC at 32, hsqs at 0, nothing else', () => {
    assert.equal(sniffFormat(SIF.subarray(0, 64)), 'sif');
    assert.equal(sniffFormat(SQUASHFS.subarray(0, 64)), 'squashfs');
    assert.equal(sniffFormat(SIF.subarray(0, 41)), undefined);
    assert.equal(sniffFormat(Buffer.from('hsq')), undefined);
    assert.equal(sniffFormat(Buffer.from('#!/bin/sh\n')), undefined);
  });
});

for (const fromStart of [false, true]) {
  const mode = fromStart ? 'streamed' : 'ranges';
  void describe(`a source that serves ranges ${fromStart ? 'by reading from the start' : 'directly'} (${mode})`, () => {
    void test('the SIF and the bare squashfs: the recipe, verified, the whole blob hashed', async () => {
      for (const [file, shape] of [
        [SIF, {}],
        [
          SQUASHFS,
          { artifactType: UNKNOWN_ARTIFACT_TYPE, config: MediaType.OciEmpty, layerType: MediaType.OciLayer },
        ],
      ] as const) {
        const { scan: s, result, raw } = await scan(artifact(file, shape), fromStart);
        assert.equal(result.kind, 'recipe');
        if (result.kind !== 'recipe') continue;
        assert.deepEqual(result.recipe, buildRecipe(SEED, { profile: PROFILE }));
        assert.equal(result.verified, true);
        assert.equal(result.rebuild.kind, 'pack');
        assert.equal(result.rebuild.format, 'squashfs');
        assert.match(result.rebuild.text, /pack -f squashfs/);
        assert.equal(result.artifact?.read.mode, mode);
        assert.equal(result.artifact.read.bytesHashed, file.length);
        assert.equal(s.bytesHashed, file.length);
        assert.ok(raw.ranges > 0);
      }
    });

    void test('a blob whose bytes differ from its digest fails the scan, even where the parse never looked', async () => {
      // The last byte of the SIF is padding of the squashfs that no reader asks for.
      const served = Buffer.from(SIF);
      served[served.length - 1]! ^= 0xff;
      await assert.rejects(scan(artifact(SIF, { served }), fromStart), rejectsWith('digest-mismatch'));
    });

    void test('no Guix pack in the file: not-guix; a store without a profile manifest: no-profile; both hashed', async () => {
      const plain = buildSquashfs({ 'etc/hostname': { file: 'box\n' } });
      const other = await scan(artifact(plain, { config: UNKNOWN_CONFIG_MEDIA_TYPE }), fromStart);
      assert.equal(other.result.kind, 'not-guix');
      assert.match((other.result as { reason: string }).reason, /no Guix pack in it/);
      assert.equal(other.scan.bytesHashed, plain.length);
      const storeOnly = wrapSquashfs(
        buildSquashfs({ 'gnu/store/0000000000000000000000000000000a-x/file': { file: 'x' } }),
      );
      const none = await scan(artifact(storeOnly), fromStart);
      assert.equal(none.result.kind, 'no-profile');
      assert.equal(none.scan.bytesHashed, storeOnly.length);
    });

    void test('a file that is neither SIF nor squashfs: not-guix from its first bytes, nothing hashed', async () => {
      const text = Buffer.from('#!/bin/sh\necho hello\n');
      const { result, scan: s } = await scan(
        artifact(text, {
          artifactType: UNKNOWN_ARTIFACT_TYPE,
          config: MediaType.OciEmpty,
          layerType: MediaType.OciLayer,
        }),
        fromStart,
      );
      assert.equal(result.kind, 'not-guix');
      assert.match((result as { reason: string }).reason, /neither a SIF file nor a squashfs image/);
      assert.equal(s.bytesHashed, 0);
    });

    void test('a manifest typed as SIF whose layer is a squashfs: refused as a SIF (the types decide)', async () => {
      await assert.rejects(scan(artifact(SQUASHFS), fromStart), rejectsWith('invalid-image'));
    });

    void test('artifacts Apptainer could not pull are not Guix images (several SIF layers)', async () => {
      const { result, raw } = await scan(artifact(SIF, { layers: 2 }), fromStart);
      assert.equal(result.kind, 'not-guix');
      assert.equal(raw.fetched.length, 0, 'no blob read');
    });

    void test('an abort stops the scan, with no read left waiting', async () => {
      const ctl = new AbortController();
      const a = artifact(SIF);
      const raw = new TestSource(a, fromStart);
      const running = scanImage(verifiedSource(raw as RawImageSource), { signal: ctl.signal });
      setImmediate(() => ctl.abort());
      await assert.rejects(running, rejectsWith('aborted'));
    });
  });
}

void test('ranges: maxDrainBytes below the blob size leaves it unhashed, and says unverified', async () => {
  const { result, scan: s } = await scan(artifact(SIF), false, { maxDrainBytes: 1000 });
  assert.equal(result.kind, 'recipe');
  assert.equal((result as { verified: boolean }).verified, false);
  assert.equal(s.bytesHashed, 0);
});

void test('streamed: more passes than allowed, or tables larger than kept, are size-limit errors', async () => {
  await assert.rejects(
    scan(artifact(SIF), true, { artifactAccess: { maxPasses: 1 } }),
    rejectsWith('size-limit', /more than 1 passes/),
  );
  await assert.rejects(
    scan(artifact(SIF), true, { artifactAccess: { maxKeptBytes: 100 } }),
    rejectsWith('size-limit', /kept in memory/),
  );
  // The same bounds do not matter when ranges are served directly.
  const { result } = await scan(artifact(SIF), false, {
    artifactAccess: { maxPasses: 1, maxKeptBytes: 100 },
  });
  assert.equal(result.kind, 'recipe');
});

void test('streamed: a small read-ahead reads the SIF header and descriptors from the first pass as it goes by', async () => {
  const { result } = await scan(artifact(SIF), true, { artifactAccess: { readAheadBytes: 64 } });
  assert.equal(result.kind, 'recipe');
  if (result.kind !== 'recipe') return;
  assert.equal(result.verified, true);
  assert.ok(result.artifact!.read.passes <= 2);
});

void test('streamed: the environment script and the manifest, stored in that order, are taken by one pass after the verifying one', async () => {
  // Without fragments each file has its own block, stored in name order: the profile's manifest
  // (3gv5…) before the environment script (h4kk…), which the profile finder reads first. Blocks are
  // read in image order (file-data.ts), so one pass after the verifying one takes both.
  const pack = wrapSquashfs(buildSquashfs(guixPackTree({ manifest: SEED }), { noFragments: true }));
  const { result } = await scan(artifact(pack), true, { artifactAccess: { readAheadBytes: 64 } });
  assert.equal(result.kind, 'recipe');
  if (result.kind !== 'recipe') return;
  assert.equal(result.artifact!.pack.clues.length, 2);
  assert.equal(result.artifact!.read.passes, 2);
});
