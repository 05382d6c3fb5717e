/** `guix-recipes start` (what `npm start` runs): API and workers in one process, Redis included. */
import type { Command } from '../command.js';
import { RecipeError } from '../../../shared/errors.js';

export const startCommand: Command = {
  name: 'start',
  summary: 'run API and workers together (starts its own redis-server without REDIS_URL)',
  help: `Usage: guix-recipes start

Runs the API and the scanner workers in one process. With no REDIS_URL it starts its own
redis-server from PATH (unix socket only, AOF on, data under ./var/redis) and says so; without
redis-server installed it stops: install it (apt-get install -y redis-server) or set REDIS_URL.
Configuration: docs/configuration.md. Stops gracefully on SIGTERM or SIGINT.
`,
  async run(argv, io) {
    if (argv.length > 0) throw new RecipeError('usage', `start takes no arguments (got ${argv[0]})`);
    const { runService } = await import('../run-service.js'); // loaded on use: inspect stays quick to start
    return runService({ api: true, workers: true, embeddedRedis: true }, io);
  },
};
