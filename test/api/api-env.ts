/**
 * The query API tests' world: a real redis-server and docker-registry (test/harness), the API built
 * as the service builds it (buildApp; requests by inject), and a real scanner worker
 * (startScannerWorker + scanImage). Images are pushed with skopeo and scanned through
 * POST /v1/scans with a tag, so the tag index is filled the way users fill it.
 */
import { rm } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Config } from '../../shared/config/config-schema.js';
import { loadConfig } from '../../shared/config/load-config.js';
import type { Digest } from '../../shared/content/digest.js';
import type { ScannerWorker } from '../../workers/scanner/scanner-worker.js';
import { startInProcessService } from '../harness/service.js';
import { startRedis, type RedisHarness } from '../harness/redis.js';
import { startRegistry, type RunningRegistry } from '../harness/registry.js';
import { pushFixture, tempDir, type PushedImage } from '../harness/skopeo.js';

export const TOKENS = {
  read: 'read-token-0123456789',
  scan: 'scan-token-0123456789',
  admin: 'admin-token-0123456789',
  all: 'all-token-0123456789',
};

export interface ApiEnv {
  reg: RunningRegistry;
  redis: RedisHarness;
  config: Config;
  app: FastifyInstance;
  worker: ScannerWorker | undefined;
  /** Push a fixture to `reg.host/<repository>:<tag>` (OCI, gzip). */
  push(fixture: string, repository: string, tag: string): Promise<PushedImage>;
  /** POST /v1/scans for `image` (with the `all` token) and wait until the scan is done or failed. */
  scan(image: string, want?: 'done' | 'failed'): Promise<{ id: string; digest: Digest }>;
  /** GET with the admin-scoped token. */
  get(url: string, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  stop(): Promise<void>;
}

export interface ApiEnvOptions {
  /** Extra configuration merged over the defaults. */
  file?: (reg: RunningRegistry) => Record<string, unknown>;
  logStream?: Writable;
  worker?: boolean;
}

export async function startApiEnv(opts: ApiEnvOptions = {}): Promise<ApiEnv> {
  const redis = await startRedis();
  const reg = await startRegistry();
  const workDir = await tempDir('guix-recipes-api-');
  const base: Record<string, unknown> = {
    logLevel: opts.logStream ? 'trace' : 'silent',
    redis: redis.redisConfig,
    registries: [{ host: reg.host, insecure: true }],
    apiTokens: [
      { token: TOKENS.read, scopes: ['read'] },
      { token: TOKENS.scan, scopes: ['scan'] },
      { token: TOKENS.admin, scopes: ['admin'] },
      { token: TOKENS.all, scopes: ['read', 'scan', 'admin'] },
    ],
    queue: {
      prefix: `{api-${process.pid}-${Math.random().toString(36).slice(2, 8)}}`,
      attempts: 1,
      backoffMs: 100,
    },
    worker: { concurrency: 2, lockDurationMs: 5000, stalledIntervalMs: 5000 },
    rateLimit: { burst: 10_000, perSecond: 1000 },
  };
  const extra: Record<string, unknown> = opts.file ? opts.file(reg) : {};
  const config = loadConfig({ env: {}, file: { ...base, ...extra } });
  const { app, worker } = await startInProcessService(config, {
    ...(opts.worker === false && { worker: false }),
    ...(opts.logStream && { logStream: opts.logStream }),
  });
  const auth = { authorization: `Bearer ${TOKENS.all}` };
  return {
    reg,
    redis,
    config,
    app,
    worker,
    push: (fixture, repository, tag) =>
      pushFixture(fixture, `${reg.host}/${repository}:${tag}`, 'oci', workDir),
    async scan(image, want = 'done') {
      const res = await app.inject({ method: 'POST', url: '/v1/scans', headers: auth, payload: { image } });
      if (res.statusCode !== 202) throw new Error(`POST /v1/scans ${image}: ${res.statusCode} ${res.body}`);
      const { id, digest } = res.json<{ id: string; digest: Digest }>();
      const until = Date.now() + 60_000;
      for (;;) {
        const rec = await app.store.getImageById(id);
        if (rec?.state === want) return { id, digest };
        if (rec?.state === 'done' || rec?.state === 'failed')
          throw new Error(`scan of ${image} ended ${rec.state}: ${JSON.stringify(rec.error)}`);
        if (Date.now() > until) throw new Error(`scan of ${image} still ${rec?.state ?? 'unknown'}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    get: (url, headers = {}) => app.inject({ method: 'GET', url, headers: { ...auth, ...headers } }),
    async stop() {
      await worker?.close(1000).catch(() => {});
      await app.close().catch(() => {});
      await reg.stop();
      await redis.stop();
      await rm(workDir, { recursive: true, force: true });
    },
  };
}
