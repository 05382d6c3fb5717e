/**
 * The long-running modes of `guix-recipes`: `serve` (API), `worker` (scanner workers), `start`
 * (both, plus a redis-server of its own when no Redis is configured). Runs until SIGTERM / SIGINT,
 * then closes gracefully: stop HTTP intake, let running scans finish (or abort them after the
 * grace period: they go back to the queue), stop Redis if we started it. Before anything starts,
 * the store's schema is checked (an older store migrated, a newer one refused: store-schema.ts).
 */
import { isAbsolute, resolve } from 'node:path';
import closeWithGrace from 'close-with-grace';
import { pino } from 'pino';
import type { CliIO } from './cli-io.js';
import { assertSafeListen, loadConfig } from '../../shared/config/load-config.js';
import { createRegistryAccess } from '../../shared/config/registry-access.js';
import { startEmbeddedRedis, type EmbeddedRedis } from '../../shared/store/embedded-redis.js';
import { scanImage } from '../../shared/scan/scan-image.js';
import { startScannerWorker, type ScannerWorker } from '../../workers/scanner/scanner-worker.js';
import { startWalkWorker, type WalkWorker } from '../../workers/walks/walk-worker.js';
import { prepareStore } from './store-access.js';
import { basePinoOptions } from '../api/logger.js';
import { startServer, type StartedServer } from '../api/server.js';

export interface RunServiceOptions {
  api: boolean;
  workers: boolean;
  /** Start a redis-server when none is configured (`start`). */
  embeddedRedis: boolean;
}

export async function runService(opts: RunServiceOptions, io: CliIO): Promise<number> {
  const env = { ...io.env };
  if (env.GUIX_RECIPES_CONFIG && !isAbsolute(env.GUIX_RECIPES_CONFIG))
    env.GUIX_RECIPES_CONFIG = resolve(io.cwd, env.GUIX_RECIPES_CONFIG);
  const config = loadConfig({ env });
  if (opts.api) assertSafeListen(config);

  let embedded: EmbeddedRedis | undefined;
  const haveRedis =
    config.redis.url !== undefined ||
    config.redis.cluster !== undefined ||
    config.redis.sentinel !== undefined;
  if (!haveRedis && opts.embeddedRedis) {
    embedded = await startEmbeddedRedis({
      dir: config.redis.embeddedDir,
      cwd: io.cwd,
      ...(io.signal ? { signal: io.signal } : {}),
    });
    config.redis.url = embedded.url;
    io.stderr.write(
      `guix-recipes: no REDIS_URL: ${embedded.reused ? 'using the redis-server already running' : 'started redis-server'} with its data in ${embedded.dir} (AOF on)\n`,
    );
  }

  const logger = pino(basePinoOptions(config));
  try {
    await prepareStore(config, { ...(io.signal ? { signal: io.signal } : {}), log: (m) => logger.info(m) });
  } catch (err) {
    await embedded?.stop();
    throw err;
  }
  const registries = createRegistryAccess(config);
  let server: StartedServer | undefined;
  let worker: ScannerWorker | undefined;
  let walks: WalkWorker | undefined;
  try {
    if (opts.workers) {
      worker = await startScannerWorker({ config, registries, scan: scanImage, logger });
      walks = await startWalkWorker({ config, registries, logger });
    }
    if (opts.api) {
      server = await startServer({ config, registries });
      io.stderr.write(`guix-recipes: listening on ${server.url}\n`);
    }
  } catch (err) {
    await walks?.close(0).catch(() => {});
    await worker?.close(0).catch(() => {});
    await server?.close().catch(() => {});
    await embedded?.stop();
    throw err;
  }

  const grace = config.http.shutdownGraceMs;
  await new Promise<void>(() => {
    closeWithGrace(
      { delay: grace + 10000, logger: { error: (m: unknown) => logger.error(m) } },
      async ({ signal, err }) => {
        if (err) logger.error({ err }, 'fatal error: shutting down');
        else logger.info({ signal }, 'shutting down');
        await server?.close().catch((e: unknown) => logger.warn({ err: e }, 'closing the API'));
        await walks?.close(grace).catch((e: unknown) => logger.warn({ err: e }, 'closing the walk workers'));
        await worker?.close(grace).catch((e: unknown) => logger.warn({ err: e }, 'closing the workers'));
        if (!worker) await registries.close().catch(() => {});
        await embedded?.stop();
      },
    );
  });
  return 0;
}
