/**
 * `npm run bench [-- options]`: generate the big test images once (temp dir, deleted at the end),
 * run each benchmark, print one line per measurement (value, same-process baseline, ratio, target
 * verdict) and a summary. Exit status is 0 unless a benchmark crashed: missed targets are reported,
 * never fatal (benchmarks are not part of `npm test`). See bench/README.md.
 *
 * Options (each also as an environment variable):
 *   --mib N            uncompressed size of the in-process benchmarks' layer (BENCH_MIB, default 256)
 *   --e2e-mib N        uncompressed size of the end-to-end images (BENCH_E2E_MIB, default 1024)
 *   --memory-mib a,b   sizes whose peak RSS is measured end to end (BENCH_MEMORY_MIB, default 256,1024,4096)
 *   --service-images N images the service benchmarks scan (BENCH_SERVICE_IMAGES, default 50)
 *   --service-mib N    uncompressed size of each (BENCH_SERVICE_MIB, default 16)
 *   --compressible X   share 0..1 of filler that compresses well (BENCH_COMPRESSIBLE, default 0.5)
 *   --runs N           timed runs per measurement, best kept (BENCH_RUNS, default 3)
 *   --reader-mb N      size of the synthetic profile manifest (BENCH_READER_MB, default 4)
 *   --only a,b         run only these benchmarks (BENCH_ONLY; default: all but memory and registry,
 *                      which the end-to-end lines supersede): scan, memory, reader, registry, e2e,
 *                      service, verdicts
 *   --skip a,b         skip these (BENCH_SKIP)
 *   --fixture NAME     fixture to grow, of test/fixtures/guix-images (default seed-python-numpy)
 *   --tmp DIR          where generated images go (BENCH_TMP, default the OS temp dir)
 *   --keep             keep the generated images and print where they are
 */
import os, { tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import { BenchLayout, haveZstdProgram } from './generate-image.js';
import { formatResult, formatTable, verdict, type BenchContext, type BenchResult } from './measure.js';
import { benchPeakMemory } from './peak-memory.js';
import { benchReader } from './reader.js';
import { benchRegistry } from './registry.js';
import { benchScanThroughput } from './scan-throughput.js';
import { benchVerdicts } from './verdicts.js';
import { benchEndToEnd } from './end-to-end.js';
import { benchService } from './service.js';

const NAMES = ['scan', 'memory', 'reader', 'registry', 'e2e', 'service', 'verdicts'] as const;
type Name = (typeof NAMES)[number];
/** What runs by default: in under 15 minutes on an idle 2-core machine. */
const DEFAULT: readonly Name[] = ['e2e', 'service', 'scan', 'reader', 'verdicts'];

const { values } = parseArgs({
  options: {
    mib: { type: 'string', default: process.env.BENCH_MIB ?? '256' },
    'e2e-mib': { type: 'string', default: process.env.BENCH_E2E_MIB ?? '1024' },
    'service-images': { type: 'string', default: process.env.BENCH_SERVICE_IMAGES ?? '50' },
    'service-mib': { type: 'string', default: process.env.BENCH_SERVICE_MIB ?? '16' },
    'memory-mib': { type: 'string', default: process.env.BENCH_MEMORY_MIB ?? '256,1024,4096' },
    compressible: { type: 'string', default: process.env.BENCH_COMPRESSIBLE ?? '0.5' },
    runs: { type: 'string', default: process.env.BENCH_RUNS ?? '3' },
    'reader-mb': { type: 'string', default: process.env.BENCH_READER_MB ?? '4' },
    only: { type: 'string', default: process.env.BENCH_ONLY ?? DEFAULT.join(',') },
    skip: { type: 'string', default: process.env.BENCH_SKIP ?? '' },
    fixture: { type: 'string', default: process.env.BENCH_FIXTURE ?? 'seed-python-numpy' },
    tmp: { type: 'string', default: process.env.BENCH_TMP ?? tmpdir() },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});

if (values.help) {
  console.log(
    'npm run bench -- [--only e2e,service,scan,reader,verdicts,memory,registry] [--skip ...] [--runs 3]\n' +
      '  [--e2e-mib 1024] [--memory-mib 256,1024,4096] [--service-images 50] [--service-mib 16]\n' +
      '  [--mib 256] [--compressible 0.5] [--reader-mb 4] [--fixture seed-python-numpy] [--tmp DIR] [--keep]\n' +
      'Each line: ours, a baseline measured in the same run, the ratio, the target, PASS/FAIL. See bench/README.md.',
  );
  process.exit(0);
}

function positive(name: string, text: string, { max = Number.POSITIVE_INFINITY } = {}): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0 || n > max)
    throw new Error(`--${name} must be a number in (0, ${max}]: ${text}`);
  return n;
}

function list(text: string): Set<Name> {
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const n of names)
    if (!(NAMES as readonly string[]).includes(n)) throw new Error(`unknown benchmark: ${n}`);
  return new Set(names as Name[]);
}

const skip = list(values.skip);
const selected = [...list(values.only)].filter((n) => !skip.has(n));
const results: BenchResult[] = [];
const started = Date.now();
const ctx: BenchContext = {
  mib: positive('mib', values.mib),
  e2eMib: positive('e2e-mib', values['e2e-mib']),
  serviceImages: Math.round(positive('service-images', values['service-images'], { max: 1000 })),
  serviceMib: positive('service-mib', values['service-mib']),
  memoryMib: values['memory-mib']
    .split(',')
    .filter((x) => x.trim() !== '')
    .map((x) => positive('memory-mib', x.trim())),
  compressible: Math.min(1, Math.max(0, Number(values.compressible) || 0)),
  runs: Math.round(positive('runs', values.runs, { max: 100 })),
  readerMb: positive('reader-mb', values['reader-mb'], { max: 15 }),
  fixture: values.fixture,
  tmp: values.tmp,
  keep: values.keep,
  signal: AbortSignal.timeout(4 * 60 * 60_000),
  log: (line) => console.error(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`),
  report: (r) => {
    results.push(r);
    console.log(formatResult(r));
  },
};

console.log(
  `guix-recipes benchmarks: node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), ` +
    `load ${os.loadavg()[0]!.toFixed(1)}, ${new Date().toISOString()}\n` +
    `  layers: in-process ${ctx.mib} MiB, end to end ${ctx.e2eMib} MiB, memory ${ctx.memoryMib.join('/')} MiB (${ctx.compressible} compressible), ` +
    `best of ${ctx.runs} runs, reader ${ctx.readerMb} MB; running ${selected.join(', ')}`,
);

let layout: BenchLayout | undefined;
let crashed = false;
const needImages = selected.some((n) => n === 'scan' || n === 'memory' || n === 'registry');
try {
  if (needImages) {
    layout = await BenchLayout.create(ctx.tmp, ctx.fixture);
    const zstd = await haveZstdProgram();
    ctx.log(`generating ${ctx.mib} MiB images from ${ctx.fixture} in ${layout.root}`);
    const compressions = selected.includes('scan')
      ? (['gzip', 'none', ...(zstd ? ['zstd' as const] : [])] as const)
      : (['gzip', ...(zstd ? ['zstd' as const] : [])] as const);
    await layout.grow({
      mib: ctx.mib,
      position: 'end',
      compressions,
      compressible: ctx.compressible,
      signal: ctx.signal,
    });
    if (selected.includes('scan'))
      await layout.grow({
        mib: ctx.mib,
        position: 'start',
        compressions: ['gzip'],
        compressible: ctx.compressible,
        signal: ctx.signal,
        seed: 2,
      });
    for (const i of layout.images)
      ctx.log(
        `  ${i.ref}: ${(i.layer.size / 2 ** 20).toFixed(1)} MiB blob, ${(i.tarBytes / 2 ** 20).toFixed(1)} MiB tar`,
      );
  }
  const table: Record<Name, () => Promise<void>> = {
    scan: () => benchScanThroughput(ctx, layout!),
    memory: () => benchPeakMemory(ctx, layout!),
    reader: () => benchReader(ctx),
    registry: () => benchRegistry(ctx, layout!),
    e2e: () => benchEndToEnd(ctx),
    service: () => benchService(ctx),
    verdicts: () => benchVerdicts(ctx),
  };
  for (const name of selected) {
    try {
      await table[name]();
    } catch (err) {
      crashed = true;
      console.error(`benchmark ${name} crashed:`, err);
    }
  }
} catch (err) {
  crashed = true;
  console.error('benchmarks crashed:', err);
} finally {
  if (layout && ctx.keep) console.error(`kept the generated images in ${layout.root}`);
  else await layout?.remove();
}

const counts = { PASS: 0, FAIL: 0, info: 0 };
for (const r of results) counts[verdict(r)] += 1;
console.log(
  `\nsummary: ${counts.PASS} PASS, ${counts.FAIL} FAIL, ${counts.info} informational` +
    `${crashed ? ', some benchmark CRASHED' : ''} (${((Date.now() - started) / 1000).toFixed(0)} s)`,
);
for (const r of results.filter((x) => verdict(x) === 'FAIL')) console.log(`  FAIL ${r.name}`);
console.log(`\n${formatTable(results)}`);
process.exitCode = crashed ? 1 : 0;
