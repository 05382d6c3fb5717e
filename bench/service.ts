/**
 * The service as shipped, measured from outside: `guix-recipes serve` (the API) and `guix-recipes
 * worker` processes (compiled, default configuration: concurrency 2 per worker, `info` logs) on a real
 * `redis-server` and a real `docker-registry` on loopback; scans submitted with `POST /v1/scans`, done
 * when `GET /v1/scans/{id}` says so (the registry's notification delay is left out: nothing waits
 * for the registry to tell).
 *
 * - `worker vs floor` (called by end-to-end.ts with its big image): submit to stored, against the
 *   floor of the same blob, medians; the layer cache entry is dropped before each run. Target 1.1x.
 * - `concurrency`: `--service-images` small images (distinct layers) at once on one worker process
 *   and on two, against one scan alone: aggregate images/s over a single scan's. Target >= 1.6x.
 * - `layer cache`: an image whose one layer a scanned image already has (another config): stored
 *   with no layer byte read (the registry's log shows no GET of the layer), in under 50 ms.
 * - `scale`: the same images by 1, 2 and 4 worker processes on one Redis: throughput, per process.
 * - `API` (autocannon, 50 connections, 5 s, one API process): `GET /v1/recipes/{digest}`,
 *   `/channels.scm` and the distribution webhook ingest against `/healthz` on the same server in the
 *   same run. Targets: >= 0.7x /healthz with p99 < 10 ms; the webhook >= 0.5x. The per-client rate
 *   limit is raised for these lines (the shipped one refuses 50 connections from one address by
 *   design), and only for them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { request } from 'undici';
import { sha256Digest, type Digest } from '../shared/content/digest.js';
import { StoreKeys } from '../shared/store/store-keys.js';
import { closeRedis, waitReady } from '../shared/store/redis-connection.js';
import { startRedis, type RedisHarness } from '../test/harness/redis.js';
import { startRegistry, type RunningRegistry } from '../test/harness/registry.js';
import { skopeo } from '../test/harness/skopeo.js';
import { BenchLayout, type GrownImage } from './generate-image.js';
import { check, type BenchContext } from './measure.js';
import { buildDist, CLI, median, spread, startServe, stopProcess } from './processes.js';

const PREFIX = 'guix-recipes';
/** Where end-to-end.ts pushes its images. */
const BIG_REPO = 'bench/big';
const WEBHOOK_SECRET = 'bench-webhook-secret-0123456789';

export const CONCURRENCY_TARGET = 1.6;
export const CACHE_TARGET_MS = 50;
export const API_TARGET = 0.7;
export const API_P99_MS = 10;
export const WEBHOOK_TARGET = 0.5;

/** API and worker processes on one Redis, for one registry. */
class Service {
  readonly children: ChildProcess[] = [];
  url = '';
  #dir = '';

  constructor(
    private readonly redis: RedisHarness,
    private readonly registry: RunningRegistry,
  ) {}

  #env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return {
      ...process.env,
      REDIS_URL: this.redis.url!,
      GUIX_RECIPES_CONFIG: join(this.#dir, 'config.json'),
      ...extra,
    };
  }

  async start(): Promise<void> {
    this.#dir = await mkdtemp(join(this.registry.dir, 'service-'));
    await writeFile(
      join(this.#dir, 'config.json'),
      JSON.stringify({
        registries: [{ host: this.registry.host, insecure: true }],
        webhooks: { secret: WEBHOOK_SECRET },
        rateLimit: { burst: 1_000_000_000, perSecond: 1_000_000_000 },
      }),
    );
    const { url, child } = await startServe(this.#env({ PORT: '0' }));
    this.children.push(child);
    this.url = url;
  }

  /** Start `n` more worker processes. */
  addWorkers(n: number): void {
    for (let i = 0; i < n; i++)
      this.children.push(
        spawn(CLI, ['worker'], {
          env: this.#env({ GUIX_RECIPES_LOG_LEVEL: 'warn' }),
          stdio: ['ignore', 'ignore', 'inherit'],
        }),
      );
  }

  /** Stop the worker processes (SIGTERM, as a supervisor does). */
  async stopWorkers(): Promise<void> {
    const workers = this.children.splice(1);
    await Promise.all(workers.map(stopProcess));
  }

  async stop(): Promise<void> {
    await Promise.all(this.children.splice(0).map(stopProcess));
    if (this.#dir) await rm(this.#dir, { recursive: true, force: true });
  }

  /** Submit `image` (host/repo:tag); resolves with the scan id. */
  async submit(image: string, force: boolean): Promise<string> {
    const res = await request(`${this.url}/v1/scans`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ image, ...(force && { force: true }) }),
    });
    const body = (await res.body.json()) as { id?: string; detail?: string };
    check(
      res.statusCode === 202 && body.id !== undefined,
      `POST /v1/scans ${image}: ${res.statusCode} ${JSON.stringify(body)}`,
    );
    return body.id;
  }

  /** Wait until every scan of `ids` is done (polling every `pollMs`). */
  async waitDone(ids: string[], signal: AbortSignal, pollMs = 10): Promise<void> {
    const left = new Set(ids);
    while (left.size > 0) {
      signal.throwIfAborted();
      for (const id of [...left]) {
        const res = await request(`${this.url}/v1/scans/${id}`);
        const s = (await res.body.json()) as { state?: string; error?: unknown };
        check(s.state !== 'failed', `scan ${id} failed: ${JSON.stringify(s.error)}`);
        if (s.state === 'done') left.delete(id);
      }
      if (left.size > 0) await new Promise((r) => setTimeout(r, pollMs));
    }
  }
}

/** Drop the cached summaries of these layers, so the next scan reads them again. */
async function dropLayerCache(redis: RedisHarness, digests: string[]): Promise<void> {
  const client = redis.connect('request');
  client.on('error', () => {});
  try {
    await waitReady(client, { timeoutMs: 10_000 });
    const keys = new StoreKeys(PREFIX);
    if (digests.length > 0) await client.del(...digests.map((d) => keys.layer(d as Digest)));
  } finally {
    await closeRedis(client);
  }
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

/**
 * Worker vs floor: each of `images` (pushed to `registry` as bench/big:<ref>) submitted, scanned by
 * one worker process and stored, against its `floor` (the floor's timing of the same blob), runs
 * interleaved; one service for all of them.
 */
export async function benchWorkerVsFloor(
  ctx: BenchContext,
  registry: RunningRegistry,
  images: { image: GrownImage; floor: () => Promise<number> }[],
  target: number,
): Promise<void> {
  const redis = await startRedis();
  const service = new Service(redis, registry);
  try {
    await service.start();
    service.addWorkers(1);
    for (const { image, floor } of images) {
      const ref = `${registry.host}/${BIG_REPO}:${image.ref}`;
      const once = async () => {
        await dropLayerCache(redis, [image.layer.digest]);
        return timed(async () => service.waitDone([await service.submit(ref, true)], ctx.signal));
      };
      ctx.log(`service: worker vs floor, ${image.compression}: ${ctx.runs} interleaved runs`);
      await once(); // warm-up: the worker's first job, connections
      const ours: number[] = [];
      const base: number[] = [];
      for (let i = 0; i < ctx.runs; i++) {
        base.push(await floor());
        ours.push(await once());
      }
      ctx.report({
        name: `worker vs floor, ${image.compression} ${(image.tarBytes / 2 ** 20).toFixed(0)} MiB`,
        value: `POST /v1/scans to done ${spread(ours)}`,
        baseline: `floor ${spread(base)}`,
        ratio: median(ours) / median(base),
        target: { max: target, text: `<= ${target}x the floor's time` },
        note: 'one warm worker process (the floor pays its process start); the registry notification delay left out',
      });
    }
  } finally {
    await service.stop();
    await redis.stop();
  }
}

interface Load {
  rps: number;
  p99: number;
  non2xx: number;
  requests: number;
}

function cannon(opts: autocannon.Options): Promise<Load> {
  return new Promise((resolve, reject) => {
    autocannon(opts, (err, r) => {
      if (err) return reject(err instanceof Error ? err : new Error(String(err)));
      resolve({ rps: r.requests.average, p99: r.latency.p99, non2xx: r.non2xx, requests: r.requests.total });
    });
  });
}

/** An image with the same layer as `image` and another config (so another manifest digest). */
async function sameLayerImage(registry: RunningRegistry, image: GrownImage): Promise<string> {
  const base = `${registry.url}/v2/bench/small`;
  const manifestRes = await request(`${base}/manifests/${image.ref}`, {
    headers: {
      accept: image.layer.mediaType.includes('oci') ? 'application/vnd.oci.image.manifest.v1+json' : '*/*',
    },
  });
  const manifest = (await manifestRes.body.json()) as {
    config: { digest: string; size: number; mediaType: string };
    mediaType: string;
  };
  const configRes = await request(`${base}/blobs/${manifest.config.digest}`);
  const config = JSON.parse(await configRes.body.text()) as Record<string, unknown>;
  const bytes = Buffer.from(JSON.stringify({ ...config, created: '2001-01-01T00:00:00Z' }));
  const digest = sha256Digest(bytes);
  const start = await request(`${base}/blobs/uploads/`, { method: 'POST' });
  await start.body.dump();
  const location = new URL(String(start.headers.location), registry.url);
  location.searchParams.set('digest', digest);
  const put = await request(location, {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream' },
    body: bytes,
  });
  await put.body.dump();
  check(put.statusCode === 201, `config upload: HTTP ${put.statusCode}`);
  const tag = `${image.ref}-same-layer`;
  const m = await request(`${base}/manifests/${tag}`, {
    method: 'PUT',
    headers: { 'content-type': manifest.mediaType },
    body: JSON.stringify({ ...manifest, config: { ...manifest.config, digest, size: bytes.length } }),
  });
  await m.body.dump();
  check(m.statusCode === 201, `manifest upload: HTTP ${m.statusCode}`);
  return `${registry.host}/bench/small:${tag}`;
}

export async function benchService(ctx: BenchContext): Promise<void> {
  const { signal } = ctx;
  buildDist(ctx);
  const registry = await startRegistry();
  const redis = await startRedis();
  const layout = await BenchLayout.create(ctx.tmp, ctx.fixture);
  const service = new Service(redis, registry);
  try {
    const n = ctx.serviceImages;
    ctx.log(`service: generating and pushing ${n} images of ${ctx.serviceMib} MiB`);
    const images: GrownImage[] = [];
    for (let i = 0; i < n; i++) {
      const [img] = await layout.grow({
        mib: ctx.serviceMib,
        position: 'end',
        compressions: ['gzip'],
        compressible: ctx.compressible,
        itemMib: Math.min(16, ctx.serviceMib),
        signal,
        seed: 100 + i,
        name: `img${i}`,
      });
      await skopeo(
        [
          'copy',
          '--preserve-digests',
          '--dest-tls-verify=false',
          `oci:${layout.dir}:${img!.ref}`,
          `docker://${registry.host}/bench/small:${img!.ref}`,
        ],
        { timeoutMs: 10 * 60_000 },
      );
      images.push(img!);
    }
    const ref = (i: GrownImage) => `${registry.host}/bench/small:${i.ref}`;
    await service.start();

    /** Scan `batch` (all submitted at once, forced, layer cache dropped); seconds to all done. */
    const batch = async (list: GrownImage[]) => {
      await dropLayerCache(
        redis,
        list.map((i) => i.layer.digest),
      );
      return timed(async () => {
        const ids = await Promise.all(list.map((i) => service.submit(ref(i), true)));
        await service.waitDone(ids, signal, 20);
      });
    };

    // Concurrency: one scan alone, then 8 at once, on one worker process and on two.
    const eight = images.slice(0, Math.min(8, n));
    for (const workers of [1, 2]) {
      service.addWorkers(workers);
      await batch(images.slice(0, 1)); // warm-up
      const single: number[] = [];
      const many: number[] = [];
      for (let r = 0; r < ctx.runs; r++) {
        single.push(await batch(images.slice(r % n, (r % n) + 1)));
        many.push(await batch(eight));
      }
      const singleRate = 1 / median(single);
      const manyRate = eight.length / median(many);
      ctx.report({
        name: `concurrency: ${eight.length} images, ${workers} worker process${workers > 1 ? 'es' : ''}`,
        value: `${manyRate.toFixed(2)} images/s (${spread(many)} for ${eight.length})`,
        baseline: `one scan alone ${singleRate.toFixed(2)} images/s (${spread(single)})`,
        ratio: manyRate / singleRate,
        target: { min: CONCURRENCY_TARGET, text: `>= ${CONCURRENCY_TARGET}x a single scan's throughput` },
        note: `concurrency 2 per process; ${ctx.serviceMib} MiB images`,
      });
      await service.stopWorkers();
    }

    // Layer cache: a second image with every layer of a scanned one.
    service.addWorkers(1);
    const first = images[0]!;
    await dropLayerCache(redis, [first.layer.digest]);
    await service.waitDone([await service.submit(ref(first), true)], signal);
    const second = await sameLayerImage(registry, first);
    const layerGets = () =>
      registry
        .logs()
        .split('\n')
        .filter((l) => l.includes(`/blobs/${first.layer.digest}`) && /GET/.test(l)).length;
    const before = layerGets();
    const cached = await timed(async () => service.waitDone([await service.submit(second, true)], signal, 2));
    const read = layerGets() - before;
    const beforeFresh = layerGets();
    const fresh = await batch([first]);
    // The count means something only if the registry's log shows the layer GET of a fresh scan.
    check(layerGets() > beforeFresh, 'the registry log shows no layer GET for a fresh scan');
    ctx.report({
      name: 'layer cache: every layer already scanned',
      value: `stored in ${(cached * 1000).toFixed(0)} ms, ${read} layer GETs`,
      baseline: `the same layer scanned ${(fresh * 1000).toFixed(0)} ms`,
      ratio: cached / fresh,
      absolute: {
        ok: cached * 1000 < CACHE_TARGET_MS && read === 0,
        text: `< ${CACHE_TARGET_MS} ms, no layer read`,
      },
      note: 'POST /v1/scans to done, one worker process',
    });
    await service.stopWorkers();

    // Scale: the same images by 1, 2 and 4 worker processes.
    const rates = new Map<number, number>();
    for (const workers of [1, 2, 4]) {
      service.addWorkers(workers);
      await batch(images.slice(0, 1)); // warm-up: every process connected
      await new Promise((r) => setTimeout(r, 1000));
      const t = await batch(images);
      rates.set(workers, n / t);
      await service.stopWorkers();
      ctx.report({
        name: `scale: ${n} images, ${workers} worker process${workers > 1 ? 'es' : ''}`,
        value: `${(n / t).toFixed(2)} images/s (${t.toFixed(1)} s), ${(n / t / workers).toFixed(2)} per process`,
        baseline: `1 process ${rates.get(1)!.toFixed(2)} images/s`,
        ratio: n / t / rates.get(1)!,
        note: `${ctx.serviceMib} MiB images; ${workers * 2} scans at once on 2 cores`,
      });
    }

    // API: stored recipes read back, and webhook ingest, against /healthz.
    const digest = await (async () => {
      const res = await request(`${service.url}/v1/scans/${await service.submit(ref(first), false)}`);
      return ((await res.body.json()) as { digest: string }).digest;
    })();
    const load = { connections: 50, duration: 5 };
    await cannon({ url: `${service.url}/healthz`, connections: 50, duration: 2 }); // warm-up
    const health = await cannon({ url: `${service.url}/healthz`, ...load });
    const routes = [
      { name: `GET /v1/recipes/{digest}`, path: `/v1/recipes/${digest}` },
      { name: `GET /v1/recipes/{digest}/channels.scm`, path: `/v1/recipes/${digest}/channels.scm` },
    ];
    for (const r of routes) {
      ctx.log(`service: autocannon ${r.name}`);
      await cannon({ url: `${service.url}${r.path}`, connections: 10, amount: 500 });
      const l = await cannon({ url: `${service.url}${r.path}`, ...load });
      ctx.report({
        name: `API ${r.name}`,
        value: `${l.rps.toFixed(0)} req/s, p99 ${l.p99} ms (${l.non2xx} not 2xx)`,
        baseline: `/healthz ${health.rps.toFixed(0)} req/s, p99 ${health.p99} ms`,
        ratio: l.rps / health.rps,
        target: { min: API_TARGET, text: `>= ${API_TARGET}x /healthz` },
        absolute: { ok: l.p99 < API_P99_MS && l.non2xx === 0, text: `p99 < ${API_P99_MS} ms, all 200` },
        note: '50 connections, rate limit raised',
      });
    }
    ctx.log('service: autocannon webhook ingest');
    const [owner, repo] = ['bench', 'small'];
    const event = () =>
      JSON.stringify({
        events: [
          {
            id: randomUUID(),
            action: 'push',
            target: {
              mediaType: 'application/vnd.oci.image.manifest.v1+json',
              digest,
              repository: `${owner}/${repo}`,
              tag: first.ref,
            },
            request: { host: registry.host },
          },
        ],
      });
    const hook = {
      url: `${service.url}/v1/webhooks/distribution`,
      method: 'POST' as const,
      headers: {
        authorization: `Bearer ${WEBHOOK_SECRET}`,
        'content-type': 'application/vnd.docker.distribution.events.v1+json',
      },
      requests: [{ setupRequest: (req: autocannon.Request) => ({ ...req, body: event() }) }],
    };
    await cannon({ ...hook, connections: 10, amount: 500 });
    const w = await cannon({ ...hook, ...load });
    ctx.report({
      name: 'API POST /v1/webhooks/distribution',
      value: `${w.rps.toFixed(0)} req/s, p99 ${w.p99} ms (${w.non2xx} not 2xx)`,
      baseline: `/healthz ${health.rps.toFixed(0)} req/s`,
      ratio: w.rps / health.rps,
      target: { min: WEBHOOK_TARGET, text: `>= ${WEBHOOK_TARGET}x /healthz` },
      absolute: { ok: w.non2xx === 0, text: 'all 2xx' },
      note: 'one push event per delivery (a stored image: acknowledged, not scanned again)',
    });
  } finally {
    await service.stop();
    await redis.stop();
    await registry.stop();
    if (ctx.keep) ctx.log(`service: kept the images in ${layout.root}`);
    else await layout.remove();
  }
}
