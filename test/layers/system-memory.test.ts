// A Guix system image whose configuration.scm is 100 MiB: one clear size-limit error naming the file
// and the cap, with bounded memory. The archive is generated streamed into a temp file (deleted
// after), scanned in a child process whose peak RSS (VmHWM) must stay under 150 MiB: the file's body
// is skipped by the tar walk, never buffered.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { FIXTURE, SYS, systemConfig, type SystemEntry } from '../scan/system-image-builder.js';

const MiB = 1024 * 1024;
const CONFIG_BYTES = 100 * MiB;
const dir = mkdtempSync(join(tmpdir(), 'system-memory-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const pad = (n: number) => Math.ceil(n / 512) * 512;
const rel = (p: string) => p.slice(1);

/** The layer's members; the configuration's body is written in 1 MiB pieces. */
async function writeLayer(inner: tar.Pack): Promise<void> {
  const entry = (header: Partial<tar.Header> & { name: string }, body = '') =>
    new Promise<void>((res, rej) => inner.entry(header, body, (e) => (e ? rej(e) : res())));
  await entry({ name: rel(SYS.provenance) }, FIXTURE.provenance);
  await entry({ name: rel(SYS.channels) }, FIXTURE.channels);
  // The configuration: a comment line of 100 MiB, generated piece by piece.
  let written!: (e?: Error | null) => void;
  const done = new Promise<void>((res, rej) => (written = (e) => (e ? rej(e) : res())));
  const big = inner.entry({ name: rel(SYS.configuration), size: CONFIG_BYTES }, (e) => written(e));
  const pieces = CONFIG_BYTES / MiB;
  for (let i = 0; i < pieces; i++) {
    const chunk = Buffer.alloc(MiB, 0x78);
    if (i === 0) chunk.write(';; ', 0);
    if (i === pieces - 1) {
      chunk[MiB - 1] = 0x0a;
      big.end(chunk);
    } else if (!big.write(chunk)) await once(big, 'drain');
  }
  await done;
  await entry({ name: `${rel(SYS.system)}/`, type: 'directory' });
  const links: Record<SystemEntry, string> = {
    provenance: SYS.provenance,
    'channels.scm': SYS.channels,
    'configuration.scm': SYS.configuration,
    profile: SYS.profile,
  };
  for (const [name, target] of Object.entries(links))
    await entry({ name: `${rel(SYS.system)}/${name}`, type: 'symlink', linkname: target });
  inner.finalize();
}

/** The size of the layer tar, computed from its members (tar-stream needs it up front). */
function layerSize(): number {
  const file = (n: number) => 512 + pad(n);
  return (
    file(Buffer.byteLength(FIXTURE.provenance)) +
    file(Buffer.byteLength(FIXTURE.channels)) +
    file(CONFIG_BYTES) +
    512 + // the system directory
    4 * 512 + // its links
    1024 // end of archive
  );
}

async function writeArchive(path: string): Promise<void> {
  const outer = tar.pack();
  const written = pipeline(outer, createWriteStream(path));
  const entry = (name: string, body: string) =>
    new Promise<void>((res, rej) => outer.entry({ name }, body, (e) => (e ? rej(e) : res())));
  await entry(
    'manifest.json',
    JSON.stringify([{ Config: 'config.json', RepoTags: ['guix:latest'], Layers: ['big/layer.tar'] }]),
  );
  await entry('config.json', JSON.stringify({ ...systemConfig(), rootfs: { type: 'layers' } }));
  const sink = outer.entry({ name: 'big/layer.tar', size: layerSize() });
  const inner = tar.pack();
  const innerDone = pipeline(inner, sink);
  await writeLayer(inner);
  await innerDone;
  outer.finalize();
  await written;
}

const CHILD = `
import { openDockerArchive } from './shared/oci/sources/docker-archive-source.ts';
import { scanImage } from './shared/scan/scan-image.ts';
import { readFileSync } from 'node:fs';
const signal = AbortSignal.timeout(120000);
const src = await openDockerArchive(process.argv[1], { signal });
let out;
try {
  const scan = await scanImage(src, { signal });
  out = { kind: scan.results[0].kind };
} catch (e) {
  out = { code: e.code, message: e.message };
}
const hwm = Number(/VmHWM:\\s+(\\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;
console.log(JSON.stringify({ ...out, hwm }));
`;

void test(
  'a 100 MiB configuration.scm: one clear size-limit error, under 150 MiB of peak RSS',
  { timeout: 180_000 },
  async () => {
    const path = join(dir, 'system.tar');
    await writeArchive(path);
    assert.ok(statSync(path).size > CONFIG_BYTES);
    const out = execFileSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', CHILD, path],
      {
        encoding: 'utf8',
        maxBuffer: MiB,
      },
    );
    const res = JSON.parse(out.trim().split('\n').pop()!) as { code?: string; message?: string; hwm: number };
    assert.equal(res.code, 'size-limit', JSON.stringify(res));
    assert.match(res.message!, /configuration\.scm/);
    assert.ok(res.message!.includes(String(CONFIG_BYTES)), res.message);
    assert.ok(res.hwm < 150 * MiB, `peak RSS ${(res.hwm / MiB).toFixed(1)} MiB`);
    console.log(
      `peak RSS ${(res.hwm / MiB).toFixed(1)} MiB for a ${CONFIG_BYTES / MiB} MiB configuration.scm`,
    );
  },
);
