/**
 * Whole processes, timed: a command's wall time from spawn to exit, its standard output (capped) and,
 * for Node processes started through `node()` or `cli()`, its peak RSS (bench/peak-rss-preload.mjs). Process
 * start, module loading and exit are part of what is measured, as they are for a user.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { MiB, type BenchContext } from './measure.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PRELOAD = fileURLToPath(new URL('./peak-rss-preload.mjs', import.meta.url));

/**
 * The shipped command. Started as an executable, as users start it, so that the Node flags on its
 * first line apply (`node bin/guix-recipes` would drop them).
 */
export const CLI = join(ROOT, 'bin/guix-recipes');

export interface ProcessRun {
  seconds: number;
  stdout: string;
  /** Peak RSS in bytes (Node processes started with `node()` or `cli()`), else NaN. */
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

/** Run the shipped command (`guix-recipes args`) with the peak-RSS preload, given through NODE_OPTIONS. */
export function cli(args: string[], opts: { signal: AbortSignal }): Promise<ProcessRun> {
  return runProcess(CLI, args, { ...opts, env: withPreload(process.env) });
}

/** `env` with the peak-RSS preload added to NODE_OPTIONS. */
function withPreload(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...env, NODE_OPTIONS: [env.NODE_OPTIONS, `--import=${PRELOAD}`].filter(Boolean).join(' ') };
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
  const compiled = join(ROOT, 'dist/cli/main.js');
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

/**
 * `guix-recipes serve` as a child process, its environment `env` over this one's; resolves with the
 * URL its log (JSON lines on standard output) says it listens on. Standard output is read until then
 * and drained after; the last 8 KiB of standard error go into the error if it does not start.
 */
export async function startServe(env: NodeJS.ProcessEnv): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(CLI, ['serve'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  let out = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (c: string) => (err = (err + c).slice(-8192)));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve did not start: ${err}`)), 60_000);
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (c: string) => {
        out = (out + c).slice(-8192);
        const m = /listening on ([^\s"]+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          child.stdout.removeAllListeners('data');
          child.stdout.resume(); // the rest of the log is not kept
          resolve(m[1]!);
        }
      });
      child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
    });
    return { url, child };
  } catch (e) {
    await stopProcess(child);
    throw e;
  }
}

/** SIGTERM, as a supervisor sends it, then SIGKILL after 20 s; resolves once the process has exited. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(t);
}
