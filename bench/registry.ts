/**
 * The registry path: the big gzip image pushed (skopeo, digests preserved) to a real docker-registry
 * on loopback (test/harness/registry.ts), then `scanImage` through `docker://` (RegistrySource, undici,
 * verify, inflate, walk) against plain undici GETs of the same layer blob from the same registry:
 * - GET + gunzip + count: the least a registry-side scan must do. Ratio = our MiB/s / its MiB/s.
 * - GET + count: the transport alone (informational).
 * Skipped when `docker-registry` or `skopeo` is not installed.
 */
import { spawnSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { request } from 'undici';
import { registrySource } from '../shared/oci/sources/registry-source.js';
import { scanImage } from '../shared/scan/scan-image.js';
import { startRegistry } from '../test/harness/registry.js';
import { skopeo } from '../test/harness/skopeo.js';
import type { BenchLayout } from './generate-image.js';
import { bestOf, check, rate, secs, type BenchContext } from './measure.js';
import { SCAN_TARGET } from './scan-throughput.js';

function installed(program: string, args: string[]): boolean {
  const r = spawnSync(program, args, { stdio: 'ignore' });
  return r.error === undefined && r.status === 0;
}

async function getBlob(url: string, gunzip: boolean, signal: AbortSignal): Promise<number> {
  const res = await request(url, { signal });
  if (res.statusCode !== 200) {
    await res.body.dump();
    throw new Error(`GET ${url}: HTTP ${res.statusCode}`);
  }
  let n = 0;
  const sink = new Writable({
    highWaterMark: 1024 * 1024,
    write(chunk: Buffer, _enc, cb) {
      n += chunk.length;
      cb();
    },
  });
  if (gunzip) await pipeline(res.body, createGunzip({ chunkSize: 1024 * 1024 }), sink, { signal });
  else await pipeline(res.body, sink, { signal });
  return n;
}

export async function benchRegistry(ctx: BenchContext, layout: BenchLayout): Promise<void> {
  if (!installed('docker-registry', ['--version']) || !installed('skopeo', ['--version'])) {
    ctx.log('registry: docker-registry or skopeo is not installed, skipped');
    return;
  }
  const image = layout.images.find((i) => i.ref === 'end-gzip');
  if (!image) return;
  const { signal } = ctx;
  const reg = await startRegistry();
  try {
    ctx.log(`registry: pushing ${image.ref} to ${reg.host}`);
    const ref = `${reg.host}/bench/big:${image.ref}`;
    await skopeo(
      [
        'copy',
        '--preserve-digests',
        '--dest-tls-verify=false',
        `oci:${layout.dir}:${image.ref}`,
        `docker://${ref}`,
      ],
      { timeoutMs: 30 * 60_000 },
    );
    const blobUrl = `${reg.url}/v2/bench/big/blobs/${image.layer.digest}`;
    const t = await bestOf(Math.min(ctx.runs, 2), {
      ours: async () => {
        const src = await registrySource(`docker://${ref}`, { tlsVerify: false, noAuthFiles: true });
        try {
          const scan = await scanImage(src, { signal });
          const r = scan.results[0];
          check(r?.kind === 'recipe' && r.verified, `registry scan: ${r?.kind}`);
          check(r.recipe.packages.length === image.packages, 'registry scan: packages');
        } finally {
          await src.close();
        }
      },
      getGunzip: async () => check((await getBlob(blobUrl, true, signal)) === image.tarBytes, 'GET+gunzip'),
      get: async () => check((await getBlob(blobUrl, false, signal)) === image.layer.size, 'GET'),
    });
    ctx.report({
      name: 'scan docker:// (gzip, end)',
      value: `${rate(image.tarBytes, t.ours)} (${secs(t.ours)})`,
      baseline: `undici GET+gunzip ${rate(image.tarBytes, t.getGunzip)} (${secs(t.getGunzip)})`,
      ratio: t.getGunzip / t.ours,
      target: { min: SCAN_TARGET, text: `>= ${SCAN_TARGET}x` },
    });
    ctx.report({
      name: 'scan docker:// vs plain GET',
      value: `${secs(t.ours)}`,
      baseline: `undici GET of the blob ${rate(image.layer.size, t.get)} (${secs(t.get)})`,
      ratio: t.get / t.ours,
      note: 'transport alone; inflate, walk and hash come on top',
    });
  } finally {
    await reg.stop();
  }
}
