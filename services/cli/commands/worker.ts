/** `guix-recipes worker`: scanner workers only; run as many processes as you like on one queue. */
import { serviceCommand } from '../service-command.js';

export const workerCommand = serviceCommand({
  name: 'worker',
  summary: 'run scanner workers on the Redis queue; needs REDIS_URL',
  about: `Takes scan jobs from the Redis queue, reads the images from the configured registries, stores the
recipes. Several worker processes can share one queue; a job whose worker dies is taken up again.
GUIX_RECIPES_WORKER_CONCURRENCY sets the scans one process runs at once (default 2). Configuration:
docs/configuration.md. Running scans finish on SIGTERM or SIGINT, or are put back in the queue.`,
  modes: { api: false, workers: true, embeddedRedis: false },
  examples: [
    'REDIS_URL=redis://127.0.0.1:6379 GUIX_RECIPES_REGISTRIES=registry.example.org guix-recipes worker',
    'REDIS_URL=redis://127.0.0.1:6379 GUIX_RECIPES_WORKER_CONCURRENCY=4 guix-recipes worker --quiet',
  ],
});
