/** Every error and every unknown route as application/problem+json with a stable code. */
import fp from 'fastify-plugin';
import { RecipeError } from '../../../shared/errors.js';
import { PROBLEM_CONTENT_TYPE, fromHttpError, statusFor, toProblem } from '../problem.js';
import { drainRequest } from '../http-edge.js';

export default fp(
  async (app) => {
    app.setErrorHandler(async (err, req, reply) => {
      const e = fromHttpError(err);
      const status = statusFor(e, (err as { statusCode?: number }).statusCode);
      if (status >= 500) req.log.error({ err: e, code: e.code }, e.message);
      // Client errors are in the (sampled) request line's status; their reasons only at debug, or a
      // flood of 401s or 429s would write one line each.
      else req.log.debug({ code: e.code }, e.message);
      if (e.code === 'unauthorized') void reply.header('www-authenticate', 'Bearer');
      if (e.code === 'rate-limited' || e.code === 'unavailable')
        void reply.header('retry-after', String(Math.max(1, Math.ceil((e.retryAfterMs ?? 5000) / 1000))));
      // A body refused for its size: let the client finish sending (up to a bound) so it reads
      // this answer instead of a reset connection; the connection is closed after it.
      if (status === 413) {
        void reply.header('connection', 'close');
        await drainRequest(req.raw, app.config.http.drainLimitBytes);
      }
      return reply.code(status).type(PROBLEM_CONTENT_TYPE).send(toProblem(e, status));
    });
    app.setNotFoundHandler(async (req, reply) => {
      const e = new RecipeError('not-found', `no route ${req.method} ${req.url.split('?')[0] ?? ''}`);
      return reply.code(404).type(PROBLEM_CONTENT_TYPE).send(toProblem(e, 404));
    });
  },
  { name: 'errors', fastify: '5.x' },
);
