/**
 * The API as a Fastify plugin: infrastructure decorators, auth, problem+json errors, routes.
 * server.ts wraps it in an HTTP(S) server; tests register it on a bare Fastify and use inject().
 */
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import Fastify from 'fastify';
import fp from 'fastify-plugin';
import services, { type ServiceDeps } from './plugins/services.js';
import auth from './plugins/auth.js';
import errors from './plugins/errors.js';
import healthRoutes from './routes/health.js';
import scanRoutes from './routes/scans.js';
import recipeRoutes from './routes/recipes.js';
import webhookRoutes from './routes/webhooks.js';
import { loggerOptions } from './logger.js';
import { edgeOptions } from './http-edge.js';
import swagger from './plugins/swagger.js';
import rateLimit from './plugins/rate-limit.js';
import metrics from './plugins/metrics.js';
import requestLog, { requestLogController } from './plugins/request-log.js';
import queryRoutes from './routes/queries.js';
import diffRoutes from './routes/diff.js';
import metricsRoutes from './routes/metrics.js';
import policies from './plugins/policies.js';
import verdictRoutes from './routes/verdicts.js';
import policyRoutes from './routes/policies.js';
import admissionRoutes from './routes/admission.js';
import walks from './plugins/walks.js';
import registryRoutes from './routes/registries.js';

export type AppOptions = ServiceDeps;

/** The whole API. Register it with the deps (config, and optionally redis, queue, registries). */
export const app = fp<AppOptions>(
  async (fastify, opts) => {
    // JSON only: a text/plain body is 415, not a string that fails the schema (webhook routes
    // take every type themselves).
    fastify.removeContentTypeParser('text/plain');
    await fastify.register(services, opts);
    await fastify.register(policies);
    await fastify.register(walks);
    await fastify.register(errors);
    await fastify.register(auth);
    // The contract (before any route: it learns them from onRoute), limits, metrics, logs.
    await fastify.register(swagger);
    await fastify.register(rateLimit);
    await fastify.register(metrics);
    await fastify.register(requestLog);
    await fastify.register(healthRoutes);
    await fastify.register(scanRoutes);
    await fastify.register(recipeRoutes);
    await fastify.register(webhookRoutes);
    await fastify.register(queryRoutes);
    await fastify.register(diffRoutes);
    await fastify.register(metricsRoutes);
    await fastify.register(verdictRoutes);
    await fastify.register(policyRoutes);
    await fastify.register(admissionRoutes);
    await fastify.register(registryRoutes);
  },
  { name: 'guix-recipes-api', fastify: '5.x' },
);
export default app;

/** A ready Fastify instance with the API (no listening socket): for tests and server.ts. */
export async function buildApp(
  opts: AppOptions,
  server: FastifyServerOptions = {},
): Promise<FastifyInstance> {
  const fastify = Fastify({
    ...edgeOptions(),
    logger: loggerOptions(opts.config),
    logController: requestLogController(),
    ...server,
  });
  try {
    await fastify.register(app, opts);
    await fastify.ready();
  } catch (err) {
    // A plugin that failed to start (a bad policy file...) must not leave connections open.
    await fastify.close().catch(() => {});
    throw err;
  }
  return fastify;
}
