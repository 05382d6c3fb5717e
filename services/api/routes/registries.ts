/**
 * Registry walks (admin): POST /v1/registries/{host}/backfill starts walking every repository and
 * tag of a configured registry (its catalog, or the configured repositories) and queues a scan for
 * every digest not yet scanned, unless a backfill of it runs (`?restart=true` replaces it); GET
 * says where it is. POST /v1/registries/{host}/reconcile queues one reconciliation pass of the
 * registry's known repositories now.
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { problemResponses } from '../schemas/common.js';
import {
  BackfillQuery,
  BackfillStatusSchema,
  ReconcileReplySchema,
  RegistryParams,
} from '../schemas/registries.js';

export default async function registryRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const walks = app.walks;

  app.post(
    '/v1/registries/:host/backfill',
    {
      schema: {
        summary: 'Backfill a registry: scan every image of its catalog (or configured repositories)',
        tags: ['registries'],
        params: RegistryParams,
        querystring: BackfillQuery,
        response: { 202: BackfillStatusSchema, ...problemResponses },
      },
    },
    async (req, reply) => {
      const status = await walks.startBackfill(req.params.host, { restart: req.query.restart === true });
      req.log.info(
        { registry: status.registry, run: status.run, started: status.started },
        'backfill requested',
      );
      return reply.code(202).send(status);
    },
  );

  app.get(
    '/v1/registries/:host/backfill',
    {
      schema: {
        summary: "Where the registry's last backfill is",
        tags: ['registries'],
        params: RegistryParams,
        response: { 200: BackfillStatusSchema, ...problemResponses },
      },
    },
    async (req) => walks.backfillStatus(req.params.host),
  );

  app.post(
    '/v1/registries/:host/reconcile',
    {
      schema: {
        summary: "Re-read the tags of the registry's known repositories now",
        tags: ['registries'],
        params: RegistryParams,
        response: { 202: ReconcileReplySchema, ...problemResponses },
      },
    },
    async (req, reply) => reply.code(202).send(await walks.reconcileNow(req.params.host)),
  );
}
