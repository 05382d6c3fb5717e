/**
 * The scan queue's jobs, made in one place: their data (never credentials: the worker takes those
 * from its own configuration), their ids and their options. Every door (webhooks, POST /v1/scans,
 * retries, the processor itself) builds jobs with `jobFor`, `scanJob` or `resolveJob`.
 *
 *   - scan job: one per image (registry, repository, digest); its id is the image id
 *     (shared/oci/reference.ts), which is also the scan id of the API and the store's record key;
 *   - resolve job: one per tag, for doors that must answer before the registry is asked (webhooks
 *     that name only a tag); it resolves the tag and then submits the digest's scan job.
 *
 * Re-adding work for the same image (docs/configuration.md, "Rescans"):
 *   - while a job with that id is waiting, delayed or running, adding it again is a no-op
 *     (BullMQ keeps the first job and its data);
 *   - completed scan jobs are kept `queue.keepCompletedSeconds` (at most `queue.keepCompletedCount`):
 *     meanwhile more pushes of the digest add nothing, unless the push names a tag the store does
 *     not record as pointing at that digest (the tag moved away and back: the job runs again to
 *     re-resolve it). Afterwards a push enqueues again; the worker then reuses the stored,
 *     content-addressed result (same digest, same bytes, same recipe) and only re-resolves the tag,
 *     unless the job says `force`. Completed resolve jobs are removed at once: a tag-only push
 *     always resolves the tag again;
 *   - failed jobs are kept `queue.keepFailedSeconds` so their reason can be read; a new push does not
 *     revive them, `force` (POST /v1/scans, admin retry) replaces them.
 */
import type { JobsOptions } from 'bullmq';
import type { Config } from '../config/config-schema.js';
import { RecipeError } from '../errors.js';
import {
  imageId,
  imageName,
  tagId,
  tagName,
  type ImageRef,
  type Reference,
  type TagRef,
} from '../oci/reference.js';

/** The one queue every scan goes through. */
export const SCAN_QUEUE = 'scans';

/** Who asked for the work and how. */
export interface JobRequest {
  /** What asked: `webhook:distribution`, `api`, `api:retry`, `tag:<tag>` (logs, the image record). */
  source: string;
  /** Scan even if a result for this digest is stored already. */
  force?: boolean;
  /** ISO time the work was announced. Default: now. */
  requestedAt?: string;
}

/** Scan one image. A `tag` is the tag the push named: re-resolved against the registry when the job runs. */
export interface ScanJobData extends ImageRef {
  kind: 'scan';
  source: string;
  force?: boolean;
  requestedAt: string;
}

/** Resolve a tag to a digest (manifest HEAD), record it, then submit the digest's scan job. */
export interface ResolveJobData extends TagRef {
  kind: 'resolve';
  source: string;
  force?: boolean;
  requestedAt: string;
}

export type JobData = ScanJobData | ResolveJobData;

function common(req: JobRequest): Pick<ScanJobData, 'source' | 'requestedAt' | 'force'> {
  return {
    source: req.source,
    requestedAt: req.requestedAt ?? new Date().toISOString(),
    ...(req.force ? { force: true } : {}),
  };
}

/** The scan job of one image (its tag, if given, is kept for re-resolution). */
export function scanJob(img: ImageRef, req: JobRequest): ScanJobData {
  return {
    kind: 'scan',
    registry: img.registry,
    repository: img.repository,
    digest: img.digest,
    ...(img.tag !== undefined ? { tag: img.tag } : {}),
    ...common(req),
  };
}

/** The resolve job of one tag. */
export function resolveJob(ref: TagRef, req: JobRequest): ResolveJobData {
  return {
    kind: 'resolve',
    registry: ref.registry,
    repository: ref.repository,
    tag: ref.tag,
    ...common(req),
  };
}

/** The job for a reference: its scan when it names a digest, else the resolution of its tag. */
export function jobFor(ref: Reference, req: JobRequest): JobData {
  if (ref.digest !== undefined) return scanJob({ ...ref, digest: ref.digest }, req);
  if (ref.tag !== undefined) return resolveJob({ ...ref, tag: ref.tag }, req);
  throw new RecipeError('invalid-reference', 'a reference names neither a tag nor a digest');
}

/** A job's id (BullMQ ids cannot hold `:`): the image id for scans, `resolve-<tag id>` for tags. */
export function jobId(data: JobData): string {
  return data.kind === 'scan' ? imageId(data) : `resolve-${tagId(data)}`;
}

/** What a job is about, for logs and replies: `host/repo@digest` or `host/repo:tag`. */
export function jobSubject(data: JobData): string {
  return data.kind === 'scan' ? imageName(data) : tagName(data);
}

/** Attempts with exponential backoff; completed scan jobs and failed jobs kept for a while. */
export function jobOptions(q: Config['queue'], kind: JobData['kind'] = 'scan'): JobsOptions {
  const keep = kind === 'scan' && q.keepCompletedSeconds > 0 && q.keepCompletedCount > 0;
  return {
    attempts: q.attempts,
    backoff: { type: 'exponential', delay: q.backoffMs },
    removeOnComplete: keep ? { age: q.keepCompletedSeconds, count: q.keepCompletedCount } : true,
    removeOnFail: { age: q.keepFailedSeconds },
  };
}
