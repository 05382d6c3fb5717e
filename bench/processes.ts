/**
 * Whole processes, timed: a command's wall time from spawn to exit, its standard output (capped) and,
 * for Node processes started through `node()`, its peak RSS (bench/peak-rss-preload.mjs). Process
 * start, module loading and exit are part of what is measured, as they are for a user.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { MiB, type BenchContext } from './measure.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PRELOAD = fileURLToPath(new URL('./peak-rss-preload.mjs', import.meta.url));

export interface ProcessRun {
  seconds: number;
  stdout: string;
  /** Peak RSS in bytes (Node processes started with `node()`), else NaN. */
  peakRss: number;
}

/** Run `cmd args` to its end; throws unless it exits 0. */
export async function runProcess(
  cmd: string,
  args: string[],
  opts: { signal: AbortSignal; env?: NodeJS.ProcessEnv },
): Promise<ProcessRun> {
  const t0 = performance.now();
  const child = spawn(cmd, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    signal: opts.signal,
    env: opts.env ?? process.env,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (s: string) => {
    if (stdout.length < 16 * MiB) stdout += s;
  });
  child.stderr.on('data', (s: string) => {
    stderr = (stderr + s).slice(-64 * 1024);
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  const seconds = (performance.now() - t0) / 1000;
  const m = /bench-peak-rss (\d+)\s*$/.exec(stderr);
  if (code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${code}: ${stderr.slice(-2000)}`);
  return { seconds, stdout, peakRss: m ? Number(m[1]) : Number.NaN };
}

/** Run a Node script (`file args`) with the peak-RSS preload. */
export function node(file: string, args: string[], opts: { signal: AbortSignal }): Promise<ProcessRun> {
  return runProcess(process.execPath, ['--import', PRELOAD, file, ...args], opts);
}

/** The median of some numbers. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * Each of `fns` run `runs` times, interleaved (a, b, c, a, b, c, ...), after one untimed warm-up
 * round (page cache, registry caches); every measurement kept, in order.
 */
export async function interleaved<K extends string>(
  runs: number,
  fns: Record<K, () => Promise<number>>,
  opts: { warmup?: boolean } = {},
): Promise<Record<K, number[]>> {
  const keys = Object.keys(fns) as K[];
  const out = Object.fromEntries(keys.map((k) => [k, [] as number[]])) as Record<K, number[]>;
  if (opts.warmup ?? true) for (const k of keys) await fns[k]();
  for (let i = 0; i < Math.max(1, runs); i++) for (const k of keys) out[k].push(await fns[k]());
  return out;
}

/** `4.21 s (4.10-4.40)`: the median and the range of some timings. */
export function spread(xs: number[]): string {
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  return `${median(xs).toFixed(2)} s${xs.length > 1 ? ` (${lo.toFixed(2)}-${hi.toFixed(2)})` : ''}`;
}

/** Newest modification time of the `.ts` files under `dir`. */
function newestSource(dir: string): number {
  let newest = 0;
  for (const ent of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, ent.name);
    if (ent.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (ent.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * The shipped CLI runs compiled (bin/guix-recipes runs the sources when the build is older than
 * them): `npm run build` unless dist/ is newer than every source file, the same test the bin uses.
 */
export function buildDist(ctx: BenchContext): void {
  const compiled = join(ROOT, 'dist/services/cli/main.js');
  const current =
    existsSync(compiled) &&
    ['shared', 'services', 'workers'].every(
      (d) => !existsSync(join(ROOT, d)) || newestSource(join(ROOT, d)) <= statSync(compiled).mtimeMs,
    );
  if (current) return;
  ctx.log('npm run build');
  const b = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore' });
  if (b.status !== 0) throw new Error('npm run build failed');
}
