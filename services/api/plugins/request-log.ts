/**
 * One log line per request, when it is answered: method, URL (query values hidden by the logger's
 * serializer), route pattern, status and time. Fastify's own two lines per request are turned off
 * by `requestLogController()` (server.ts, app.ts pass it as `logController`).
 */
import { LogController } from 'fastify';
import fp from 'fastify-plugin';

/** Fastify's log controller without its per-request lines (this plugin writes one instead). */
export function requestLogController(): LogController {
  return new LogController({ disableRequestLogging: true });
}

export default fp(
  async (app) => {
    app.addHook('onResponse', async (req, reply) => {
      const status = reply.statusCode;
      const level = status >= 500 ? 'error' : 'info';
      req.log[level](
        { req, route: req.routeOptions.url, status, ms: Math.round(reply.elapsedTime * 10) / 10 },
        'request',
      );
    });
  },
  { name: 'request-log', fastify: '5.x' },
);
