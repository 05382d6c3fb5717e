/** GET /metrics: Prometheus text exposition (open to loopback clients, else `admin`; access.ts). */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export default async function metricsRoutes(app: FastifyInstance): Promise<void> {
  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics',
        tags: ['metrics'],
        response: {
          200: {
            description: 'Text exposition format 0.0.4',
            content: { 'text/plain': { schema: Type.String() } },
          },
        },
      },
    },
    async (_req, reply) => reply.type(PROMETHEUS_CONTENT_TYPE).send(await app.metrics.render()),
  );
}
