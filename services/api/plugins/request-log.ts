/**
 * One log line per request, when it is answered: method, URL (query values hidden by the logger's
 * serializer), route pattern, status and time; sampled under load (request-log-sampler.ts: every
 * 5xx and slow request, at most `http.requestLog.linesPerSecond` others, a summary line of the rest).
 * Fastify's own two lines per request are turned off by `requestLogController()` (server.ts,
 * app.ts pass it as `logController`).
 */
import { LogController } from 'fastify';
import fp from 'fastify-plugin';
import { RequestLogSampler } from '../request-log-sampler.js';

/** Fastify's log controller without its per-request lines (this plugin writes one instead). */
export function requestLogController(): LogController {
  return new LogController({ disableRequestLogging: true });
}

export default fp(
  async (app) => {
    const sampler = new RequestLogSampler(app.config.http.requestLog);
    const summarise = (force: boolean): void => {
      const s = sampler.takeSummary(force);
      if (s) app.log.info(s, 'requests not logged one by one');
    };
    const timer = setInterval(() => summarise(false), sampler.settings.summaryIntervalMs);
    timer.unref();
    app.addHook('onClose', async () => {
      clearInterval(timer);
      summarise(true);
    });
    app.addHook('onResponse', async (req, reply) => {
      const status = reply.statusCode;
      const ms = Math.round(reply.elapsedTime * 10) / 10;
      if (sampler.admit(status, ms)) {
        const level = status >= 500 ? 'error' : 'info';
        req.log[level]({ req, route: req.routeOptions.url, status, ms }, 'request');
      }
      summarise(false);
    });
  },
  { name: 'request-log', fastify: '5.x', dependencies: ['services'] },
);
