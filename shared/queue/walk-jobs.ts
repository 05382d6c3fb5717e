/**
 * The registry-walk queue's jobs: backfills (every repository and tag of a registry), the
 * reconciliation pass (the tags of the repositories the store knows) and the retention pass. They
 * run on their own queue (`WALK_QUEUE`), beside the scans, so that listing a large registry never
 * holds a scan slot and its concurrency is bounded apart (`backfill.concurrency`); the scans they
 * find go to the scan queue through ScanRequests like any other.
 *
 * Every step is a short job with a deterministic id, so a walk survives a restart: a step whose
 * worker died is taken up again (stalled recovery) and does its work again, idempotently; a step
 * added twice is added once.
 *   - `catalog`: one page of `/v2/_catalog` (its cursor in the job), which adds a `repository`
 *     step per repository and the step of the next page; the first page also adds the configured
 *     `registries[].repositories` (all of a registry that refuses its catalog);
 *   - `repository`: list a repository's tags, resolve each to its digest (recording the tag), submit
 *     the scan of every digest not yet scanned there; in a reconciliation, tags the registry no
 *     longer lists are dropped and images whose manifest is gone are marked deleted;
 *   - `reconcile`: add a `repository` step for every known (and configured) repository;
 *   - `retention`: apply `retention` to the store.
 */
import { createHash } from 'node:crypto';
import type { JobsOptions } from 'bullmq';
import type { Config } from '../config/config-schema.js';

/** The queue of registry walks. */
export const WALK_QUEUE = 'registry-walks';

/** The job scheduler ids of the periodic passes. */
export const RECONCILE_SCHEDULER = 'reconcile';
export const RETENTION_SCHEDULER = 'retention';

/** Which walk a repository step belongs to. */
export type WalkOrigin = { walk: 'backfill'; run: number } | { walk: 'reconcile'; pass: string };

export interface CatalogStep {
  kind: 'catalog';
  registry: string;
  run: number;
  /** Pages read before this one (0: the first page). */
  page: number;
  /** The page's cursor (absent: the first page). */
  cursor?: string;
}

export interface RepositoryStep {
  kind: 'repository';
  registry: string;
  repository: string;
  origin: WalkOrigin;
}

export interface ReconcilePass {
  kind: 'reconcile';
  /** One registry (API, CLI), or every configured one (the periodic pass). */
  registry?: string;
  /** Names the pass in step ids (default: the job's own id). */
  pass?: string;
}

export interface RetentionPass {
  kind: 'retention';
}

export type WalkJobData = CatalogStep | RepositoryStep | ReconcilePass | RetentionPass;

const h = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 32);

/** A walk step's id (BullMQ ids cannot hold `:`). */
export function walkJobId(data: CatalogStep | RepositoryStep): string {
  if (data.kind === 'catalog') return `backfill-${h(data.registry)}-r${data.run}-p${data.page}`;
  const o = data.origin;
  const of = o.walk === 'backfill' ? `backfill-${h(data.registry)}-r${o.run}` : `reconcile-${h(o.pass)}`;
  return `${of}-${h(`${data.registry}/${data.repository}`)}`;
}

/** Attempts with backoff as for scans; finished steps are removed (the store keeps what they found). */
export function walkJobOptions(q: Config['queue']): JobsOptions {
  return {
    attempts: q.attempts,
    backoff: { type: 'exponential', delay: q.backoffMs },
    removeOnComplete: true,
    removeOnFail: { age: q.keepFailedSeconds },
  };
}
