/**
 * The webhook tests' world: a real redis-server and a real docker-registry (the shared harnesses),
 * the API built as the service builds it (buildApp, requests by inject), a real scanner worker
 * (startScannerWorker + scanImage), and a "trap": a plain HTTP server on loopback that counts every
 * request it gets, named by events as their host to show that nothing unconfigured is ever fetched.
 */
import { once } from 'node:events';
import { readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../../shared/config/config-schema.js';
import { loadConfig } from '../../shared/config/load-config.js';
import type { Digest } from '../../shared/content/digest.js';
import type { ScannerWorker } from '../../workers/scanner/scanner-worker.js';
import { startInProcessService } from '../harness/service.js';
import { startRedis, type RedisHarness } from '../harness/redis.js';
import { startRegistry, type RunningRegistry } from '../harness/registry.js';
import { FIXTURES_DIR, pushFixture, tempDir, type PushedImage } from '../harness/skopeo.js';

export const GLOBAL_SECRET = 'global-webhook-secret-0123456789';

export interface Trap {
  /** `127.0.0.1:PORT`: a host no configuration names. */
  host: string;
  hits(): number;
  close(): Promise<void>;
}

export async function startTrap(): Promise<Trap> {
  let hits = 0;
  const server: Server = createServer((req, res) => {
    hits++;
    res.writeHead(500).end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  return {
    host: `127.0.0.1:${port}`,
    hits: () => hits,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

export interface WebhookEnv {
  reg: RunningRegistry;
  redis: RedisHarness;
  trap: Trap;
  config: Config;
  app: FastifyInstance;
  worker: ScannerWorker;
  /** Push a fixture (folder name) to `reg.host/<repository>:<tag>` (OCI, gzip). */
  push(fixture: string, repository: string, tag: string): Promise<PushedImage>;
  /** Wait until the image's scan is done (or fail after `ms`). */
  waitDone(repository: string, digest: Digest, ms?: number): Promise<void>;
  /** Wait until the queue has nothing waiting, delayed or running. */
  waitIdle(ms?: number): Promise<void>;
  /** Completed scans recorded for the image (0 when none). */
  scans(repository: string, digest: Digest): Promise<number>;
  /** The stored recipe must serve the fixture's expected outputs byte for byte. */
  recipeMatches(fixture: string, digest: Digest): Promise<void>;
  stop(): Promise<void>;
}

export interface WebhookEnvOptions {
  /** Extra configuration file content merged over the defaults below (registries replaced if given). */
  file?: (reg: RunningRegistry) => Record<string, unknown>;
  /** Where the API logs go (default: silent). */
  logStream?: Writable;
  /** Start the scanner worker (default true). */
  worker?: boolean;
  /** Environment for loadConfig (default none: the file's `webhooks.secret` is GLOBAL_SECRET). */
  env?: Record<string, string>;
}

export async function startWebhookEnv(opts: WebhookEnvOptions = {}): Promise<WebhookEnv> {
  const redis = await startRedis();
  const reg = await startRegistry();
  const trap = await startTrap();
  const workDir = await tempDir('guix-recipes-webhooks-');
  const base: Record<string, unknown> = {
    logLevel: opts.logStream ? 'trace' : 'silent',
    redis: redis.redisConfig,
    registries: [{ host: reg.host, insecure: true }],
    webhooks: { secret: GLOBAL_SECRET },
    queue: {
      prefix: `{wh-${process.pid}-${Math.random().toString(36).slice(2, 8)}}`,
      attempts: 2,
      backoffMs: 100,
    },
    worker: { concurrency: 2, lockDurationMs: 5000, stalledIntervalMs: 5000 },
  };
  const config = loadConfig({ env: opts.env ?? {}, file: { ...base, ...(opts.file?.(reg) ?? {}) } });
  const { app, worker } = await startInProcessService(config, {
    ...(opts.worker === false && { worker: false }),
    ...(opts.logStream && { logStream: opts.logStream }),
  });

  const img = (repository: string, digest: Digest) => ({ registry: reg.host, repository, digest });
  const env: WebhookEnv = {
    reg,
    redis,
    trap,
    config,
    app,
    worker: worker as ScannerWorker,
    push: (fixture, repository, tag) =>
      pushFixture(fixture, `${reg.host}/${repository}:${tag}`, 'oci', workDir),
    async waitDone(repository, digest, ms = 60_000) {
      const until = Date.now() + ms;
      for (;;) {
        const rec = await app.store.getImage(img(repository, digest));
        if (rec?.state === 'done') return;
        if (rec?.state === 'failed')
          throw new Error(`scan of ${repository}@${digest} failed: ${JSON.stringify(rec.error)}`);
        if (Date.now() > until)
          throw new Error(`scan of ${repository}@${digest} not done (state ${rec?.state ?? 'none'})`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async waitIdle(ms = 60_000) {
      const until = Date.now() + ms;
      for (;;) {
        const c = await app.scanQueue.getJobCounts(
          'waiting',
          'active',
          'delayed',
          'prioritized',
          'waiting-children',
        );
        if (Object.values(c).every((n) => n === 0)) return;
        if (Date.now() > until) throw new Error(`queue not idle: ${JSON.stringify(c)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async scans(repository, digest) {
      return (await app.store.getImage(img(repository, digest)))?.scans ?? 0;
    },
    async recipeMatches(fixture, digest) {
      const dir = join(FIXTURES_DIR, fixture);
      const expect: [string, string][] = [
        [`/v1/recipes/${digest}/channels.scm`, 'export-channels.scm'],
        [`/v1/recipes/${digest}/manifest.scm?style=pinned`, 'manifest-pinned.scm'],
        [`/v1/recipes/${digest}/manifest.scm?style=guix`, 'export-manifest.scm'],
      ];
      for (const [url, file] of expect) {
        const res = await app.inject({ method: 'GET', url });
        if (res.statusCode !== 200) throw new Error(`GET ${url}: ${res.statusCode} ${res.body}`);
        const want = await readFile(join(dir, file));
        if (!res.rawPayload.equals(want))
          throw new Error(
            `GET ${url} differs from ${fixture}/${file}:\n${res.body}\n--- want ---\n${want.toString()}`,
          );
      }
    },
    async stop() {
      await worker?.close(1000).catch(() => {});
      await app.close().catch(() => {});
      await trap.close();
      await reg.stop();
      await redis.stop();
      await rm(workDir, { recursive: true, force: true });
    },
  };
  return env;
}

/** POST a webhook body (an object is JSON-encoded; a Buffer is sent as is). */
export function post(
  app: FastifyInstance,
  sender: string,
  body: unknown,
  opts: { query?: Record<string, string>; headers?: Record<string, string>; contentType?: string } = {},
) {
  const qs = new URLSearchParams(opts.query ?? {}).toString();
  const payload = Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
  return app.inject({
    method: 'POST',
    url: `/v1/webhooks/${sender}${qs ? `?${qs}` : ''}`,
    headers: { 'content-type': opts.contentType ?? 'application/json', ...(opts.headers ?? {}) },
    payload,
  });
}
