/**
 * Verdict and admission latency with the shipped configuration: `guix-recipes serve` as a child
 * process (its own event loop; the load generator runs here), configuration defaults as shipped (rate
 * limits, logging at info) plus the one registry the stored image lives in, a real redis-server, one
 * recipe stored (the seed-python-numpy fixture's) and the default policy.
 *
 * Lines:
 * - `POST /v1/verdicts at 1000/s` and `POST /v1/admission at 1000/s`: p50 and p99 latency at a fixed
 *   1,000 requests per second, evenly spaced, open loop (loadtest; see `paced`), against `/healthz`
 *   at the same rate on the same server in the same run. loadtest times requests in whole
 *   milliseconds (rounded down), so "p99 4 ms" means under 5 ms. Target: p99 < 5 ms, every answer a
 *   200 (a 429 from the rate limit is a FAIL: the shipped limit then stops the traffic, and the
 *   latency of refusals means nothing).
 * - `... throughput`: requests per second with no rate set (autocannon, 10 connections, closed
 *   loop), as a ratio to `/healthz` (informational).
 *   Measured with the rate limit raised (the shipped one would answer most of them with 429s), and
 *   marked so. When the shipped rate limit refuses requests at 1,000/s, the latency lines are
 *   measured again with it raised, marked "(raised)", so the cost of a verdict is still known.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import * as loadtest from 'loadtest';
import { sha256Digest, type Digest } from '../shared/content/digest.js';
import { buildRecipe } from '../shared/guix/build-recipe.js';
import { profileRebuild } from '../shared/scan/profile-rebuild.js';
import { RecipeStore } from '../shared/store/recipe-store.js';
import { closeRedis, waitReady } from '../shared/store/redis-connection.js';
import { startRedis } from '../test/harness/redis.js';
import type { BenchContext } from './measure.js';
import { buildDist, startServe, stopProcess } from './processes.js';

const REGISTRY = 'bench.registry.invalid:5000';
const RATE = 1000;
const P99_TARGET_MS = 5;

interface Load {
  p50: number;
  p99: number;
  requests: number;
  non2xx: number;
  rps: number;
}

/**
 * `rate` requests per second for `seconds`, evenly spaced and sent whether or not earlier ones have
 * been answered (an open loop: loadtest's `requestsPerSecond`), each latency from its own send to its
 * answer, percentiles over every request. autocannon's `overallRate` is not that: it lets each
 * connection send its whole per-second budget back to back at the start of each second, then
 * waits, so 1,000 requests/s is measured as bursts of ten in flight, and it adds samples for
 * coordinated omission as if requests were due every millisecond per connection.
 */
function paced(opts: {
  url: string;
  rate: number;
  seconds: number;
  method?: 'POST';
  body?: string;
}): Promise<Load> {
  const latencies: number[] = [];
  let non2xx = 0;
  return new Promise((resolve, reject) => {
    loadtest.loadTest(
      {
        url: opts.url,
        requestsPerSecond: opts.rate,
        maxSeconds: opts.seconds,
        agentKeepAlive: true,
        quiet: true,
        ...(opts.method ? { method: opts.method, body: opts.body, contentType: 'application/json' } : {}),
        statusCallback: (
          err: Error | null,
          r: { statusCode?: number; requestElapsed?: number } | undefined,
        ) => {
          if (err || !r || r.statusCode !== 200) non2xx++;
          if (r?.requestElapsed !== undefined && r.requestElapsed >= 0) latencies.push(r.requestElapsed);
        },
      },
      (err: unknown) => {
        if (err) return reject(err instanceof Error ? err : new Error('loadtest failed'));
        latencies.sort((a, b) => a - b);
        const at = (q: number) =>
          latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
        resolve({
          p50: at(0.5),
          p99: at(0.99),
          requests: latencies.length,
          non2xx,
          rps: latencies.length / opts.seconds,
        });
      },
    );
  });
}

function run(opts: autocannon.Options): Promise<Load> {
  return new Promise((resolve, reject) => {
    autocannon(opts, (err, r) => {
      if (err) return reject(err instanceof Error ? err : new Error(String(err)));
      resolve({
        p50: r.latency.p50,
        p99: r.latency.p99,
        requests: r.requests.total,
        non2xx: r.non2xx,
        rps: r.requests.average,
      });
    });
  });
}

/** loadtest's latencies are whole milliseconds, rounded down. */
function ms(n: number): string {
  return `${n.toFixed(0)} ms`;
}

export async function benchVerdicts(ctx: BenchContext): Promise<void> {
  buildDist(ctx);

  const redis = await startRedis();
  const dir = await mkdtemp(join(tmpdir(), 'guix-recipes-bench-verdicts-'));
  try {
    // One image with a stored recipe (no registry is ever called: the reference is a digest).
    const text = await readFile('test/fixtures/guix-images/seed-python-numpy/profile-manifest', 'utf8');
    const recipe = buildRecipe(text, { profile: null });
    const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, bench: true }));
    const digest: Digest = sha256Digest(bytes);
    const manifest = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, size: bytes.length };
    const client = redis.connect('request');
    client.on('error', () => {});
    await waitReady(client, { timeoutMs: 10_000 });
    await new RecipeStore(client, { prefix: 'guix-recipes' }).saveScan(
      { registry: REGISTRY, repository: 'team/app', digest },
      {
        manifest,
        results: [
          {
            kind: 'recipe',
            manifest,
            recipe,
            verified: true,
            rebuild: profileRebuild(recipe, 'docker', 'a benchmark recipe, never scanned'),
          },
        ],
        bytesRead: 0,
      },
    );
    await closeRedis(client);
    const image = `${REGISTRY}/team/app@${digest}`;
    const review = {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid: 'bench',
        kind: { group: '', version: 'v1', kind: 'Pod' },
        operation: 'CREATE',
        namespace: 'bench',
        object: { spec: { containers: [{ name: 'app', image }] } },
      },
    };
    const routes = [
      { name: 'POST /v1/verdicts', path: '/v1/verdicts', body: JSON.stringify({ image }) },
      { name: 'POST /v1/admission', path: '/v1/admission', body: JSON.stringify(review) },
    ];

    const start = async (raised: boolean, extra: object = {}) => {
      const file = join(dir, raised ? 'raised.json' : 'shipped.json');
      await writeFile(
        file,
        JSON.stringify({
          registries: [{ host: REGISTRY }],
          ...(raised ? { rateLimit: { burst: 1_000_000, perSecond: 1_000_000 } } : {}),
          ...extra,
        }),
      );
      return startServe({ REDIS_URL: redis.url!, PORT: '0', GUIX_RECIPES_CONFIG: file });
    };
    const post = (url: string, r: (typeof routes)[number]) => ({
      url: `${url}${r.path}`,
      method: 'POST' as const,
      headers: { 'content-type': 'application/json' },
      body: r.body,
    });

    /** The latency lines at 1,000/s on one server; returns the requests refused and each route's p99. */
    const latencies = async (url: string, raised: boolean): Promise<number> => {
      const note = raised ? 'rate limit raised: not the shipped configuration' : undefined;
      await run({ url: `${url}/healthz`, connections: 10, duration: 2 }); // warm-up
      const fixed = { rate: RATE, seconds: 10 };
      const health = await paced({ url: `${url}/healthz`, ...fixed });
      let refused = 0;
      for (const r of routes) {
        ctx.log(`verdicts: ${r.name} at ${RATE}/s${note ? ` (${note})` : ''}`);
        // Warm-up outside the measurement, at the same rate (JIT, caches, connections), then let
        // the rate-limit bucket refill.
        await paced({ url: `${url}${r.path}`, method: 'POST', body: r.body, rate: RATE, seconds: 3 });
        await new Promise((res) => setTimeout(res, 3000));
        const l = await paced({ url: `${url}${r.path}`, method: 'POST', body: r.body, ...fixed });
        refused += l.non2xx;
        if (!raised) shippedP99.set(r.name, l.p99);
        ctx.report({
          name: `${r.name} at ${RATE}/s${raised ? ' (raised)' : ''}`,
          value: `p50 ${ms(l.p50)}, p99 ${ms(l.p99)}, ${l.requests} requests, ${l.non2xx} not 200`,
          baseline: `/healthz p50 ${ms(health.p50)}, p99 ${ms(health.p99)}`,
          ratio: health.p99 > 0 ? l.p99 / health.p99 : 0,
          absolute: {
            ok: l.p99 < P99_TARGET_MS && l.non2xx === 0,
            text: `p99 < ${P99_TARGET_MS} ms, every answer 200`,
          },
          ...(l.non2xx > 0
            ? {
                note: `${l.non2xx} requests refused (429: the per-client rate limit)${note ? `; ${note}` : ''}`,
              }
            : note
              ? { note }
              : {}),
        });
      }
      return refused;
    };

    const shippedP99 = new Map<string, number>();
    const shipped = await start(false);
    let refused: number;
    try {
      refused = await latencies(shipped.url, false);
    } finally {
      await stopProcess(shipped.child);
    }
    // What the in-memory policy heads and facts (policies.factCacheEntries) save: the same verdicts
    // read from Redis each time (two round trips).
    const uncached = await start(false, { policies: { factCacheEntries: 0 } });
    try {
      const r = routes[0]!;
      ctx.log(`verdicts: ${r.name} at ${RATE}/s, fact cache off`);
      const run1 = { url: `${uncached.url}${r.path}`, method: 'POST' as const, body: r.body, rate: RATE };
      await paced({ ...run1, seconds: 3 });
      await new Promise((res) => setTimeout(res, 3000));
      const l = await paced({ ...run1, seconds: 10 });
      const cachedP99 = shippedP99.get(r.name) ?? 0;
      ctx.report({
        name: `${r.name} at ${RATE}/s, fact cache off`,
        value: `p50 ${ms(l.p50)}, p99 ${ms(l.p99)}, ${l.non2xx} not 200`,
        baseline: `fact cache on: p99 ${ms(cachedP99)}`,
        ratio: cachedP99 > 0 ? l.p99 / cachedP99 : 0,
        note: 'policies.factCacheEntries: 0 (informational)',
      });
    } finally {
      await stopProcess(uncached.child);
    }

    // Throughput is what one process can answer at most: measured with the rate limit raised (the
    // shipped limit would answer most of these requests with 429s), and said so.
    const raised = await start(true);
    try {
      if (refused > 0) {
        ctx.log('verdicts: the shipped rate limit refused requests; measuring again with it raised');
        await latencies(raised.url, true);
      }
      const healthMax = await run({ url: `${raised.url}/healthz`, connections: 10, duration: 5 });
      for (const r of routes) {
        ctx.log(`verdicts: ${r.name} throughput`);
        const t = await run({ ...post(raised.url, r), connections: 10, duration: 5 });
        ctx.report({
          name: `${r.name} throughput`,
          value: `${t.rps.toFixed(0)} req/s (${t.non2xx} of ${t.requests} not 200)`,
          baseline: `/healthz ${healthMax.rps.toFixed(0)} req/s`,
          ratio: healthMax.rps > 0 ? t.rps / healthMax.rps : 0,
          note: 'rate limit raised: not the shipped configuration',
        });
      }
    } finally {
      await stopProcess(raised.child);
    }
  } finally {
    await redis.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
