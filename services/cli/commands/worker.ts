/** `guix-recipes worker`: scanner workers only; run as many processes as you like on one queue. */
import type { Command } from '../command.js';
import { RecipeError } from '../../../shared/errors.js';

export const workerCommand: Command = {
  name: 'worker',
  summary: 'run scanner workers on the Redis queue; needs REDIS_URL',
  help: `Usage: guix-recipes worker

Takes scan jobs from the Redis queue, reads the images from the configured registries, stores the
recipes. Several worker processes can share one queue; a job whose worker dies is taken up again.
GUIX_RECIPES_WORKER_CONCURRENCY sets the scans one process runs at once (default 2). Configuration:
docs/configuration.md. Stops gracefully on SIGTERM or SIGINT (running scans finish or are requeued).
`,
  async run(argv, io) {
    if (argv.length > 0) throw new RecipeError('usage', `worker takes no arguments (got ${argv[0]})`);
    const { runService } = await import('../run-service.js'); // loaded on use: inspect stays quick to start
    return runService({ api: false, workers: true, embeddedRedis: false }, io);
  },
};
