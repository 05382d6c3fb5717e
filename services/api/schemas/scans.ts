/** Schemas of the scan routes: a scan request, a scan's status. */
import { Type } from 'typebox';
import { ScanErrorSchema, ScanStateSchema } from './common.js';

export const ScanRequestSchema = Type.Object(
  {
    image: Type.String({ minLength: 1, maxLength: 1024, description: 'host/repo:tag or host/repo@digest' }),
    force: Type.Optional(
      Type.Boolean({ description: 'Scan again even when a result for the digest is stored' }),
    ),
  },
  { additionalProperties: false },
);

export const ScanIdParams = Type.Object({ id: Type.String({ pattern: '^[a-f0-9]{64}$' }) });

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
  deleted: Type.Optional(
    Type.Boolean({ description: 'The registry deleted the image (its recipe is kept; no tag points at it)' }),
  ),
  deletedAt: Type.Optional(Type.String()),
  createdAt: Type.String(),
  updatedAt: Type.String(),
  heartbeatAt: Type.Optional(
    Type.String({
      description:
        'When a worker last said it is scanning this image (every third of the worker lock duration while it runs)',
    }),
  ),
  links: Type.Object({ self: Type.String(), recipe: Type.String() }),
});
