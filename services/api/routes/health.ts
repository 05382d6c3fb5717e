/** /healthz: the process answers. /readyz: Redis and the queue answer too (else 503). */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { ProblemSchema } from '../problem.js';
import { withTimeout } from '../with-timeout.js';

const Status = Type.Object({ status: Type.String() });

export default async function healthRoutes(app: FastifyInstance): Promise<void> {
  app.get(
    '/healthz',
    { schema: { summary: 'Liveness', tags: ['health'], response: { 200: Status } } },
    async () => ({ status: 'ok' }),
  );
  app.get(
    '/readyz',
    {
      schema: {
        summary: 'Readiness: Redis and the queue reachable',
        tags: ['health'],
        response: { 200: Status, 503: ProblemSchema },
      },
    },
    async () => {
      const ms = Math.min(app.config.redis.commandTimeoutMs, 2000);
      await withTimeout(app.store.ping(), ms, 'Redis');
      await withTimeout(app.scanQueue.getJobCounts('waiting'), ms, 'the queue');
      return { status: 'ready' };
    },
  );
}
