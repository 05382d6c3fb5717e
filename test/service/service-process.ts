// Spawning guix-recipes as users run it (`guix-recipes start|serve|worker`), from the TypeScript
// sources through tsx so a stale dist/ never stands in for the code under test.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../services/cli/main.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

export interface ServiceProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
  /** SIGTERM and wait; SIGKILL after `ms`. */
  stop(ms?: number): Promise<number | string>;
  kill(): Promise<number | string>;
}

export function spawnService(
  command: 'start' | 'serve' | 'worker',
  opts: { cwd: string; env: Record<string, string | undefined> },
): ServiceProcess {
  const child = spawn(process.execPath, ['--import', TSX, MAIN, command], {
    cwd: opts.cwd,
    env: opts.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  const stop = async (ms = 20000): Promise<number | string> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), ms);
      const r = await exited;
      clearTimeout(t);
      return r;
    }
    return exited;
  };
  const kill = async (): Promise<number | string> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    return exited;
  };
  return { child, output: () => out, exited, stop, kill };
}

/** Poll `f` until it returns a value (not undefined) or time runs out. */
export async function waitFor<T>(
  what: string,
  f: () => Promise<T | undefined>,
  timeoutMs = 90_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await f();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Wait until GET url/readyz answers 200. */
export async function waitReady(baseUrl: string, proc: ServiceProcess, timeoutMs = 60_000): Promise<void> {
  await waitFor(
    `${baseUrl}/readyz`,
    async () => {
      if (proc.child.exitCode !== null) throw new Error(`service exited: ${proc.output()}`);
      const r = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(2000) });
      await r.arrayBuffer();
      return r.status === 200 ? true : undefined;
    },
    timeoutMs,
  );
}
