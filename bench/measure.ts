/**
 * What every benchmark shares: timing (best of N, ours and the baseline interleaved so drift hits
 * both alike), the one line format (value, baseline, ratio, target verdict) and the results list
 * run.ts summarises. A benchmark never throws for a missed target; only a crash is an error.
 */
import { performance } from 'node:perf_hooks';

export const MiB = 1024 * 1024;

/** One measured line: our value, the baseline measured in the same process, their ratio. */
export interface BenchResult {
  /** e.g. `scan gzip end`. */
  name: string;
  /** Human text of our measurement, e.g. `212.4 MiB/s (1.21 s)`. */
  value: string;
  /** Human text of the baseline, e.g. `gunzip+count 301.0 MiB/s`. */
  baseline: string;
  /** Ours relative to the baseline (higher is better unless `lowerIsBetter`). */
  ratio: number;
  /** What passes: `ratio >= min` (or `<= max`); undefined when the line is informational. */
  target?: { min?: number; max?: number; text: string };
  /** An extra absolute check (e.g. RSS under 150 MiB), already decided. */
  absolute?: { ok: boolean; text: string };
  note?: string;
}

export type Verdict = 'PASS' | 'FAIL' | 'info';

/** PASS when every target of the line holds, FAIL when one does not, info when it has none. */
export function verdict(r: BenchResult): Verdict {
  const checks: boolean[] = [];
  if (r.target) {
    if (r.target.min !== undefined) checks.push(r.ratio >= r.target.min);
    if (r.target.max !== undefined) checks.push(r.ratio <= r.target.max);
  }
  if (r.absolute) checks.push(r.absolute.ok);
  if (checks.length === 0) return 'info';
  return checks.every(Boolean) ? 'PASS' : 'FAIL';
}

/** The line a result prints as. */
export function formatResult(r: BenchResult): string {
  const v = verdict(r);
  const targets = [r.target?.text, r.absolute?.text].filter((t) => t !== undefined).join(', ');
  const parts = [
    r.name.padEnd(34),
    r.value,
    `| baseline ${r.baseline}`,
    `| ratio ${r.ratio.toFixed(2)}x`,
    targets ? `| target ${targets} ${v}` : '',
    r.note ? `(${r.note})` : '',
  ];
  return parts.filter((p) => p !== '').join(' ');
}

/** Seconds one call of `fn` took. */
export async function timeOnce(fn: () => unknown): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

/**
 * Best (lowest) seconds of `runs` calls of each of `fns`, run interleaved (a, b, a, b, ...) after one
 * untimed warm-up round, so page cache, JIT and machine noise affect all of them the same way.
 */
export async function bestOf<K extends string>(
  runs: number,
  fns: Record<K, () => unknown>,
  opts: { warmup?: boolean } = {},
): Promise<Record<K, number>> {
  const keys = Object.keys(fns) as K[];
  const best = Object.fromEntries(keys.map((k) => [k, Number.POSITIVE_INFINITY])) as Record<K, number>;
  if (opts.warmup ?? true) for (const k of keys) await fns[k]();
  for (let i = 0; i < Math.max(1, runs); i++) {
    for (const k of keys) {
      const s = await timeOnce(fns[k]);
      if (s < best[k]) best[k] = s;
    }
  }
  return best;
}

/** `123.4 MiB/s` for `bytes` in `seconds`. */
export function rate(bytes: number, seconds: number): string {
  return `${(bytes / MiB / seconds).toFixed(1)} MiB/s`;
}

export function mib(bytes: number): string {
  return `${(bytes / MiB).toFixed(1)} MiB`;
}

export function secs(s: number): string {
  return s < 1 ? `${(s * 1000).toFixed(1)} ms` : `${s.toFixed(2)} s`;
}

/** Throws with `message` unless `ok`: a benchmark whose subject gave a wrong answer measured nothing. */
export function check(ok: boolean, message: string): asserts ok {
  if (!ok) throw new Error(`benchmark sanity check failed: ${message}`);
}

/** What every benchmark gets from run.ts. */
export interface BenchContext {
  /** Uncompressed size of the generated layer, MiB. */
  mib: number;
  /** Share (0..1) of filler that compresses well. */
  compressible: number;
  /** Timed runs per measurement (best is kept). */
  runs: number;
  /** Uncompressed size of the end-to-end images (scan vs floor, early exit), MiB. */
  e2eMib: number;
  /** Sizes of the images whose peak RSS is measured end to end, MiB. */
  memoryMib: number[];
  /** Images the service benchmarks scan (concurrency, scale). */
  serviceImages: number;
  /** Uncompressed size of each of them, MiB. */
  serviceMib: number;
  /** Size of the synthetic profile manifest for the reader benchmark, MB. */
  readerMb: number;
  /** The fixture (folder of test/fixtures/guix-images) the big images grow from. */
  fixture: string;
  /** Where temp files go (default os.tmpdir()). */
  tmp: string;
  /** Keep generated images (their paths are printed). */
  keep: boolean;
  signal: AbortSignal;
  /** Print a progress line (stderr, so stdout is only results). */
  log(line: string): void;
  /** Record and print one result line. */
  report(r: BenchResult): void;
}

/** Every result as one Markdown table (what docs/performance.md records). */
export function formatTable(results: readonly BenchResult[]): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const rows = results.map((r) => {
    const targets = [r.target?.text, r.absolute?.text].filter((t) => t !== undefined).join(', ');
    return `| ${cell(r.name)} | ${cell(r.value)} | ${cell(r.baseline)} | ${r.ratio.toFixed(2)}x | ${cell(targets || '—')} | ${verdict(r)} |`;
  });
  return [
    '| line | ours | baseline | ratio | target | verdict |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}
