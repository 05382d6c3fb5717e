/**
 * The progress display of long reads: drawn on standard error when it is a terminal (the CLI run
 * under a pseudo-terminal by util-linux's `script`), absent when it is a pipe and with --quiet; it
 * never changes what standard output gets. Its reports are throttled (scan-progress.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { stripVTControlCharacters } from 'node:util';
import { PassThrough } from 'node:stream';
import { layerProgress, PROGRESS_INTERVAL_MS, type ScanProgress } from '../../shared/scan/scan-progress.js';
import { progressDisplay } from '../../services/cli/progress-display.js';

const FIXTURE = 'test/fixtures/guix-images/layered';
const SOURCE = `docker-archive:${FIXTURE}/image.tar.gz`;
const CHANNELS = readFileSync(`${FIXTURE}/export-channels.scm`, 'utf8');

/** Quote one word for sh. */
const sh = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Run the CLI with a pseudo-terminal as its standard output and error; what the terminal got. */
function underTerminal(args: string[]): { status: number | null; screen: string } {
  const command = [process.execPath, 'bin/guix-recipes', ...args].map(sh).join(' ');
  const r = spawnSync('script', ['-q', '-e', '-c', command, '/dev/null'], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, COLUMNS: '120', TERM: 'xterm' },
  });
  return { status: r.status, screen: r.stdout };
}

/** The terminal's text without control sequences and carriage returns. */
const plain = (s: string) => stripVTControlCharacters(s).replace(/\r/g, '');

void test('on a terminal: layer n of m, bytes read of its size, then the bar is cleared', () => {
  const r = underTerminal(['inspect', SOURCE, '--output', 'channels']);
  assert.equal(r.status, 0, r.screen);
  const screen = plain(r.screen);
  // layered: six layers, read from the top (6) down to the one with the profile.
  assert.match(screen, /layer 6\/6 \[[=-]+\] \d+% \| [\d.]+ MiB of [\d.]+ MiB \| (…|[\d.]+ MiB\/s)/);
  assert.match(screen, /layer 5\/6 \[/);
  // The bar's line is cleared (erase-line) before the recipe; the recipe is whole after it.
  assert.ok(r.screen.includes('\u001b[2K'));
  assert.ok(screen.endsWith(CHANNELS), 'the recipe follows, unchanged');
});

void test('on a terminal with --quiet: no progress display', () => {
  const r = underTerminal(['inspect', SOURCE, '--output', 'channels', '--quiet']);
  assert.equal(r.status, 0, r.screen);
  assert.doesNotMatch(r.screen, /layer \d+\/\d+/);
  assert.equal(plain(r.screen), CHANNELS);
});

void test('standard error a pipe: nothing on it, standard output exactly the recipe', () => {
  const r = spawnSync(process.execPath, ['bin/guix-recipes', 'inspect', SOURCE, '--output', 'channels'], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.equal(r.stdout, CHANNELS);
});

void test('gate reads images with the same display, and not on a pipe', () => {
  const r = underTerminal(['gate', SOURCE]);
  assert.equal(r.status, 0, r.screen);
  assert.match(plain(r.screen), /layer 6\/6 \[/);
  const piped = spawnSync(process.execPath, ['bin/guix-recipes', 'gate', SOURCE], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(piped.status, 0, piped.stderr);
  assert.equal(piped.stderr, '');
});

void test('reports are throttled: the first chunk, then at most one per interval, and the end', () => {
  const seen: ScanProgress[] = [];
  let t = 1000;
  const p = layerProgress(
    (x) => seen.push(x),
    { layer: 2, layers: 3, digest: 'sha256:x', layerSize: 1000 },
    500,
    () => t,
  );
  for (let n = 10; n <= 1000; n += 10) {
    p.onBytes(n);
    t += PROGRESS_INTERVAL_MS / 10;
  }
  p.finish(1000);
  // 100 chunks over 10 intervals: the first, one per interval after it, then the final report.
  assert.equal(seen.length, 11);
  assert.deepEqual(seen[0], {
    layer: 2,
    layers: 3,
    digest: 'sha256:x',
    layerSize: 1000,
    layerBytes: 10,
    bytesRead: 510,
    done: false,
  });
  assert.deepEqual(
    { layerBytes: seen.at(-1)!.layerBytes, bytesRead: seen.at(-1)!.bytesRead, done: seen.at(-1)!.done },
    { layerBytes: 1000, bytesRead: 1500, done: true },
  );
});

void test('the display shows the rate of the layer being read, and nothing without a terminal', async () => {
  // A stand-in terminal: cli-progress draws on any stream that says it is a TTY.
  const drawn: string[] = [];
  const tty = Object.assign(new PassThrough(), { isTTY: true, columns: 120 });
  tty.on('data', (d: Buffer) => drawn.push(d.toString()));
  const io = { stdout: { write: () => true }, stderr: { write: () => true }, env: {}, cwd: '/' };
  assert.equal(
    progressDisplay({ ...io, progressTerminal: tty as unknown as NodeJS.WriteStream }, true),
    undefined,
  );
  assert.equal(progressDisplay(io, false), undefined, 'no terminal: no display');

  const d = progressDisplay({ ...io, progressTerminal: tty as unknown as NodeJS.WriteStream }, false)!;
  const MiB = 1024 * 1024;
  const at = (layerBytes: number): ScanProgress => ({
    layer: 1,
    layers: 2,
    digest: 'sha256:a',
    layerSize: 8 * MiB,
    layerBytes,
    bytesRead: layerBytes,
    done: false,
  });
  d.listener(at(0));
  await new Promise((r) => setTimeout(r, 500));
  d.listener(at(4 * MiB)); // 4 MiB in about half a second
  await new Promise((r) => setTimeout(r, 150)); // cli-progress draws at most 10 times a second
  d.listener(at(4 * MiB));
  d.stop();
  const screen = stripVTControlCharacters(drawn.join('')).replace(/\r/g, '');
  assert.match(screen, /layer 1\/2 \[[=-]+\] 50% \| 4\.0 MiB of 8\.0 MiB \| ([\d.]+) MiB\/s/, screen);
  const rate = Number(/4\.0 MiB of 8\.0 MiB \| ([\d.]+) MiB\/s/.exec(screen)![1]);
  assert.ok(rate > 1 && rate <= 8.5, `about 4 MiB in half a second: ${rate} MiB/s`);
});
