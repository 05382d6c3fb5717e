/**
 * POST /v1/scans {"image": "host/repo:tag|host/repo@digest"}: scan an image of a configured
 * registry (a tag is resolved to the digest the registry serves now, then joins that digest's job).
 * GET /v1/scans/{id}: queued, running, done or failed (with the reason).
 */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { RecipeError } from '../../../shared/errors.js';
import { imageName, parseReference } from '../../../shared/oci/reference.js';
import { findRegistry } from '../../../shared/config/load-config.js';
import type { ImageRecord } from '../../../shared/store/recipe-store.js';
import { ProblemSchema } from '../problem.js';
import { withTimeout } from '../with-timeout.js';
import { ScanErrorSchema, ScanStateSchema } from '../schemas/common.js';

const ScanRequest = Type.Object(
  {
    image: Type.String({ minLength: 1, maxLength: 1024, description: 'host/repo:tag or host/repo@digest' }),
    force: Type.Optional(
      Type.Boolean({ description: 'Scan again even when a result for the digest is stored' }),
    ),
  },
  { additionalProperties: false },
);

export const ScanStatusSchema = Type.Object({
  id: Type.String(),
  image: Type.String(),
  registry: Type.String(),
  repository: Type.String(),
  digest: Type.String(),
  state: ScanStateSchema,
  kind: Type.Optional(Type.String()),
  error: Type.Optional(ScanErrorSchema),
  attemptsMade: Type.Optional(Type.Integer()),
  scans: Type.Integer({ description: 'Completed scans of this image' }),
  createdAt: Type.String(),
  updatedAt: Type.String(),
  links: Type.Object({ self: Type.String(), recipe: Type.String() }),
});
type ScanStatus = Static<typeof ScanStatusSchema>;

/** A scan record as the API shows it (also used by the retry route). */
export function statusOf(rec: ImageRecord): ScanStatus {
  const s: ScanStatus = {
    id: rec.id,
    image: imageName(rec),
    registry: rec.registry,
    repository: rec.repository,
    digest: rec.digest,
    state: rec.state,
    createdAt: rec.createdAt,
    updatedAt: rec.updatedAt,
    scans: rec.scans,
    links: { self: `/v1/scans/${rec.id}`, recipe: `/v1/recipes/${rec.digest}` },
  };
  if (rec.kind) s.kind = rec.kind;
  if (rec.error) s.error = rec.error;
  return s;
}

export default async function scanRoutes(app: FastifyInstance): Promise<void> {
  const ms = app.config.redis.commandTimeoutMs;
  app.post(
    '/v1/scans',
    {
      bodyLimit: app.config.http.bodyLimitBytes,
      schema: {
        summary: 'Scan an image',
        tags: ['scans'],
        body: ScanRequest,
        response: { 202: ScanStatusSchema, '4xx': ProblemSchema, '5xx': ProblemSchema },
      },
    },
    async (req, reply) => {
      const body = req.body as Static<typeof ScanRequest>;
      const ref = parseReference(body.image);
      const registry = findRegistry(app.config, ref.registry);
      if (!registry)
        throw new RecipeError(
          'host-not-allowed',
          `registry ${ref.registry} is not configured (GUIX_RECIPES_REGISTRIES)`,
          { details: { registry: ref.registry } },
        );
      const req0 = { source: 'api', ...(body.force ? { force: true } : {}) };
      const target = { ...ref, registry: registry.host };
      // A tag is resolved here (not in a resolve job): the answer names the digest it stands for.
      const r =
        target.digest !== undefined
          ? await withTimeout(
              app.scanRequests.submitScan({ ...target, digest: target.digest }, req0),
              ms,
              'queue',
            )
          : await app.scanRequests.resolveAndSubmit({ ...target, tag: target.tag ?? 'latest' }, req0, {
              signal: AbortSignal.timeout(Math.max(ms, 30000)),
            });
      const img = r.job;
      const rec = await withTimeout(app.store.getImage(img), ms, 'store');
      if (!rec) throw new RecipeError('unavailable', 'scan record missing right after queueing');
      req.log.info({ image: imageName(img), jobId: r.id, existed: r.existed }, 'scan requested');
      return reply.code(202).header('location', `/v1/scans/${r.id}`).send(statusOf(rec));
    },
  );

  app.get(
    '/v1/scans/:id',
    {
      schema: {
        summary: 'Where a scan is',
        tags: ['scans'],
        params: Type.Object({ id: Type.String({ pattern: '^[a-f0-9]{64}$' }) }),
        response: { 200: ScanStatusSchema, '4xx': ProblemSchema, '5xx': ProblemSchema },
      },
    },
    async (req) => {
      const { id } = req.params as { id: string };
      const rec = await withTimeout(app.store.getImageById(id), ms, 'store');
      if (!rec) throw new RecipeError('not-found', `no scan ${id}`);
      const s = statusOf(rec);
      if (rec.state === 'queued' || rec.state === 'running') {
        const job = await withTimeout(app.scanQueue.getJob(id), ms, 'queue');
        if (job) s.attemptsMade = job.attemptsMade;
      }
      return s;
    },
  );
}
