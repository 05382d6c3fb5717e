/**
 * Reconciliation on a real docker-registry whose notifications are lost: the registry sends them
 * to an endpoint that drops them (answers 200, forwards nothing), as a webhook lost after the
 * sender's retries. The store knows `rec/app` from two scans; then, unannounced, a new image is
 * pushed under a new tag, an old tag moves to it, and another image is deleted. One reconciliation
 * pass (`POST /v1/registries/{host}/reconcile`) finds all three: the new image scanned, the moved
 * tag's history holding both digests, the deleted image marked deleted with its tag dropped and
 * its recipe kept.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { Queue } from 'bullmq';
import { pino } from 'pino';
import { createRegistryAccess } from '../../shared/config/registry-access.js';
import { loadConfig } from '../../shared/config/load-config.js';
import { RECONCILE_SCHEDULER, RETENTION_SCHEDULER, WALK_QUEUE } from '../../shared/queue/walk-jobs.js';
import { closeRedis } from '../../shared/store/redis-connection.js';
import { startWalkWorker } from '../../workers/walks/walk-worker.js';
import type { Digest } from '../../shared/content/digest.js';
import { startRedis, type RedisHarness } from '../harness/redis.js';
import { startRegistry, type RunningRegistry } from '../harness/registry.js';
import { deleteManifest } from '../harness/registry-copies.js';
import { startInProcessService, type InProcessService } from '../harness/service.js';
import { pushFixture, tempDir } from '../harness/skopeo.js';

const repository = 'rec/app';

void describe('reconciliation finds what lost webhooks did not announce', () => {
  let redis: RedisHarness;
  let reg: RunningRegistry;
  let svc: InProcessService;
  let app: FastifyInstance;
  let work: string;
  let dropper: Server;
  /** Digests of the manifest pushes the registry announced (and the endpoint dropped). */
  const dropped: string[] = [];

  before(async () => {
    redis = await startRedis();
    dropper = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        try {
          const env = JSON.parse(body) as { events?: { action?: string; target?: { digest?: string } }[] };
          for (const e of env.events ?? [])
            if (e.action === 'push' && e.target?.digest) dropped.push(e.target.digest);
        } catch {
          // not an envelope: dropped all the same
        }
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => dropper.listen(0, '127.0.0.1', r));
    const port = (dropper.address() as AddressInfo).port;
    reg = await startRegistry({
      notifications: [{ url: `http://127.0.0.1:${port}/dropped`, headers: {}, backoff: '300ms' }],
    });
    work = await tempDir('gr-reconcile-');
    svc = await startInProcessService(
      loadConfig({
        env: {},
        file: {
          logLevel: 'silent',
          redis: redis.redisConfig,
          registries: [{ host: reg.host, insecure: true }],
          queue: { prefix: `{rec-${process.pid}}`, attempts: 2, backoffMs: 100 },
        },
      }),
    );
    app = svc.app;
  });
  after(async () => {
    await svc?.worker?.close(1000).catch(() => {});
    await app?.close().catch(() => {});
    await new Promise((r) => dropper?.close(r));
    await reg?.stop();
    await redis?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const until = async <T>(what: string, f: () => Promise<T | undefined>): Promise<T> => {
    for (const end = Date.now() + 60_000; ;) {
      const v = await f();
      if (v !== undefined) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const image = (digest: Digest) => ({ registry: reg.host, repository, digest });
  const tag = (t: string) => ({ registry: reg.host, repository, tag: t });
  const scanned = (digest: Digest) =>
    until(`${digest} scanned`, async () =>
      (await app.store.getImage(image(digest)))?.state === 'done' ? true : undefined,
    );

  void it('a push, a moved tag and a deletion, found by one pass', async () => {
    // What the store knows: two images of rec/app, scanned on request.
    const a = (await pushFixture('two-channels', `${reg.host}/${repository}:1`, 'oci', work)).digest;
    const b = (await pushFixture('mixed-commits', `${reg.host}/${repository}:old`, 'oci', work)).digest;
    for (const ref of [':1', ':old']) {
      const res = await app.inject({
        method: 'POST',
        url: '/v1/scans',
        payload: { image: `${reg.host}/${repository}${ref}` },
      });
      assert.equal(res.statusCode, 202, res.body);
    }
    await scanned(a);
    await scanned(b);
    await until('tags recorded', async () =>
      (await app.store.getTag(tag('1'))) === a && (await app.store.getTag(tag('old'))) === b
        ? true
        : undefined,
    );

    // Unannounced: a new image under a new tag, the old tag moved to it, the other image deleted.
    const c = (await pushFixture('no-provenance', `${reg.host}/${repository}:2`, 'oci', work)).digest;
    await pushFixture('no-provenance', `${reg.host}/${repository}:1`, 'oci', work);
    await deleteManifest(reg.url, repository, b);
    await until('the push announced to the dropping endpoint', async () =>
      dropped.includes(c) ? true : undefined,
    );
    assert.equal(await app.store.getImage(image(c)), undefined, 'the dropped webhook queued nothing');
    assert.equal(await app.store.getTag(tag('1')), a);

    const res = await app.inject({ method: 'POST', url: `/v1/registries/${reg.host}/reconcile` });
    assert.equal(res.statusCode, 202, res.body);
    assert.equal(res.json<{ registry: string }>().registry, reg.host);

    await scanned(c);
    await until('the moved tag and the deletion', async () =>
      (await app.store.getTag(tag('1'))) === c &&
      (await app.store.getTag(tag('old'))) === undefined &&
      (await app.store.getImage(image(b)))?.deletedAt !== undefined
        ? true
        : undefined,
    );
    assert.equal(await app.store.getTag(tag('2')), c);
    // Most recent first.
    assert.deepEqual(
      (await app.store.tagHistory(tag('1'))).map((h) => h.digest),
      [c, a],
    );
    const rec = await app.store.getImage(image(c));
    assert.equal(rec?.source, 'reconcile');
    // The deleted image keeps its recipe; the one still tagged is not marked deleted.
    assert.equal((await app.inject({ url: `/v1/recipes/${b}/channels.scm` })).statusCode, 200);
    assert.equal((await app.store.getImage(image(a)))?.deletedAt, undefined);

    const unknown = await app.inject({ method: 'POST', url: '/v1/registries/elsewhere.example/reconcile' });
    assert.equal(unknown.statusCode, 404);
  });

  void it('the periodic passes: schedulers set by the configuration, removed when it turns them off', async () => {
    const prefix = `{rec-sched-${process.pid}}`;
    const configWith = (on: boolean) =>
      loadConfig({
        env: {},
        file: {
          logLevel: 'silent',
          redis: redis.redisConfig,
          registries: [{ host: reg.host, insecure: true }],
          queue: { prefix },
          reconcile: { enabled: on, intervalSeconds: 600 },
          retention: { historyEntries: on ? 5 : 0, intervalSeconds: 900 },
        },
      });
    const client = redis.connect('blocking');
    const queue = new Queue(WALK_QUEUE, { connection: client, prefix });
    try {
      const schedulers = async () =>
        Object.fromEntries((await queue.getJobSchedulers()).map((s) => [s.key, s.every ?? null] as const));
      for (const on of [true, false]) {
        const config = configWith(on);
        const w = await startWalkWorker({
          config,
          registries: createRegistryAccess(config),
          logger: pino({ level: 'silent' }),
        });
        await w.close(1000);
        assert.deepEqual(
          await schedulers(),
          on ? { [RECONCILE_SCHEDULER]: 600_000, [RETENTION_SCHEDULER]: 900_000 } : {},
        );
      }
    } finally {
      await queue.close();
      await closeRedis(client);
    }
  });
});
