/**
 * The console of `guix-recipes start` (API, workers and its own redis-server), as a person and as a
 * log collector see it: one format per stream. With standard output a pipe, every line there is a
 * JSON object and standard error stays empty; on a terminal (a pseudo-terminal from util-linux's
 * `script`), every line is readable, none is JSON. Either way `listening on` is said once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';
import { freePort } from '../harness/registry.js';
import { tempDir } from '../harness/skopeo.js';
import { spawnService, waitFor, waitReady } from './service-process.js';

const MAIN = fileURLToPath(new URL('../../services/cli/main.ts', import.meta.url));
const TSX = fileURLToPath(import.meta.resolve('tsx'));

function serviceEnv(port: number): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env, PORT: String(port) };
  for (const k of Object.keys(env)) if (k.startsWith('GUIX_RECIPES_') || k === 'REDIS_URL') delete env[k];
  return env;
}

const listening = (s: string) => s.match(/listening/gi)?.length ?? 0;

void test('standard output a pipe: JSON lines only, listening on said once, nothing on standard error', async () => {
  const cwd = await tempDir('gr-console-json-');
  const port = await freePort();
  const p = spawnService('start', { cwd, env: serviceEnv(port) });
  let stdout = '';
  let stderr = '';
  p.child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  p.child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  try {
    await waitReady(`http://127.0.0.1:${port}`, p);
    await waitFor('the workers', async () => (/scanner worker started/.test(stdout) ? true : undefined));
    assert.equal(await p.stop(), 0, p.output());
    const lines = stdout.trimEnd().split('\n');
    assert.ok(lines.length >= 3, stdout);
    for (const line of lines) {
      const o = JSON.parse(line) as { level: number; msg: string };
      assert.equal(typeof o.level, 'number', line);
    }
    assert.equal(listening(stdout), 1, stdout);
    assert.ok(
      lines.some((l) => (JSON.parse(l) as { msg: string }).msg === `listening on http://127.0.0.1:${port}`),
    );
    assert.match(stdout, /no REDIS_URL: started redis-server/);
    assert.equal(stderr, '', 'standard error: only the error the process would end with');
  } finally {
    await p.kill();
    rmSync(cwd, { recursive: true, force: true });
  }
});

void test('on a terminal: readable lines, none of them JSON, listening on said once', async () => {
  const cwd = await tempDir('gr-console-tty-');
  const port = await freePort();
  const pidFile = join(cwd, 'pid');
  const command = `echo $$ > '${pidFile}'; exec '${process.execPath}' --import '${TSX}' '${MAIN}' start`;
  const child = spawn('script', ['-q', '-e', '-c', command, '/dev/null'], {
    cwd,
    env: { ...serviceEnv(port), TERM: 'xterm', COLUMNS: '160' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let screen = '';
  child.stdout.on('data', (d: Buffer) => (screen += d.toString()));
  child.stderr.on('data', (d: Buffer) => (screen += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let pid: number | undefined;
  try {
    await waitFor(
      'the workers',
      async () => (/scanner worker started/.test(screen) ? true : undefined),
      60_000,
    );
    pid = Number(readFileSync(pidFile, 'utf8').trim());
    process.kill(pid, 'SIGTERM');
    assert.equal(await exited, 0, screen);
    const text = stripVTControlCharacters(screen).replace(/\r/g, '');
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    assert.ok(lines.length >= 3, text);
    for (const line of lines)
      assert.ok(!line.trimStart().startsWith('{'), `a JSON line on the terminal: ${line}`);
    assert.equal(listening(text), 1, text);
    assert.match(text, /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: listening on http:\/\/127\.0\.0\.1:\d+$/m);
    assert.match(text, /INFO: no REDIS_URL: started redis-server/);
  } finally {
    if (child.exitCode === null) {
      if (pid !== undefined) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone already */
        }
      }
      child.kill('SIGKILL');
    }
    await exited;
    rmSync(cwd, { recursive: true, force: true });
  }
});
