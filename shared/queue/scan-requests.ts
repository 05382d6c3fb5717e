/**
 * Submitting work: the one path from "scan this reference" to a queued job and an image record.
 * Webhooks, POST /v1/scans, retries and the processor all go through `ScanRequests`.
 *
 * Doors differ only in WHEN a tag is resolved: webhooks must answer fast, so a tag-only push
 * becomes a resolve job (`submit`); POST /v1/scans answers with the digest, so it resolves first
 * (`resolveAndSubmit`). Either way the tag is resolved by `resolveTag`, which records it.
 */
import type { Queue } from 'bullmq';
import type { Config } from '../config/config-schema.js';
import type { RegistryAccess } from '../config/registry-access.js';
import type { Digest } from '../content/digest.js';
import { RecipeError } from '../errors.js';
import type { ImageRef, Reference, TagRef } from '../oci/reference.js';
import type { RecipeStore } from '../store/recipe-store.js';
import { redisUnavailable } from '../store/redis-connection.js';
import { withDeadline } from '../store/deadline.js';
import {
  jobFor,
  jobId,
  jobOptions,
  jobSubject,
  scanJob,
  type JobData,
  type JobRequest,
  type ScanJobData,
} from './scan-jobs.js';

export interface EnqueueResult {
  id: string;
  /** True when a job with that id already existed (the add was a no-op). */
  existed: boolean;
}

/** What a submission queued. */
export interface Submitted extends EnqueueResult {
  /** `host/repo@digest` for a scan, `host/repo:tag` for a resolve job. */
  subject: string;
  job: JobData;
}

/** Whether a completed job still stands for `data` (else it is replaced and the work runs again). */
export type CompletedCovers = (data: JobData) => Promise<boolean>;

/**
 * Add a job under its deterministic id. With `force`, a finished (failed or completed) job of the
 * same id is removed first so the work runs again; a completed one is also replaced when
 * `completedCovers` says it no longer stands for the new data. Redis trouble is `unavailable` (503).
 */
export async function enqueue(
  queue: Queue,
  data: JobData,
  q: Config['queue'],
  opts: { signal?: AbortSignal; deadlineMs?: number; completedCovers?: CompletedCovers } = {},
): Promise<EnqueueResult> {
  opts.signal?.throwIfAborted();
  return withDeadline(add(queue, data, q, opts.completedCovers), opts.deadlineMs, 'the queue');
}

async function add(
  queue: Queue,
  data: JobData,
  q: Config['queue'],
  completedCovers: CompletedCovers = async () => true,
): Promise<EnqueueResult> {
  const id = jobId(data);
  try {
    const existing = await queue.getJob(id);
    if (existing) {
      const state = await existing.getState();
      const replace =
        (data.force && (state === 'failed' || state === 'completed')) ||
        (state === 'completed' && !(await completedCovers(data)));
      if (!replace) return { id, existed: true };
      await existing.remove();
    }
    await queue.add(data.kind, data, { ...jobOptions(q, data.kind), jobId: id });
    return { id, existed: false };
  } catch (err) {
    throw redisUnavailable(err);
  }
}

/**
 * Enqueue and, for a scan job, record the image as `queued`. The record's version is read BEFORE
 * the add and the `queued` write is conditional on it: a worker may take the job, and even finish
 * it, before this call's write lands; it must not turn that `done` back into a `queued` that no job
 * will ever end.
 */
export async function enqueueAndRecord(
  queue: Queue,
  store: RecipeStore,
  data: JobData,
  q: Config['queue'],
  opts: { signal?: AbortSignal; deadlineMs?: number } = {},
): Promise<EnqueueResult> {
  const signal = opts.signal ? { signal: opts.signal } : {};
  const version = data.kind === 'scan' ? await store.stateVersion(data, signal) : undefined;
  // A completed scan job stands for a push of its digest unless the push names a tag the store
  // does not record as pointing there (the tag moved away and back): then the job runs again.
  const completedCovers: CompletedCovers = async (d) =>
    d.kind !== 'scan' ||
    d.tag === undefined ||
    (await store.getTag({ registry: d.registry, repository: d.repository, tag: d.tag }, signal)) === d.digest;
  const r = await enqueue(queue, data, q, { ...opts, completedCovers });
  if (data.kind === 'scan' && !r.existed)
    await store.markQueued(data, { source: data.source, ifVersion: version ?? '0' }, signal);
  // Work submitted for an image says the registry has it: a deletion recorded before is forgotten.
  if (data.kind === 'scan') await store.clearDeleted(data, signal);
  return r;
}

export interface ScanRequestsDeps {
  queue: Queue;
  store: RecipeStore;
  queueOptions: Config['queue'];
  /** Tag resolution against the configured registries; absent in a process without registry access. */
  registries?: Pick<RegistryAccess, 'resolveTag'>;
  /** Deadline of each queue call in ms (configuration `redis.commandTimeoutMs`); the store has its own. */
  deadlineMs?: number;
}

export class ScanRequests {
  constructor(private readonly deps: ScanRequestsDeps) {}

  #opts(opts: { signal?: AbortSignal }): { signal?: AbortSignal; deadlineMs?: number } {
    return this.deps.deadlineMs === undefined ? opts : { ...opts, deadlineMs: this.deps.deadlineMs };
  }

  /** Attempts BullMQ has made at a job (undefined when no such job is queued). */
  async attemptsMade(id: string): Promise<number | undefined> {
    const job = await withDeadline(this.deps.queue.getJob(id), this.deps.deadlineMs, 'the queue');
    return job?.attemptsMade;
  }

  /** Queue the job for `ref`: its scan when it names a digest, else the resolution of its tag. */
  async submit(ref: Reference, req: JobRequest, opts: { signal?: AbortSignal } = {}): Promise<Submitted> {
    return this.#submitJob(jobFor(ref, req), opts);
  }

  /** Queue the scan of one image. */
  async submitScan(
    img: ImageRef,
    req: JobRequest,
    opts: { signal?: AbortSignal } = {},
  ): Promise<Submitted & { job: ScanJobData }> {
    return this.#submitJob(scanJob(img, req), opts);
  }

  async #submitJob<J extends JobData>(
    job: J,
    opts: { signal?: AbortSignal },
  ): Promise<Submitted & { job: J }> {
    const r = await enqueueAndRecord(
      this.deps.queue,
      this.deps.store,
      job,
      this.deps.queueOptions,
      this.#opts(opts),
    );
    return { ...r, subject: jobSubject(job), job };
  }

  /**
   * The digest a tag points at now, as the registry serves it, recorded in the tag index (with its
   * history). `not-found` when the tag does not exist.
   */
  async resolveTag(ref: TagRef, opts: { signal: AbortSignal }): Promise<Digest> {
    if (!this.deps.registries)
      throw new RecipeError('unavailable', 'registry access is not configured in this process');
    const digest = await this.deps.registries.resolveTag(ref, opts);
    await this.deps.store.setTag(ref, digest, opts);
    return digest;
  }

  /** Resolve the tag now, then queue the scan of the digest it points at. */
  async resolveAndSubmit(
    ref: TagRef,
    req: JobRequest,
    opts: { signal: AbortSignal },
  ): Promise<Submitted & { job: ScanJobData }> {
    const digest = await this.resolveTag(ref, opts);
    return this.submitScan({ registry: ref.registry, repository: ref.repository, digest }, req, opts);
  }
}
