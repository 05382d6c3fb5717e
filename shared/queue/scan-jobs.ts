/**
 * The scan queue: its name, the job data (never credentials: the worker takes those from its own
 * configuration), job ids and job options. One BullMQ job per (registry, repository, digest).
 *
 * Re-adding work for the same digest (docs/configuration.md, "Rescans"):
 *   - while a job with that id is waiting, delayed or running, adding it again is a no-op
 *     (BullMQ keeps the first job and its data);
 *   - completed jobs are removed at once (the store, not BullMQ, keeps results), so a later push
 *     enqueues again; the worker then reuses the stored, content-addressed result (same digest, same
 *     bytes, same recipe) and only re-resolves the tag, unless the job says `force`;
 *   - failed jobs are kept `queue.keepFailedSeconds` so their reason can be read; a new push does not
 *     revive them, `force` (POST /v1/scans, admin retry) replaces them.
 */
import { createHash } from 'node:crypto';
import type { JobsOptions, Queue } from 'bullmq';
import type { Digest } from '../oci/descriptor.js';
import type { Config } from '../config/config-schema.js';
import { imageId, type RecipeStore } from '../store/recipe-store.js';
import { redisUnavailable } from '../store/redis-connection.js';

/** The one queue every scan goes through. */
export const SCAN_QUEUE = 'scans';

/** Scan one manifest digest of one repository. */
export interface ScanJobData {
  kind: 'scan';
  registry: string;
  repository: string;
  digest: Digest;
  /** The tag the push named: re-resolved against the registry when the job runs. */
  tag?: string;
  /** What asked: `webhook:distribution`, `api`, `tag:<resolve job>`... (for logs and the image record). */
  source: string;
  /** Scan even if a result for this digest is stored already. */
  force?: boolean;
  /** ISO time the work was announced. */
  requestedAt: string;
}

/** Resolve a tag to a digest (manifest HEAD), then add the digest's scan job. */
export interface ResolveJobData {
  kind: 'resolve';
  registry: string;
  repository: string;
  tag: string;
  source: string;
  force?: boolean;
  requestedAt: string;
}

export type JobData = ScanJobData | ResolveJobData;

/** A push as every webhook sender normalises it (digest absent: resolve the tag first). */
export interface PushEvent {
  registry: string;
  repository: string;
  digest?: Digest;
  tag?: string;
  mediaType?: string;
  /** `webhook:<sender>`, `api`. */
  source: string;
}

/** Job id of a scan: hex sha256 of `registry/repo@digest` (BullMQ ids cannot contain `:`). */
export function scanJobId(job: Pick<ScanJobData, 'registry' | 'repository' | 'digest'>): string {
  return imageId(job);
}

/** Job id of a tag resolution: `resolve-` + hex sha256 of `registry/repo:tag`. */
export function resolveJobId(job: Pick<ResolveJobData, 'registry' | 'repository' | 'tag'>): string {
  return `resolve-${createHash('sha256').update(`${job.registry}/${job.repository}:${job.tag}`).digest('hex')}`;
}

export function jobIdOf(data: JobData): string {
  return data.kind === 'scan' ? scanJobId(data) : resolveJobId(data);
}

/** Attempts with exponential backoff; completed jobs removed, failed ones kept for a while. */
export function jobOptions(q: Config['queue']): JobsOptions {
  return {
    attempts: q.attempts,
    backoff: { type: 'exponential', delay: q.backoffMs },
    removeOnComplete: true,
    removeOnFail: { age: q.keepFailedSeconds },
  };
}

export interface EnqueueResult {
  id: string;
  /** True when a job with that id already existed (the add was a no-op). */
  existed: boolean;
}

/**
 * Add a job under its deterministic id. With `force`, a finished (failed or completed) job of the
 * same id is removed first so the work runs again. Redis trouble is `unavailable` (503).
 */
export async function enqueue(
  queue: Queue,
  data: JobData,
  q: Config['queue'],
  opts: { signal?: AbortSignal } = {},
): Promise<EnqueueResult> {
  opts.signal?.throwIfAborted();
  const id = jobIdOf(data);
  try {
    const existing = await queue.getJob(id);
    if (existing && data.force) {
      const state = await existing.getState();
      if (state === 'failed' || state === 'completed') await existing.remove();
      else return { id, existed: true };
    } else if (existing) {
      return { id, existed: true };
    }
    await queue.add(data.kind, data, { ...jobOptions(q), jobId: id });
    return { id, existed: false };
  } catch (err) {
    throw redisUnavailable(err);
  }
}

/**
 * Enqueue and record the image as `queued` (scan jobs of new work). The record's version is read
 * BEFORE the add and the `queued` write is conditional on it: a worker may take the job, and even
 * finish it, before this call's write lands; it must not turn that `done` back into a `queued`
 * that no job will ever end.
 */
export async function enqueueAndRecord(
  queue: Queue,
  store: RecipeStore,
  data: JobData,
  q: Config['queue'],
  opts: { signal?: AbortSignal; source?: string } = {},
): Promise<EnqueueResult> {
  const signal = opts.signal ? { signal: opts.signal } : {};
  const img =
    data.kind === 'scan'
      ? { registry: data.registry, repository: data.repository, digest: data.digest }
      : undefined;
  const version = img ? await store.stateVersion(img, signal) : undefined;
  const r = await enqueue(queue, data, q, signal);
  if (img && !r.existed)
    await store.markQueued(img, { source: opts.source ?? data.source, ifVersion: version ?? '0' }, signal);
  return r;
}
