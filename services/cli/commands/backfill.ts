/**
 * `guix-recipes backfill HOST`: start a backfill of a configured registry (every repository of its
 * catalog, or of `registries[].repositories`, every tag; a scan queued for every digest not yet
 * scanned), and with --wait follow it to its end. With --server URL it asks a running service
 * (POST/GET /v1/registries/HOST/backfill, `admin` scope); without, it queues the backfill in the
 * configured Redis itself, for the workers there (`guix-recipes worker` or `start`) to run.
 */
import { parseArgs } from 'node:util';
import { RecipeError } from '../../../shared/errors.js';
import type { BackfillStatus } from '../../../shared/store/backfill-store.js';
import type { WalkJobData } from '../../../shared/queue/walk-jobs.js';
import type { Command } from '../command.js';
import { argumentError } from '../command-arguments.js';
import type { CliIO } from '../cli-io.js';
import { formatJson } from '../json-output.js';
import { examplesSection, HELP_OPTION, optionLine } from '../help-text.js';

const OPTIONS = {
  server: { type: 'string' },
  restart: { type: 'boolean' },
  wait: { type: 'boolean' },
  timeout: { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
} as const;

const HELP = `Usage: guix-recipes backfill HOST [--server URL] [--restart] [--wait [--timeout SECONDS]] [--quiet]

Scans every image a registry already holds: walks its catalog (/v2/_catalog; for a registry that
refuses it, the repositories listed in registries[].repositories of the configuration), lists the
tags of each repository, resolves each tag to its digest and queues a scan for every digest not
yet scanned there. HOST must be a configured registry. The backfill runs in the workers, a step at
a time, and resumes after a restart; a backfill of HOST already running is reported, not started
again (--restart starts a new run anyway).

Prints the backfill's status as JSON (docs/configuration.md, "Backfill"). With --wait, prints its
progress on standard error until it ends, then its final status; exit 1 if it failed.

Options:
${optionLine('--server URL', 'ask this guix-recipes service (GUIX_RECIPES_TOKEN: a token with the')}
${optionLine('', 'admin scope); without it, the backfill is queued in the configured Redis')}
${optionLine('', "(REDIS_URL, GUIX_RECIPES_CONFIG, as for 'guix-recipes serve') for its workers")}
${optionLine('--restart', 'start a new run even while one runs')}
${optionLine('--wait', 'follow the backfill until it is done or failed')}
${optionLine('--timeout SECONDS', 'with --wait: give up after this long (exit 1; the backfill goes on)')}
${optionLine('-q, --quiet', 'no progress lines on standard error (with --wait)')}
${HELP_OPTION}

${examplesSection([
  'REDIS_URL=redis://127.0.0.1:6379 guix-recipes backfill registry.example:5000 --wait',
  'GUIX_RECIPES_TOKEN=... guix-recipes backfill registry.example:5000 --server https://recipes.example.org',
])}`;

function usage(message: string): RecipeError {
  return new RecipeError('usage', `${message}; see 'guix-recipes backfill --help'`);
}

function progress(s: BackfillStatus): string {
  return `guix-recipes: backfill of ${s.registry} (run ${s.run}) ${s.state}: ${s.repositories.done}/${s.repositories.found}${s.catalog.done ? '' : '+'} repositories, ${s.tags} tags, ${s.queued} scans queued, ${s.known} known\n`;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        reject(new RecipeError('aborted', 'interrupted'));
      },
      { once: true },
    );
  });

async function follow(
  get: () => Promise<BackfillStatus>,
  first: BackfillStatus,
  io: CliIO,
  timeoutMs: number | undefined,
): Promise<BackfillStatus> {
  const deadline = timeoutMs === undefined ? Infinity : Date.now() + timeoutMs;
  let s = first;
  let last = '';
  while (s.state === 'running') {
    const line = progress(s);
    if (line !== last) io.stderr.write(line);
    last = line;
    if (Date.now() > deadline)
      throw new RecipeError(
        'timeout',
        `the backfill of ${s.registry} is still running after ${timeoutMs! / 1000} s`,
      );
    await sleep(1000, io.signal);
    s = await get();
  }
  io.stderr.write(progress(s));
  return s;
}

export const backfillCommand: Command = {
  name: 'backfill',
  summary: 'scan every image a registry already holds (catalog or configured repositories)',
  help: HELP,
  async run(argv, io) {
    let parsed;
    try {
      parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
    } catch (err) {
      throw argumentError('backfill', err);
    }
    const { values, positionals } = parsed;
    if (positionals.length !== 1) throw usage(`backfill takes one registry host (got ${positionals.length})`);
    const host = positionals[0]!;
    let timeoutMs: number | undefined;
    if (values.timeout !== undefined) {
      if (!/^\d+$/.test(values.timeout) || Number(values.timeout) < 1)
        throw usage('--timeout takes whole seconds');
      timeoutMs = Number(values.timeout) * 1000;
    }
    const signal = io.signal ?? new AbortController().signal;
    const shown: CliIO = values.quiet ? { ...io, stderr: { write: () => true } } : io;
    let final: BackfillStatus;
    if (values.server !== undefined) {
      const { backfillRequest, backfillUrl } = await import('../backfill-client.js');
      const token = io.env.GUIX_RECIPES_TOKEN;
      const call = (method: 'GET' | 'POST', restart = false) =>
        backfillRequest(method, backfillUrl(values.server!, host, restart), {
          ...(token ? { token } : {}),
          signal,
          timeoutMs: 30_000,
        });
      const started = await call('POST', values.restart === true);
      final = values.wait ? await follow(() => call('GET'), started, shown, timeoutMs) : started;
    } else {
      const { Queue } = await import('bullmq');
      const { WALK_QUEUE } = await import('../../../shared/queue/walk-jobs.js');
      const { Walks } = await import('../../../shared/queue/walks.js');
      const { BackfillStore } = await import('../../../shared/store/backfill-store.js');
      const { closeRedis } = await import('../../../shared/store/redis-connection.js');
      const { ensureStoreSchema } = await import('../../../shared/store/store-schema.js');
      const { commandConfig, connectStore } = await import('../store-access.js');
      const config = commandConfig(io);
      const redis = await connectStore(config, { signal });
      const queue = new Queue<WalkJobData>(WALK_QUEUE, { connection: redis, prefix: config.queue.prefix });
      queue.on('error', () => {});
      try {
        await ensureStoreSchema(redis, { prefix: config.redis.keyPrefix, signal });
        const backfills = new BackfillStore(redis, { prefix: config.redis.keyPrefix });
        const walks = new Walks({ config, queue, backfills });
        const started = await walks.startBackfill(host, { restart: values.restart === true });
        final = values.wait
          ? await follow(() => walks.backfillStatus(host), started, shown, timeoutMs)
          : started;
      } finally {
        await queue.close().catch(() => {});
        await closeRedis(redis);
      }
    }
    io.stdout.write(formatJson(final));
    return final.state === 'failed' ? 1 : 0;
  },
};
