/**
 * POST /v1/scans/{id}/retry (admin): queue a failed scan again (its failed BullMQ job is replaced,
 * attempts start over). Only failed scans: a queued or running one is already on its way, a done
 * one is re-scanned with POST /v1/scans {"force": true}. Find failed scans with GET /v1/images?state=failed.
 */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { RecipeError } from '../../../shared/errors.js';
import { imageName } from '../../../shared/oci/reference.js';
import { withTimeout } from '../with-timeout.js';
import { ScanStatusSchema, statusOf } from './scans.js';
import { problemResponses } from '../schemas/queries.js';

export default async function retryRoutes(app: FastifyInstance): Promise<void> {
  const ms = app.config.redis.commandTimeoutMs;
  app.post(
    '/v1/scans/:id/retry',
    {
      schema: {
        summary: 'Queue a failed scan again',
        tags: ['scans'],
        params: Type.Object({ id: Type.String({ pattern: '^[a-f0-9]{64}$' }) }),
        response: { 202: ScanStatusSchema, ...problemResponses },
      },
    },
    async (req, reply) => {
      const { id } = req.params as { id: string };
      const rec = await withTimeout(app.store.getImageById(id), ms, 'store');
      if (!rec) throw new RecipeError('not-found', `no scan ${id}`);
      if (rec.state !== 'failed')
        throw new RecipeError('usage', `scan ${id} is ${rec.state}, not failed: nothing to retry`, {
          details: { state: rec.state },
        });
      const img = { registry: rec.registry, repository: rec.repository, digest: rec.digest };
      const r = await withTimeout(
        app.scanRequests.submitScan(img, { source: 'api:retry', force: true }),
        ms,
        'queue',
      );
      const now = await withTimeout(app.store.getImage(img), ms, 'store');
      if (!now) throw new RecipeError('unavailable', 'scan record missing right after queueing');
      req.log.info(
        { image: imageName(img), jobId: r.id, previous: rec.error?.code },
        'failed scan queued again',
      );
      return reply.code(202).header('location', `/v1/scans/${now.id}`).send(statusOf(now));
    },
  );
}
