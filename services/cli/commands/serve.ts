/** `guix-recipes serve`: the HTTP API only (workers run apart: `guix-recipes worker`). */
import type { Command } from '../command.js';
import { RecipeError } from '../../../shared/errors.js';

export const serveCommand: Command = {
  name: 'serve',
  summary: 'run the HTTP API (webhooks, scans, recipes); needs REDIS_URL',
  help: `Usage: guix-recipes serve

Runs the HTTP API: registry webhooks, POST /v1/scans, recipes by digest. Scans are queued in Redis
for \`guix-recipes worker\` processes. Configuration comes from the environment and the JSON file
named by GUIX_RECIPES_CONFIG (docs/configuration.md): PORT (8080), HOST (127.0.0.1), REDIS_URL,
GUIX_RECIPES_REGISTRIES, GUIX_RECIPES_WEBHOOK_SECRET, GUIX_RECIPES_API_TOKENS, GUIX_RECIPES_TLS_*.
Stops gracefully on SIGTERM or SIGINT.
`,
  async run(argv, io) {
    if (argv.length > 0)
      throw new RecipeError(
        'usage',
        `serve takes no arguments (got ${argv[0]}); configure it with environment variables`,
      );
    const { runService } = await import('../run-service.js'); // loaded on use: inspect stays quick to start
    return runService({ api: true, workers: false, embeddedRedis: false }, io);
  },
};
