/**
 * Layer scan throughput: `scanImage` on a generated single-layer image (OCI layout on disk) against
 * the least any reader must do with the same blob in the same process:
 * - profile at the end, per compression: every byte is inflated and walked. Baseline: the in-process
 *   floor: read the blob, sha256 it and inflate it with the plain decoder (node:zlib gunzip with 1 MiB
 *   chunks, the zstd program), counting bytes; for an uncompressed tar, read + sha256 (there is nothing
 *   to inflate, and the digest check is the least a verified read does). Ratio = our MiB/s / baseline
 *   MiB/s (of tar bytes).
 * - profile at the start: the walk stops early but the blob is still hashed to its end. Baseline:
 *   read + sha256 of the blob. Also shown: the parse alone (`maxDrainBytes: 0`, unverified) and how
 *   much faster than the full end-of-layer scan the early stop is.
 * - the gzipped docker-archive as `guix pack -f docker` writes it (indexing pass + layer pass) against
 *   one gunzip of the archive file (informational: two passes are inherent to the format).
 */
import { stat } from 'node:fs/promises';
import { zstdLayerDecoder } from '../shared/archive/inflate.js';
import type { ImageSource } from '../shared/content/image-source.js';
import { openDockerArchive } from '../shared/oci/sources/docker-archive-source.js';
import { openOciLayout } from '../shared/oci/sources/oci-layout-source.js';
import { scanImage, type ScanOptions } from '../shared/scan/scan-image.js';
import { rawInflate, readAndHash } from './baselines.js';
import type { BenchLayout, GrownImage } from './generate-image.js';
import { bestOf, check, rate, secs, type BenchContext } from './measure.js';

/**
 * The scan throughput target: at least this share of raw inflate speed (the speed side of the
 * end-to-end target, a scan taking at most 1.1x the floor's time).
 */
export const SCAN_TARGET = 0.9;

/** Scan and check the answer is the fixture's recipe (a wrong answer measures nothing). */
async function scanChecked(
  open: () => Promise<ImageSource>,
  image: GrownImage,
  opts: ScanOptions,
  expectVerified = true,
): Promise<void> {
  const src = await open();
  try {
    const scan = await scanImage(src, opts);
    const r = scan.results[0];
    check(r?.kind === 'recipe', `${image.ref}: expected a recipe, got ${r?.kind}`);
    check(r.recipe.packages.length === image.packages, `${image.ref}: ${r.recipe.packages.length} packages`);
    check(r.recipe.profile === image.profile, `${image.ref}: profile ${r.recipe.profile}`);
    check(r.verified === expectVerified, `${image.ref}: verified ${r.verified}`);
  } finally {
    await src.close?.();
  }
}

export async function benchScanThroughput(ctx: BenchContext, layout: BenchLayout): Promise<void> {
  const { signal, runs } = ctx;
  const oci = (ref: string) => () => openOciLayout(layout.dir, ref, { signal });
  const find = (ref: string) => layout.images.find((i) => i.ref === ref);

  for (const compression of ['gzip', 'zstd', 'none'] as const) {
    const image = find(`end-${compression}`);
    if (!image) {
      ctx.log(`scan ${compression}: no ${compression} image (is the zstd program installed?), skipped`);
      continue;
    }
    ctx.log(`scan ${compression} end: ${runs} runs`);
    // An uncompressed layer has nothing to inflate: the least a verified read does is read + sha256.
    const t = await bestOf(runs, {
      ours: () => scanChecked(oci(image.ref), image, { signal }),
      base: async () => {
        if (compression === 'none') await readAndHash(image.layer.path, signal);
        else check((await rawInflate(image.layer.path, compression, signal)) === image.tarBytes, 'inflate');
      },
    });
    const decoder =
      compression === 'gzip'
        ? 'read+sha256+gunzip'
        : compression === 'zstd'
          ? 'read+sha256+zstd -d'
          : 'read+sha256';
    ctx.report({
      name: `scan ${compression}, profile at end`,
      value: `${rate(image.tarBytes, t.ours)} (${secs(t.ours)})`,
      baseline: `${decoder} ${rate(image.tarBytes, t.base)} (${secs(t.base)})`,
      ratio: t.base / t.ours,
      target: { min: SCAN_TARGET, text: `>= ${SCAN_TARGET}x` },
      ...(compression === 'zstd' && { note: `ours through ${zstdLayerDecoder()}` }),
    });
  }

  const start = find('start-gzip');
  const end = find('end-gzip');
  if (start && end) {
    ctx.log(`early stop: ${runs} runs`);
    const t = await bestOf(runs, {
      verified: () => scanChecked(oci(start.ref), start, { signal }),
      parseOnly: () => scanChecked(oci(start.ref), start, { signal, maxDrainBytes: 0 }, false),
      hash: () => readAndHash(start.layer.path, signal),
      full: () => scanChecked(oci(end.ref), end, { signal }),
    });
    ctx.report({
      name: 'scan gzip, profile at start',
      value: `${secs(t.verified)} verified (${rate(start.layer.size, t.verified)} of blob)`,
      baseline: `read+sha256 ${secs(t.hash)} (${rate(start.layer.size, t.hash)})`,
      ratio: t.hash / t.verified,
      target: { min: SCAN_TARGET, text: `>= ${SCAN_TARGET}x` },
    });
    ctx.report({
      name: 'early stop vs full scan (gzip)',
      value: `parse only ${secs(t.parseOnly)}, verified ${secs(t.verified)}`,
      baseline: `profile at end ${secs(t.full)}`,
      ratio: t.full / t.verified,
      note: `verified early stop is ${(t.full / t.verified).toFixed(1)}x faster than a full scan; unverified ${(t.full / t.parseOnly).toFixed(0)}x`,
    });
  }

  const plain = find('end-none');
  if (plain) {
    ctx.log('docker-archive: writing the gzipped archive');
    const archive = await layout.writeDockerArchive(plain, signal);
    const { size } = await stat(archive);
    const t = await bestOf(Math.min(runs, 2), {
      ours: () => scanChecked(() => openDockerArchive(archive, { signal }), plain, { signal }),
      base: () => rawInflate(archive, 'gzip', signal),
    });
    ctx.report({
      name: 'scan docker-archive.tar.gz (end)',
      value: `${rate(plain.tarBytes, t.ours)} (${secs(t.ours)})`,
      baseline: `one read+sha256+gunzip of the archive ${rate(plain.tarBytes, t.base)} (${secs(t.base)})`,
      ratio: t.base / t.ours,
      note: `${(size / 1024 / 1024).toFixed(0)} MiB archive; index pass + layer pass`,
    });
  }
}
