/**
 * Verdict and admission latency with the shipped configuration: `guix-recipes serve` as a child
 * process (its own event loop; the load generator runs here), configuration defaults as shipped (rate
 * limits, logging at info) plus the one registry the stored image lives in, a real redis-server, one
 * recipe stored (the seed-python-numpy fixture's) and the default policy.
 *
 * Lines (autocannon, open loop):
 * - `POST /v1/verdicts at 1000/s` and `POST /v1/admission at 1000/s`: p50 and p99 latency at a fixed
 *   1,000 requests per second (`overallRate`), against `/healthz` at the same rate on the same
 *   server in the same run. Target: p99 < 5 ms, every answer a 200 (a 429 from the rate limit is a
 *   FAIL: the shipped limit then stops the traffic, and the latency of refusals means nothing).
 * - `... throughput`: requests per second with no rate set, as a ratio to `/healthz` (informational).
 * When the shipped rate limit refuses requests, the same lines are measured again with the limit
 * raised, marked "(rate limit raised: not the shipped configuration)", so the cost of a verdict is
 * still known.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { sha256Digest, type Digest } from '../shared/content/digest.js';
import { buildRecipe } from '../shared/guix/build-recipe.js';
import { profileRebuild } from '../shared/scan/profile-rebuild.js';
import { RecipeStore } from '../shared/store/recipe-store.js';
import { closeRedis, waitReady } from '../shared/store/redis-connection.js';
import { startRedis } from '../test/harness/redis.js';
import type { BenchContext } from './measure.js';
import { buildDist } from './processes.js';

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

/** `guix-recipes serve` with this configuration file; resolves with its URL. */
async function serve(env: Record<string, string>): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['bin/guix-recipes', 'serve'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  let out = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (c: string) => (err += c));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${err}`)), 60_000);
    // Its log (JSON lines on standard output) says where it listens.
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (c: string) => {
      out += c;
      const m = /listening on ([^\s"]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout.removeAllListeners('data');
        child.stdout.resume(); // the rest of the log is not kept
        resolve(m[1]!);
      }
    });
    child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
  return { url, child };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

function ms(n: number): string {
  return `${n.toFixed(2)} ms`;
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

    for (const raised of [false, true]) {
      const file = join(dir, raised ? 'raised.json' : 'shipped.json');
      await writeFile(
        file,
        JSON.stringify({
          registries: [{ host: REGISTRY }],
          ...(raised ? { rateLimit: { burst: 1_000_000, perSecond: 1_000_000 } } : {}),
        }),
      );
      const { url, child } = await serve({
        REDIS_URL: redis.url!,
        PORT: '0',
        GUIX_RECIPES_CONFIG: file,
      });
      const note = raised ? ' (rate limit raised: not the shipped configuration)' : '';
      let refused = 0;
      try {
        const warm = { connections: 10, duration: 2 };
        await run({ url: `${url}/healthz`, ...warm });
        const fixed = { connections: 10, duration: 10, overallRate: RATE };
        const health = await run({ url: `${url}/healthz`, ...fixed });
        const healthMax = await run({ url: `${url}/healthz`, connections: 10, duration: 5 });
        for (const r of routes) {
          const req = {
            url: `${url}${r.path}`,
            method: 'POST' as const,
            headers: { 'content-type': 'application/json' },
            body: r.body,
          };
          ctx.log(`verdicts: ${r.name} at ${RATE}/s${note}`);
          // Warm-up outside the measurement (JIT, caches), then wait for the rate-limit bucket.
          await run({ ...req, connections: 2, amount: 50 });
          await new Promise((res) => setTimeout(res, 7000));
          const l = await run({ ...req, ...fixed });
          refused += l.non2xx;
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
              ? { note: `${l.non2xx} requests refused (429: the per-client rate limit)${note}` }
              : note
                ? { note: note.trim() }
                : {}),
          });
          await new Promise((res) => setTimeout(res, 7000));
          const t = await run({ ...req, connections: 10, duration: 5 });
          ctx.report({
            name: `${r.name} throughput${raised ? ' (raised)' : ''}`,
            value: `${t.rps.toFixed(0)} req/s (${t.non2xx} of ${t.requests} not 200)`,
            baseline: `/healthz ${healthMax.rps.toFixed(0)} req/s`,
            ratio: healthMax.rps > 0 ? t.rps / healthMax.rps : 0,
            ...(note ? { note: note.trim() } : {}),
          });
        }
      } finally {
        await stop(child);
      }
      if (!raised && refused === 0) break;
      if (!raised)
        ctx.log('verdicts: the shipped rate limit refused requests; measuring again with it raised');
    }
  } finally {
    await redis.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
