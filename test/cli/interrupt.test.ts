// Ctrl-C: the command stops promptly, says so in one line, and exits 130 (128 + SIGINT).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import type { Socket } from 'node:net';
import { runCli } from '../../services/cli/run-cli.js';

void test('SIGINT during a registry read that never answers: one line, exit 130, within seconds', async () => {
  // Accepts connections and never says a word: the TLS handshake (or HTTP answer) waits forever.
  const sockets: Socket[] = [];
  const server = createServer((s) => sockets.push(s));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  try {
    for (const extra of [[], ['--tls-verify=false']]) {
      const child = spawn(
        process.execPath,
        ['bin/guix-recipes', 'inspect', `docker://127.0.0.1:${port}/team/app:1`, ...extra],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
      // Interrupt only once the command is at work (its first connection), not while Node starts.
      const seen = sockets.length;
      while (sockets.length === seen) await new Promise((r) => setTimeout(r, 20));
      const sent = Date.now();
      child.kill('SIGINT');
      const watchdog = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const [code, signal] = await exited;
      clearTimeout(watchdog);
      const took = Date.now() - sent;
      assert.equal(signal, null, `${extra.join(' ')}: ended by itself, not killed`);
      assert.equal(code, 130, stderr);
      assert.equal(stderr, 'guix-recipes: interrupted\n');
      assert.equal(stdout, '');
      assert.ok(took < 5000, `${extra.join(' ')}: stopped ${took} ms after Ctrl-C`);
    }
  } finally {
    for (const s of sockets) s.destroy();
    server.close();
  }
});

void test('a command whose signal is aborted reports "interrupted" and 130, whatever was thrown', async () => {
  const controller = new AbortController();
  controller.abort(new Error('interrupted'));
  let stdout = '';
  let stderr = '';
  const code = await runCli(['inspect', 'profile:test/fixtures/guix-images/v3/profile-manifest'], {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: {},
    cwd: process.cwd(),
    signal: controller.signal,
  });
  assert.equal(code, 130);
  assert.equal(stderr, 'guix-recipes: interrupted\n');
  assert.equal(stdout, '');
});
