/**
 * POST /v1/scans {"image": "host/repo:tag|host/repo@digest"}: scan an image of a configured
 * registry. A tag is resolved here, so the answer names the digest (webhooks queue a resolve job
 * instead: they must answer fast). GET /v1/scans/{id}: queued, running, done or failed (with why).
 * POST /v1/scans/{id}/retry (admin): queue a failed scan again, attempts starting over.
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { RecipeError } from '../../../shared/errors.js';
import { imageName, parseReference } from '../../../shared/oci/reference.js';
import { findRegistry } from '../../../shared/config/load-config.js';
import { problemResponses } from '../schemas/common.js';
import { ScanIdParams, ScanRequestSchema, ScanStatusSchema } from '../schemas/scans.js';
import { scanStatus } from '../scan-status.js';

/** How long POST /v1/scans may wait for the registry to resolve a tag. */
const RESOLVE_TIMEOUT_MS = 30_000;

export default async function scanRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { store, scanRequests } = app;

  app.post(
    '/v1/scans',
    {
      bodyLimit: app.config.http.bodyLimitBytes,
      schema: {
        summary: 'Scan an image',
        tags: ['scans'],
        body: ScanRequestSchema,
        response: { 202: ScanStatusSchema, ...problemResponses },
      },
    },
    async (req, reply) => {
      const ref = parseReference(req.body.image);
      const registry = findRegistry(app.config, ref.registry);
      if (!registry)
        throw new RecipeError(
          'host-not-allowed',
          `registry ${ref.registry} is not configured (GUIX_RECIPES_REGISTRIES)`,
          { details: { registry: ref.registry } },
        );
      const why = { source: 'api', ...(req.body.force ? { force: true } : {}) };
      const target = { registry: registry.host, repository: ref.repository };
      const r =
        ref.digest !== undefined
          ? await scanRequests.submitScan({ ...target, digest: ref.digest }, why)
          : await scanRequests.resolveAndSubmit({ ...target, tag: ref.tag ?? 'latest' }, why, {
              signal: AbortSignal.timeout(RESOLVE_TIMEOUT_MS),
            });
      const rec = await store.getImage(r.job);
      if (!rec) throw new RecipeError('unavailable', 'scan record missing right after queueing');
      req.log.info({ image: imageName(r.job), jobId: r.id, existed: r.existed }, 'scan requested');
      return reply.code(202).header('location', `/v1/scans/${r.id}`).send(scanStatus(rec));
    },
  );

  app.get(
    '/v1/scans/:id',
    {
      schema: {
        summary: 'Where a scan is',
        tags: ['scans'],
        params: ScanIdParams,
        response: { 200: ScanStatusSchema, ...problemResponses },
      },
    },
    async (req) => {
      const rec = await store.getImageById(req.params.id);
      if (!rec) throw new RecipeError('not-found', `no scan ${req.params.id}`);
      const pending = rec.state === 'queued' || rec.state === 'running';
      return scanStatus(rec, pending ? await scanRequests.attemptsMade(rec.id) : undefined);
    },
  );

  app.post(
    '/v1/scans/:id/retry',
    {
      schema: {
        summary: 'Queue a failed scan again',
        tags: ['scans'],
        params: ScanIdParams,
        response: { 202: ScanStatusSchema, ...problemResponses },
      },
    },
    async (req, reply) => {
      const rec = await store.getImageById(req.params.id);
      if (!rec) throw new RecipeError('not-found', `no scan ${req.params.id}`);
      if (rec.state !== 'failed')
        throw new RecipeError('usage', `scan ${rec.id} is ${rec.state}, not failed: nothing to retry`, {
          details: { state: rec.state },
        });
      const r = await scanRequests.submitScan(rec, { source: 'api:retry', force: true });
      const now = await store.getImage(r.job);
      if (!now) throw new RecipeError('unavailable', 'scan record missing right after queueing');
      req.log.info(
        { image: imageName(r.job), jobId: r.id, previous: rec.error?.code },
        'failed scan queued again',
      );
      return reply.code(202).header('location', `/v1/scans/${now.id}`).send(scanStatus(now));
    },
  );
}
