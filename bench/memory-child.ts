/**
 * Child process of peak-memory.ts: `scan LAYOUT REF` scans one image of an OCI layout;
 * `inflate BLOB COMPRESSION` only reads, hashes and inflates a blob (the baseline); `idle` loads
 * nothing (what node + tsx alone take). Prints one
 * JSON line: the peak RSS (VmHWM) of this process and what it saw. Project code is loaded only to scan.
 */
import { readFileSync } from 'node:fs';
import { rawInflate, type Compression } from './baselines.js';

function peakRss(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : Number.NaN;
}

const [mode, a, b] = process.argv.slice(2);
const signal = AbortSignal.timeout(30 * 60_000);
if (mode === 'scan' && a && b) {
  const { openOciLayout } = await import('../shared/oci/sources/oci-layout-source.js');
  const { scanImage } = await import('../shared/scan/scan-image.js');
  const src = await openOciLayout(a, b, { signal });
  const scan = await scanImage(src, { signal });
  const r = scan.results[0];
  console.log(
    JSON.stringify({
      hwm: peakRss(),
      kind: r?.kind,
      verified: r?.kind === 'recipe' && r.verified,
      packages: r?.kind === 'recipe' ? r.recipe.packages.length : 0,
      bytesRead: scan.bytesRead,
    }),
  );
} else if (mode === 'inflate' && a && b) {
  const bytes = await rawInflate(a, b as Compression, signal);
  console.log(JSON.stringify({ hwm: peakRss(), bytes }));
} else if (mode === 'idle') {
  console.log(JSON.stringify({ hwm: peakRss() }));
} else {
  console.error('usage: memory-child.ts scan LAYOUT REF | inflate BLOB gzip|zstd|none | idle');
  process.exit(2);
}
