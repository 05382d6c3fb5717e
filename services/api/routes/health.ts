/**
 * /healthz: the process answers and can work (503 when what it runs itself is gone: `start`'s own
 * redis-server down; a supervisor restarts it on that). /readyz: Redis and the queue answer too
 * (else 503: wait, do not restart).
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { RecipeError } from '../../../shared/errors.js';
import { withDeadline } from '../../../shared/store/deadline.js';
import { ProblemSchema } from '../problem.js';
import { StatusSchema } from '../schemas/common.js';

/** Readiness answers within this (or the store deadline, when shorter): probes have short timeouts. */
const READY_DEADLINE_MS = 2000;

export default async function healthRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/healthz',
    {
      schema: {
        summary: 'Liveness',
        tags: ['health'],
        response: { 200: StatusSchema, 503: ProblemSchema },
      },
    },
    async () => {
      const trouble = app.liveness();
      if (trouble !== undefined) throw new RecipeError('unavailable', trouble);
      return { status: 'ok' };
    },
  );
  app.get(
    '/readyz',
    {
      schema: {
        summary: 'Readiness: Redis and the queue reachable',
        tags: ['health'],
        response: { 200: StatusSchema, 503: ProblemSchema },
      },
    },
    async () => {
      const ms = Math.min(app.config.redis.commandTimeoutMs, READY_DEADLINE_MS);
      await withDeadline(app.store.ping(), ms, 'Redis');
      await withDeadline(app.scanQueue.getJobCounts('waiting'), ms, 'the queue');
      return { status: 'ready' };
    },
  );
}
