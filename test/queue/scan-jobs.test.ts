// Job ids, enqueue semantics and THE error mapping, on a real redis-server with real BullMQ workers.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Queue, QueueEvents, Worker, type Job } from 'bullmq';
import { startRedis, type RedisHarness } from '../harness/redis.js';
import { closeRedis, type RedisClient } from '../../shared/store/redis-connection.js';
import { jobId, jobOptions, resolveJob, scanJob, type JobData } from '../../shared/queue/scan-jobs.js';
import { enqueue, enqueueAndRecord } from '../../shared/queue/scan-requests.js';
import { RecipeStore } from '../../shared/store/recipe-store.js';
import { MediaType } from '../../shared/content/media-types.js';
import { mapJobError, parseFailedReason } from '../../shared/queue/job-errors.js';
import { RecipeError } from '../../shared/errors.js';
import { sha256Digest } from '../../shared/content/digest.js';

const qcfg = {
  prefix: '{test}',
  attempts: 3,
  backoffMs: 20,
  keepFailedSeconds: 60,
  keepCompletedSeconds: 60,
  keepCompletedCount: 100,
};
let seq = 0;
const scanData = (): JobData => ({
  kind: 'scan',
  registry: '127.0.0.1:5000',
  repository: 'team/app',
  digest: sha256Digest(`d${seq++}-${Math.random()}`),
  source: 'test',
  requestedAt: new Date().toISOString(),
});

void describe('scan jobs on BullMQ', () => {
  let h: RedisHarness;
  let conn: RedisClient;
  let n = 0;
  before(async () => {
    h = await startRedis();
    conn = h.connect('blocking');
  });
  after(async () => {
    await closeRedis(conn);
    await h.stop();
  });

  /** A fresh queue + worker whose processor is `fn`, mapped through mapJobError like the scanner. */
  async function rig(fn: (job: Job<JobData>) => Promise<string>, attempts = qcfg.attempts) {
    const name = `q${n++}`;
    const queue = new Queue<JobData>(name, { connection: conn, prefix: qcfg.prefix });
    const events = new QueueEvents(name, {
      connection: h.redisConfig.url ? { url: h.redisConfig.url } : {},
      prefix: qcfg.prefix,
    });
    await events.waitUntilReady();
    const worker: Worker<JobData, string> = new Worker<JobData, string>(
      name,
      async (job) => {
        try {
          return await fn(job);
        } catch (err) {
          const out = await mapJobError(err, {
            worker,
            attemptsMade: job.attemptsMade,
            attempts: job.opts.attempts ?? 1,
          });
          throw out.error;
        }
      },
      { connection: conn, prefix: qcfg.prefix, concurrency: 1 },
    );
    await worker.waitUntilReady();
    const cfg = { ...qcfg, attempts };
    return {
      queue,
      events,
      cfg,
      async close() {
        await worker.close();
        await events.close();
        await queue.close();
      },
    };
  }

  void it('derives ids without ":" from registry/repo@digest and tags', () => {
    const d = sha256Digest('x');
    const id = jobId(scanJob({ registry: 'r.example', repository: 'a/b', digest: d }, { source: 't' }));
    assert.equal(id, createHash('sha256').update(`r.example/a/b@${d}`).digest('hex'));
    assert.ok(!id.includes(':'));
    assert.notEqual(
      id,
      jobId(scanJob({ registry: 'r.example', repository: 'a/c', digest: d }, { source: 't' })),
    );
    const rid = jobId(resolveJob({ registry: 'r.example', repository: 'a/b', tag: 'v1' }, { source: 't' }));
    assert.match(rid, /^resolve-[a-f0-9]{64}$/);
    const o = jobOptions(qcfg);
    assert.equal(o.attempts, 3);
    assert.deepEqual(o.backoff, { type: 'exponential', delay: 20 });
  });

  void it('retries retryable errors with backoff until they succeed', async () => {
    let tries = 0;
    const r = await rig(async () => {
      tries++;
      if (tries < 3) throw new RecipeError('registry-error', 'HTTP 502');
      return 'ok';
    });
    try {
      const data = scanData();
      const { id } = await enqueue(r.queue, data, r.cfg);
      const job = (await r.queue.getJob(id))!;
      assert.equal(await job.waitUntilFinished(r.events, 10000), 'ok');
      assert.equal(tries, 3);
    } finally {
      await r.close();
    }
  });

  void it('fails permanent errors at once with code and message as the reason', async () => {
    let tries = 0;
    const r = await rig(async () => {
      tries++;
      throw new RecipeError('unsupported-media-type', 'schema 1 manifest');
    });
    try {
      const { id } = await enqueue(r.queue, scanData(), r.cfg);
      const job = (await r.queue.getJob(id))!;
      await assert.rejects(job.waitUntilFinished(r.events, 10000));
      const failed = (await r.queue.getJob(id))!;
      assert.equal(await failed.getState(), 'failed');
      assert.equal(tries, 1);
      assert.deepEqual(parseFailedReason(failed.failedReason), {
        code: 'unsupported-media-type',
        message: 'schema 1 manifest',
      });
    } finally {
      await r.close();
    }
  });

  void it('turns rate limits into a queue-wide wait that uses up no attempt', async () => {
    let tries = 0;
    const times: number[] = [];
    const r = await rig(async () => {
      tries++;
      times.push(Date.now());
      if (tries === 1) throw new RecipeError('rate-limited', 'HTTP 429', { retryAfterMs: 400 });
      return 'ok';
    }, 1);
    try {
      const { id } = await enqueue(r.queue, scanData(), r.cfg);
      const job = (await r.queue.getJob(id))!;
      assert.equal(await job.waitUntilFinished(r.events, 10000), 'ok');
      assert.equal(tries, 2, 'with attempts=1 a second try only happens when the rate limit used no attempt');
      assert.ok(times[1]! - times[0]! >= 350, `waited ${times[1]! - times[0]!} ms`);
    } finally {
      await r.close();
    }
  });

  void it('adds one job per digest; force replaces a failed one', async () => {
    const name = `q${n++}`;
    const queue = new Queue<JobData>(name, { connection: conn, prefix: qcfg.prefix });
    try {
      const data = scanData();
      const a = await enqueue(queue, data, qcfg);
      const b = await enqueue(queue, { ...data, source: 'again' }, qcfg);
      assert.equal(a.existed, false);
      assert.equal(b.existed, true);
      assert.equal(a.id, b.id);
      assert.equal((await queue.getJobCounts('waiting')).waiting, 1);
      const job = (await queue.getJob(a.id))!;
      assert.equal(job.data.source, 'test', 'the first job keeps its data');
      const w = new Worker(
        name,
        async () => {
          throw new RecipeError('invalid-image', 'bad');
        },
        { connection: conn, prefix: qcfg.prefix },
      );
      const deadline = Date.now() + 5000;
      while ((await job.getState()) !== 'failed' && Date.now() < deadline)
        await new Promise((res) => setTimeout(res, 50));
      await w.close();
      assert.equal(await job.getState(), 'failed');
      assert.equal(
        (await enqueue(queue, data, qcfg)).existed,
        true,
        'a plain re-push does not revive a failed job',
      );
      const forced = await enqueue(queue, { ...data, force: true }, qcfg);
      assert.equal(forced.existed, false);
      assert.equal(await (await queue.getJob(a.id))!.getState(), 'waiting');
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });
  void it('a completed scan job absorbs repeated pushes, unless its tag moved meanwhile', async () => {
    const store = new RecipeStore(conn, { prefix: `kept${n}` });
    let runs = 0;
    const r = await rig(async () => {
      runs++;
      return 'done';
    });
    try {
      const data = { ...scanData(), tag: 'v1' } as Extract<JobData, { kind: 'scan' }>;
      const ref = { registry: data.registry, repository: data.repository, tag: 'v1' };
      await store.setTag(ref, data.digest);
      const first = await enqueueAndRecord(r.queue, store, data, r.cfg);
      const job = (await r.queue.getJob(first.id))!;
      await job.waitUntilFinished(r.events, 10000);
      assert.equal(await job.getState(), 'completed', 'kept, not removed');
      for (let i = 0; i < 5; i++)
        assert.equal((await enqueueAndRecord(r.queue, store, data, r.cfg)).existed, true, `push ${i}`);
      const { tag: _tag, ...digestOnly } = data;
      assert.equal((await enqueueAndRecord(r.queue, store, digestOnly, r.cfg)).existed, true);
      assert.equal(runs, 1, 'repeated pushes of one digest ran nothing');
      // The tag went elsewhere and the push says it is back: the job runs again to re-resolve it.
      await store.setTag(ref, sha256Digest('elsewhere'));
      const again = await enqueueAndRecord(r.queue, store, data, r.cfg);
      assert.equal(again.existed, false);
      await (await r.queue.getJob(again.id))!.waitUntilFinished(r.events, 10000);
      assert.equal(runs, 2);
      // Resolve jobs are never kept: a tag-only push always resolves again.
      const opts = jobOptions(r.cfg, 'resolve');
      assert.equal(opts.removeOnComplete, true);
      assert.deepEqual(jobOptions(r.cfg, 'scan').removeOnComplete, { age: 60, count: 100 });
    } finally {
      await r.close();
    }
  });

  void it('a worker finishing the job before the enqueuer records it queued keeps its done', async () => {
    const store = new RecipeStore(conn, { prefix: `race${n}` });
    // The worker does what the scanner does for a not-Guix image: running, then the result, done.
    const r = await rig(async (job) => {
      const d = job.data as Extract<JobData, { kind: 'scan' }>;
      const img = { registry: d.registry, repository: d.repository, digest: d.digest };
      await store.markRunning(img);
      const manifest = { mediaType: MediaType.OciManifest, digest: d.digest, size: 2 };
      await store.saveScan(img, {
        manifest,
        results: [{ kind: 'not-guix', manifest, reason: 'no profile' }],
        bytesRead: 0,
      });
      return 'done';
    });
    // The interleaving to show: the add lands, the worker takes and finishes the job, and only
    // then does the enqueuer go on to record the image as queued.
    const slowAck = Object.create(r.queue) as Queue<JobData>;
    slowAck.add = (async (...args: Parameters<Queue<JobData>['add']>) => {
      const job = await r.queue.add(...args);
      await job.waitUntilFinished(r.events, 10000);
      return job;
    }) as Queue<JobData>['add'];
    try {
      const data = scanData() as Extract<JobData, { kind: 'scan' }>;
      const img = { registry: data.registry, repository: data.repository, digest: data.digest };
      const res = await enqueueAndRecord(slowAck, store, data, r.cfg);
      assert.equal(res.existed, false);
      const rec = await store.getImage(img);
      assert.equal(rec?.state, 'done', 'the finished scan must not be shown as queued again');
      assert.equal(rec?.scans, 1);
      assert.deepEqual((await store.findByState('queued')).items, []);
      // Nothing raced: a fresh image is recorded queued (and its version moves with each write).
      const other = scanData() as Extract<JobData, { kind: 'scan' }>;
      const otherImg = { registry: other.registry, repository: other.repository, digest: other.digest };
      assert.equal(await store.stateVersion(otherImg), '0');
      await store.markQueued(otherImg, { source: 'test' });
      const v = await store.stateVersion(otherImg);
      assert.equal(v, '1');
      await store.markRunning(otherImg);
      await store.markFailed(otherImg, { code: 'invalid-image', message: 'x' });
      await store.markQueued(otherImg, { source: 'test', ifVersion: v });
      assert.equal((await store.getImage(otherImg))?.state, 'failed', 'a stale version writes nothing');
    } finally {
      await r.close();
    }
  });
});
