/** `guix-recipes start` (what `npm start` runs): API and workers in one process, Redis included. */
import { serviceCommand } from '../service-command.js';

export const startCommand = serviceCommand({
  name: 'start',
  summary: 'run API and workers together (starts its own redis-server without REDIS_URL)',
  about: `Runs the API and the scanner workers in one process. With no REDIS_URL it starts its own
redis-server from PATH (unix socket only, AOF on, data under ./var/redis) and says so; without
redis-server installed it stops: install it (apt-get install -y redis-server) or set REDIS_URL.
Configuration: docs/configuration.md.`,
  modes: { api: true, workers: true, embeddedRedis: true },
  examples: [
    'guix-recipes start',
    'GUIX_RECIPES_REGISTRIES=http://127.0.0.1:5000 GUIX_RECIPES_WEBHOOK_SECRET=s3cret guix-recipes start',
  ],
});
