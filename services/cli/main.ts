/** The `guix-recipes` process entry (bin/guix-recipes loads it): real streams, SIGINT aborts. */
import { errorLine, EXIT_INTERRUPTED, runCli } from './run-cli.js';

/**
 * How long an interrupted command may take to wind down before the process ends anyway. Some waits
 * cannot see an AbortSignal (a TLS handshake in progress, a read blocked in the thread pool), and
 * Ctrl-C must still stop promptly.
 */
const INTERRUPT_GRACE_MS = 1500;

const controller = new AbortController();
process.once('SIGINT', () => {
  controller.abort(new Error('interrupted'));
  setTimeout(() => {
    process.stderr.write(errorLine('interrupted'));
    process.exit(EXIT_INTERRUPTED);
  }, INTERRUPT_GRACE_MS).unref();
  // A second Ctrl-C finds Node's default handler again (`once`) and ends the process at once.
});

// `guix-recipes inspect ... | head`: a closed pipe ends the output quietly, not with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  signal: controller.signal,
  ...(process.stderr.isTTY ? { progressTerminal: process.stderr } : {}),
});
