// Peak memory does not grow with layer size: a docker-archive with a generated 512 MiB layer (the
// profile manifest at its very end, so every byte is parsed and hashed) is scanned in a child process
// whose peak RSS (VmHWM) must stay under 150 MiB. The input archive is a temp file, deleted after.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { SHIPPED_NODE_FLAGS } from '../harness/shipped-node-flags.js';

const MiB = 1024 * 1024;
const FILES = 512;
const PROFILE = '/gnu/store/3gv5kxr28h7b55vflyc0da0mvlm04c1d-profile';
const SEED = readFileSync('test/fixtures/guix-images/seed-python-numpy/profile-manifest');
const dir = mkdtempSync(join(tmpdir(), 'scan-memory-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const pad = (n: number) => Math.ceil(n / 512) * 512;

async function writeArchive(path: string): Promise<number> {
  const layerSize = FILES * (512 + MiB) + 512 + pad(SEED.length) + 1024;
  const outer = tar.pack();
  const written = pipeline(outer, createWriteStream(path));
  const entry = (name: string, body: string) =>
    new Promise<void>((res, rej) => outer.entry({ name }, body, (e) => (e ? rej(e) : res())));
  await entry(
    'manifest.json',
    JSON.stringify([{ Config: 'config.json', RepoTags: ['big:latest'], Layers: ['big/layer.tar'] }]),
  );
  await entry(
    'config.json',
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { env: [`PATH=${PROFILE}/bin`] },
      rootfs: { type: 'layers' },
    }),
  );
  const sink = outer.entry({ name: 'big/layer.tar', size: layerSize });
  const inner = tar.pack();
  const innerDone = pipeline(inner, sink);
  const block = randomBytes(MiB);
  for (let i = 0; i < FILES; i++) {
    await new Promise<void>((res, rej) =>
      inner.entry({ name: `gnu/store/filler-${i}/data` }, block, (e) => (e ? rej(e) : res())),
    );
  }
  await new Promise<void>((res, rej) =>
    inner.entry({ name: `${PROFILE.slice(1)}/manifest` }, SEED, (e) => (e ? rej(e) : res())),
  );
  inner.finalize();
  await innerDone;
  outer.finalize();
  await written;
  return layerSize;
}

const CHILD = `
import { openDockerArchive } from './shared/oci/sources/docker-archive-source.ts';
import { scanImage } from './shared/scan/scan-image.ts';
import { readFileSync } from 'node:fs';
const signal = AbortSignal.timeout(120000);
const src = await openDockerArchive(process.argv[1], { signal });
const scan = await scanImage(src, { signal });
const r = scan.results[0];
const hwm = Number(/VmHWM:\\s+(\\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;
console.log(JSON.stringify({ kind: r.kind, verified: r.verified, bytesRead: scan.bytesRead, hwm, packages: r.recipe?.packages.length }));
`;

void test('a 512 MiB layer is scanned in under 150 MiB of peak RSS', { timeout: 120_000 }, async () => {
  const path = join(dir, 'big.tar');
  const layerSize = await writeArchive(path);
  assert.ok(layerSize > 512 * MiB);
  const out = execFileSync(
    process.execPath,
    [...SHIPPED_NODE_FLAGS, '--import', 'tsx', '--input-type=module', '-e', CHILD, path],
    {
      encoding: 'utf8',
      maxBuffer: MiB,
    },
  );
  const res = JSON.parse(out.trim().split('\n').pop()!) as {
    kind: string;
    verified: boolean;
    bytesRead: number;
    hwm: number;
    packages: number;
  };
  assert.equal(res.kind, 'recipe');
  assert.equal(res.verified, true);
  assert.ok(res.packages > 0);
  assert.ok(res.bytesRead >= layerSize, 'the whole layer was read');
  assert.ok(res.hwm < 150 * MiB, `peak RSS ${(res.hwm / MiB).toFixed(1)} MiB`);
  console.log(`peak RSS ${(res.hwm / MiB).toFixed(1)} MiB for a ${(layerSize / MiB).toFixed(0)} MiB layer`);
});
