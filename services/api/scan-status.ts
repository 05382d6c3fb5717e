/** A scan record as the API shows it (GET /v1/scans/{id}, POST /v1/scans, retries). */
import type { Static } from 'typebox';
import { imageName } from '../../shared/oci/reference.js';
import type { ImageRecord } from '../../shared/store/recipe-store.js';
import type { ScanStatusSchema } from './schemas/scans.js';

export type ScanStatus = Static<typeof ScanStatusSchema>;

export function scanStatus(rec: ImageRecord, attemptsMade?: number): ScanStatus {
  return {
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
    ...(rec.kind ? { kind: rec.kind } : {}),
    ...(rec.error ? { error: rec.error } : {}),
    ...(rec.heartbeatAt ? { heartbeatAt: rec.heartbeatAt } : {}),
    ...(attemptsMade !== undefined ? { attemptsMade } : {}),
    ...(rec.deletedAt !== undefined ? { deleted: true, deletedAt: rec.deletedAt } : {}),
  };
}
