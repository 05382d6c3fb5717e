/**
 * Scans as users run them, whole processes, against the floor, all through a real `docker-registry`
 * on loopback (images pushed with skopeo, digests preserved):
 *
 * - `scan vs floor` (gzip and zstd layers, profile manifest at the end of a `--e2e-mib` layer):
 *   `guix-recipes inspect docker://... --output channels` (the shipped CLI, compiled) against the floor,
 *   bench/floor.mjs: a bare Node script that GETs the blob, sha256es it once and inflates it (gzip:
 *   node:zlib, 1 MiB chunks; zstd: the `zstd` program, Node 20 having no zstd decoder). Medians of
 *   `--runs`, interleaved. Target: ours / floor <= 1.1.
 * - `scan vs skopeo + tar`: what users do without us, `skopeo copy docker://... dir:` then
 *   `tar -x --wildcards '*-profile/manifest'` on the layer (informational ratio).
 * - early exit (profile manifest at the start of the layer): the recipe known (in-process
 *   `scanImage` with `maxDrainBytes: 0`, unverified) against the floor of that image, target <= 0.1x;
 *   the verified recipe (the CLI, whole process) against bench/floor.mjs in `hash` mode (GET +
 *   sha256 alone), target <= 1.0x.
 * - peak RSS of the CLI scanning gzip images of each `--memory-mib` size: under 150 MiB each, and flat
 *   (the largest against the smallest). Baseline: the floor's peak on the same blob.
 *
 * Every run checks its answer: our output must be the fixture's channels.scm byte for byte, the
 * floor's digest and byte count the blob's, skopeo + tar must have extracted a profile manifest.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildRecipe, renderChannels } from '../shared/guix/build-recipe.js';
import { registrySource } from '../shared/oci/sources/registry-source.js';
import { scanImage } from '../shared/scan/scan-image.js';
import { startRegistry, type RunningRegistry } from '../test/harness/registry.js';
import { skopeo } from '../test/harness/skopeo.js';
import { BenchLayout, haveZstdProgram, type GrownImage } from './generate-image.js';
import { check, mib, MiB, timeOnce, type BenchContext } from './measure.js';
import { buildDist, cli, interleaved, median, node, runProcess, spread } from './processes.js';
import { RSS_LIMIT } from './peak-memory.js';
import { benchWorkerVsFloor } from './service.js';

/** Scan vs floor, end to end: ours may take at most this many times the floor's time. */
export const FLOOR_TARGET = 1.1;
/** Early exit: the recipe known within this share of the floor's time. */
export const KNOWN_TARGET = 0.1;
/** Early exit: the verified recipe within this share of fetch + sha256's time. */
export const VERIFIED_TARGET = 1.0;

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FLOOR = join(ROOT, 'bench/floor.mjs');
const REPO = 'bench/big';

function installed(program: string, args: string[]): boolean {
  const r = spawnSync(program, args, { stdio: 'ignore' });
  return r.error === undefined && r.status === 0;
}

async function push(ctx: BenchContext, reg: RunningRegistry, layout: BenchLayout, image: GrownImage) {
  const t = await timeOnce(() =>
    skopeo(
      [
        'copy',
        '--preserve-digests',
        '--dest-tls-verify=false',
        `oci:${layout.dir}:${image.ref}`,
        `docker://${reg.host}/${REPO}:${image.ref}`,
      ],
      { timeoutMs: 60 * 60_000 },
    ),
  );
  ctx.log(`  pushed ${image.ref} (${mib(image.layer.size)}) in ${t.toFixed(1)} s`);
}

export async function benchEndToEnd(ctx: BenchContext): Promise<void> {
  if (!installed('docker-registry', ['--version']) || !installed('skopeo', ['--version'])) {
    ctx.log('e2e: docker-registry or skopeo is not installed, skipped');
    return;
  }
  const { signal } = ctx;
  const zstd = await haveZstdProgram();
  buildDist(ctx);
  const reg = await startRegistry();
  const layout = await BenchLayout.create(ctx.tmp, ctx.fixture);
  const work = await mkdtemp(join(layout.root, 'work-'));
  try {
    // Images: the headline size (gzip, zstd; profile at the end; gzip with the profile at the
    // start) and the memory sizes (gzip, end).
    const size = ctx.e2eMib;
    const grow = async (
      mibs: number,
      position: 'end' | 'start',
      compressions: ('gzip' | 'zstd')[],
      seed: number,
    ) => {
      ctx.log(`e2e: generating ${mibs} MiB, profile at the ${position}: ${compressions.join(', ')}`);
      const [first, ...rest] = await layout.grow({
        mib: mibs,
        position,
        compressions,
        compressible: ctx.compressible,
        signal,
        seed,
        name: `${position}-${mibs}`,
      });
      for (const i of [first!, ...rest]) await push(ctx, reg, layout, i);
      return [first!, ...rest];
    };
    const [endGzip, endZstd] = await grow(size, 'end', zstd ? ['gzip', 'zstd'] : ['gzip'], 1);
    const [startGzip] = await grow(size, 'start', ['gzip'], 2);
    const memoryImages = new Map<number, GrownImage>([[size, endGzip!]]);
    for (const m of ctx.memoryMib)
      if (!memoryImages.has(m)) memoryImages.set(m, (await grow(m, 'end', ['gzip'], 3))[0]!);

    const fixture = new URL(`../test/fixtures/guix-images/${ctx.fixture}/`, import.meta.url);
    const profile = (await readFile(new URL('profile-path', fixture), 'utf8')).trim();
    const expected = renderChannels(
      buildRecipe(await readFile(new URL('profile-manifest', fixture), 'utf8'), { profile }),
    );
    const blobUrl = (i: GrownImage) => `${reg.url}/v2/${REPO}/blobs/${i.layer.digest}`;
    const peaks = new Map<string, number>();
    const keepPeak = (k: string, v: number) => peaks.set(k, Math.max(peaks.get(k) ?? 0, v));

    const floor = async (i: GrownImage, mode: 'gzip' | 'zstd' | 'hash') => {
      const r = await node(FLOOR, [blobUrl(i), mode], { signal });
      const want = `${i.layer.digest} ${mode === 'hash' ? 0 : i.tarBytes}`;
      check(r.stdout.trim() === want, `floor ${i.ref}: ${r.stdout.trim()}, expected ${want}`);
      keepPeak(`floor ${i.ref}`, r.peakRss);
      return r.seconds;
    };
    const ours = async (i: GrownImage) => {
      const r = await cli(
        ['inspect', `docker://${reg.host}/${REPO}:${i.ref}`, '--tls-verify=false', '--output', 'channels'],
        { signal },
      );
      check(r.stdout === expected, `inspect ${i.ref}: not the fixture's channels.scm`);
      keepPeak(`ours ${i.ref}`, r.peakRss);
      return r.seconds;
    };
    const users = async (i: GrownImage) => {
      const dir = await mkdtemp(join(work, 'skopeo-'));
      try {
        const t0 = performance.now();
        await runProcess(
          'skopeo',
          [
            '--insecure-policy',
            'copy',
            '--src-tls-verify=false',
            `docker://${reg.host}/${REPO}:${i.ref}`,
            `dir:${join(dir, 'image')}`,
          ],
          { signal },
        );
        const layer = join(dir, 'image', i.layer.digest.slice('sha256:'.length));
        await runProcess(
          'tar',
          [
            i.compression === 'zstd' ? '--zstd' : '-z',
            '-xf',
            layer,
            '-C',
            dir,
            '--wildcards',
            '*-profile/manifest',
          ],
          { signal },
        );
        const seconds = (performance.now() - t0) / 1000;
        const items = await readdir(join(dir, 'gnu/store'));
        check(
          items.some((n) => n.endsWith('-profile')),
          `skopeo + tar ${i.ref}: no profile manifest extracted`,
        );
        return seconds;
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    };

    // Scan vs floor, and vs what users do.
    for (const image of [endGzip, endZstd]) {
      if (!image) {
        ctx.log('e2e zstd: no zstd program, skipped');
        continue;
      }
      const c = image.compression as 'gzip' | 'zstd';
      ctx.log(`e2e: scan vs floor, ${c} ${size} MiB: ${ctx.runs} interleaved runs`);
      const t = await interleaved(ctx.runs, {
        floor: () => floor(image, c),
        ours: () => ours(image),
      });
      // What users do is informational and the slowest line by far (skopeo writes the blob to disk):
      // one run, after the others, keeps the whole benchmark within its time.
      const u = await users(image);
      const [f, o] = [median(t.floor), median(t.ours)];
      ctx.report({
        name: `scan vs floor, ${c} ${size} MiB`,
        value: `inspect docker:// ${spread(t.ours)}`,
        baseline: `floor (GET+${c === 'gzip' ? 'gunzip' : 'zstd -d'}+sha256) ${spread(t.floor)}`,
        ratio: o / f,
        target: { max: FLOOR_TARGET, text: `<= ${FLOOR_TARGET}x the floor's time` },
        note: `whole processes, medians of ${t.ours.length}; ${(size / o).toFixed(0)} MiB/s of tar`,
      });
      ctx.report({
        name: `scan vs skopeo+tar, ${c} ${size} MiB`,
        value: `inspect docker:// ${o.toFixed(2)} s`,
        baseline: `skopeo copy dir: + tar -x '*-profile/manifest' ${u.toFixed(2)} s (one run)`,
        ratio: o / u,
        note: `time ratio; the floor is ${(f / u).toFixed(2)}x of skopeo+tar`,
      });
    }

    // The worker in the service, the same way: submit to stored, against the floor.
    const workerImages = [endGzip, endZstd].flatMap((i) =>
      i ? [{ image: i, floor: () => floor(i, i.compression as 'gzip' | 'zstd') }] : [],
    );
    await benchWorkerVsFloor(ctx, reg, workerImages, FLOOR_TARGET);

    // Early exit: the profile manifest at the start of the layer.
    if (startGzip) {
      ctx.log(`e2e: early exit, ${size} MiB: ${ctx.runs} interleaved runs`);
      const known = async () => {
        const src = await registrySource(`docker://${reg.host}/${REPO}:${startGzip.ref}`, {
          tlsVerify: false,
          noAuthFiles: true,
        });
        try {
          const t0 = performance.now();
          const scan = await scanImage(src, { signal, maxDrainBytes: 0 });
          const seconds = (performance.now() - t0) / 1000;
          const r = scan.results[0];
          check(r?.kind === 'recipe' && !r.verified, `early exit: ${r?.kind}`);
          check(renderChannels(r.recipe) === expected, 'early exit: not the fixture recipe');
          return seconds;
        } finally {
          await src.close();
        }
      };
      const t = await interleaved(ctx.runs, {
        floor: () => floor(startGzip, 'gzip'),
        hash: () => floor(startGzip, 'hash'),
        known,
        verified: () => ours(startGzip),
      });
      const [f, h, k, v] = [median(t.floor), median(t.hash), median(t.known), median(t.verified)];
      ctx.report({
        name: `early exit: recipe known, ${size} MiB`,
        value: `scanImage, unverified ${(k * 1000).toFixed(0)} ms`,
        baseline: `floor ${spread(t.floor)}`,
        ratio: k / f,
        target: { max: KNOWN_TARGET, text: `<= ${KNOWN_TARGET}x the floor's time` },
        note: 'in-process (the CLI always verifies): from the first request to the recipe',
      });
      ctx.report({
        name: `early exit: verified recipe, ${size} MiB`,
        value: `inspect docker:// ${spread(t.verified)}`,
        baseline: `GET+sha256 alone ${spread(t.hash)}`,
        ratio: v / h,
        target: { max: VERIFIED_TARGET, text: `<= ${VERIFIED_TARGET}x fetch+sha256` },
        note: 'whole processes; the rest of the blob hashed, never inflated',
      });
    }

    // Memory: the CLI's peak RSS at each size.
    const sizes = [...memoryImages.keys()].sort((a, b) => a - b);
    const peakAt = new Map<number, number>();
    for (const m of sizes) {
      const image = memoryImages.get(m)!;
      if (!peaks.has(`ours ${image.ref}`)) {
        ctx.log(`e2e: peak RSS at ${m} MiB`);
        await floor(image, 'gzip');
        await ours(image);
      }
      const p = peaks.get(`ours ${image.ref}`)!;
      const base = peaks.get(`floor ${image.ref}`)!;
      peakAt.set(m, p);
      ctx.report({
        name: `peak RSS, gzip ${m} MiB`,
        value: `${mib(p)} (inspect docker://, whole process)`,
        baseline: `floor ${mib(base)}`,
        ratio: p / base,
        absolute: { ok: p < RSS_LIMIT, text: `< ${RSS_LIMIT / MiB} MiB` },
      });
    }
    if (sizes.length > 1) {
      const lo = sizes[0]!;
      const hi = sizes[sizes.length - 1]!;
      const growth = peakAt.get(hi)! - peakAt.get(lo)!;
      ctx.report({
        name: `peak RSS flat, ${lo} -> ${hi} MiB`,
        value: `${mib(peakAt.get(hi)!)} at ${hi} MiB`,
        baseline: `${mib(peakAt.get(lo)!)} at ${lo} MiB`,
        ratio: peakAt.get(hi)! / peakAt.get(lo)!,
        absolute: { ok: growth < 16 * MiB, text: 'grows < 16 MiB' },
        note: `${(hi / lo).toFixed(0)}x the layer, ${growth >= 0 ? '+' : ''}${mib(growth)}`,
      });
    }
  } finally {
    await reg.stop();
    if (ctx.keep) ctx.log(`e2e: kept the images in ${layout.root}`);
    else await layout.remove();
  }
}
