/** Every error and every unknown route as application/problem+json with a stable code. */
import fp from 'fastify-plugin';
import { RecipeError } from '../../../shared/errors.js';
import { PROBLEM_CONTENT_TYPE, fromHttpError, statusFor, toProblem } from '../problem.js';

export default fp(
  async (app) => {
    app.setErrorHandler(async (err, req, reply) => {
      const e = fromHttpError(err);
      const status = statusFor(e, (err as { statusCode?: number }).statusCode);
      if (status >= 500) req.log.error({ err: e, code: e.code }, e.message);
      else req.log.info({ code: e.code }, e.message);
      if (e.code === 'unauthorized') void reply.header('www-authenticate', 'Bearer');
      if (e.code === 'rate-limited' || e.code === 'unavailable')
        void reply.header('retry-after', String(Math.max(1, Math.ceil((e.retryAfterMs ?? 5000) / 1000))));
      return reply.code(status).type(PROBLEM_CONTENT_TYPE).send(toProblem(e, status));
    });
    app.setNotFoundHandler(async (req, reply) => {
      const e = new RecipeError('not-found', `no route ${req.method} ${req.url.split('?')[0] ?? ''}`);
      return reply.code(404).type(PROBLEM_CONTENT_TYPE).send(toProblem(e, 404));
    });
  },
  { name: 'errors', fastify: '5.x' },
);
