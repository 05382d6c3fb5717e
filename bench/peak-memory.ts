/**
 * Peak memory: the RSS high-water mark (VmHWM) of a child process that scans the big image (profile
 * at the end: every byte inflated, walked and hashed) against a child that only inflates the same
 * blob with the plain decoder (both run under tsx; a third, idle child shows what node + tsx alone
 * take). Ratio = our peak / the baseline's peak (lower is better). The absolute
 * target: under 150 MiB whatever the layer size (run with --mib 1024 or more to see it hold).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BenchLayout } from './generate-image.js';
import { check, mib, MiB, type BenchContext } from './measure.js';

/** Peak RSS a scan may reach, whatever the layer size. */
export const RSS_LIMIT = 150 * MiB;

const CHILD = fileURLToPath(new URL('./memory-child.ts', import.meta.url));

interface ChildReport {
  hwm: number;
  kind?: string;
  verified?: boolean;
  packages?: number;
  bytesRead?: number;
  bytes?: number;
}

async function child(args: string[], signal: AbortSignal): Promise<ChildReport> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', CHILD, ...args],
      { encoding: 'utf8', maxBuffer: MiB, signal },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`memory child ${args[0]} failed: ${stderr || err.message}`));
        resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as ChildReport);
      },
    );
  });
}

export async function benchPeakMemory(ctx: BenchContext, layout: BenchLayout): Promise<void> {
  const idle = await child(['idle'], ctx.signal);
  for (const compression of ['gzip', 'zstd'] as const) {
    const image = layout.images.find((i) => i.ref === `end-${compression}`);
    if (!image) continue;
    ctx.log(`peak memory ${compression}: two child processes`);
    const base = await child(['inflate', image.layer.path, compression], ctx.signal);
    check(base.bytes === image.tarBytes, `baseline inflated ${base.bytes} bytes`);
    const ours = await child(['scan', layout.dir, image.ref], ctx.signal);
    check(ours.kind === 'recipe' && ours.verified === true, `scan child: ${JSON.stringify(ours)}`);
    check(ours.packages === image.packages, `scan child: ${ours.packages} packages`);
    ctx.report({
      name: `peak RSS, ${compression} layer`,
      value: `${mib(ours.hwm)} scanning ${mib(image.tarBytes)} of tar`,
      baseline: `inflate-only child ${mib(base.hwm)}`,
      ratio: ours.hwm / base.hwm,
      absolute: { ok: ours.hwm < RSS_LIMIT, text: `< ${RSS_LIMIT / MiB} MiB` },
      note: `node + tsx alone: ${mib(idle.hwm)}; above that: scan ${mib(ours.hwm - idle.hwm)}, inflate ${mib(base.hwm - idle.hwm)}`,
    });
  }
}
