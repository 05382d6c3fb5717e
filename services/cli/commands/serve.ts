/** `guix-recipes serve`: the HTTP API only (workers run apart: `guix-recipes worker`). */
import { serviceCommand } from '../service-command.js';

export const serveCommand = serviceCommand({
  name: 'serve',
  summary: 'run the HTTP API (webhooks, scans, recipes); needs REDIS_URL',
  about: `Runs the HTTP API: registry webhooks, POST /v1/scans, recipes by digest; its contract is served at
/openapi.json, with Swagger UI at /docs. Scans are queued in Redis for \`guix-recipes worker\`
processes. Configuration comes from the environment and the JSON file named by GUIX_RECIPES_CONFIG
(docs/configuration.md): PORT (8080), HOST (127.0.0.1), REDIS_URL, GUIX_RECIPES_REGISTRIES,
GUIX_RECIPES_WEBHOOK_SECRET, GUIX_RECIPES_API_TOKENS, GUIX_RECIPES_TLS_*.`,
  modes: { api: true, workers: false, embeddedRedis: false },
  examples: [
    'REDIS_URL=redis://127.0.0.1:6379 GUIX_RECIPES_REGISTRIES=registry.example.org guix-recipes serve',
    'REDIS_URL=redis://127.0.0.1:6379 PORT=9000 GUIX_RECIPES_LOG_FORMAT=json guix-recipes serve --quiet',
  ],
});
