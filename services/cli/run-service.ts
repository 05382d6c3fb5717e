/**
 * The long-running modes of `guix-recipes`: `serve` (API), `worker` (scanner workers), `start`
 * (both, plus a redis-server of its own when no Redis is configured). Runs until SIGTERM / SIGINT,
 * then closes gracefully: stop HTTP intake, let running scans finish (or abort them after the
 * grace period: they go back to the queue), stop Redis if we started it. Before anything starts,
 * the store's schema is checked (an older store migrated, a newer one refused: store-schema.ts).
 */
import { isAbsolute, resolve } from 'node:path';
import closeWithGrace from 'close-with-grace';
import type { CliIO } from './cli-io.js';
import { assertSafeListen, loadConfig } from '../../shared/config/load-config.js';
import { createRegistryAccess } from '../../shared/config/registry-access.js';
import { startEmbeddedRedis, type EmbeddedRedis } from '../../shared/store/embedded-redis.js';
import { scanImage } from '../../shared/scan/scan-image.js';
import { startScannerWorker, type ScannerWorker } from '../../workers/scanner/scanner-worker.js';
import { serviceLogger } from './service-log.js';
import { assertListenable, startServer, type StartedServer } from '../api/server.js';
import { startWalkWorker, type WalkWorker } from '../../workers/walks/walk-worker.js';
import { prepareStore } from './store-access.js';

export interface RunServiceOptions {
  api: boolean;
  workers: boolean;
  /** Start a redis-server when none is configured (`start`). */
  embeddedRedis: boolean;
  /** Log warnings and errors only (`--quiet`). Default false. */
  quiet?: boolean;
}

export async function runService(opts: RunServiceOptions, io: CliIO): Promise<number> {
  const env = { ...io.env };
  if (env.GUIX_RECIPES_CONFIG && !isAbsolute(env.GUIX_RECIPES_CONFIG))
    env.GUIX_RECIPES_CONFIG = resolve(io.cwd, env.GUIX_RECIPES_CONFIG);
  const config = loadConfig({ env });
  if (opts.quiet) config.logLevel = 'warn';
  if (opts.api) {
    assertSafeListen(config);
    // The address first: a port held by another process must end us before any Redis or queue is touched.
    await assertListenable(config);
  }

  let embedded: EmbeddedRedis | undefined;
  // One logger, one format on standard output (service-log.ts); the API logs through it too.
  const log = serviceLogger(config, io.stdout);
  // Set when the embedded redis-server is gone for good: the process then exits non-zero.
  let fatal: Error | undefined;
  let shutdown: () => void = () => {};
  const haveRedis =
    config.redis.url !== undefined ||
    config.redis.cluster !== undefined ||
    config.redis.sentinel !== undefined;
  if (!haveRedis && opts.embeddedRedis) {
    embedded = await startEmbeddedRedis({
      dir: config.redis.embeddedDir,
      cwd: io.cwd,
      ...(io.signal ? { signal: io.signal } : {}),
      onEvent: (m) => log.warn(m),
      onGiveUp: (err) => {
        fatal = err;
        io.stderr.write(`guix-recipes: ${err.message}\n`);
        shutdown();
      },
    });
    config.redis.url = embedded.url;
    log.info(
      `no REDIS_URL: ${embedded.reused ? 'using the redis-server already running' : 'started redis-server'} with its data in ${embedded.dir} (AOF on)`,
    );
  }

  try {
    await prepareStore(config, { ...(io.signal ? { signal: io.signal } : {}), log: (m) => log.info(m) });
  } catch (err) {
    await embedded?.stop();
    throw err;
  }
  const registries = createRegistryAccess(config);
  let server: StartedServer | undefined;
  let worker: ScannerWorker | undefined;
  let walks: WalkWorker | undefined;
  const grace = config.http.shutdownGraceMs;
  // Signals are taken from before the API listens: a supervisor that sends SIGTERM as soon as the
  // service answers must get a graceful close, even while the workers are still starting.
  let startedUp: () => void = () => {};
  const started = new Promise<void>((resolve) => (startedUp = resolve));
  const handle = closeWithGrace(
    { delay: grace + 10000, logger: { error: (m: unknown) => log.error(m) } },
    async ({ signal, err }) => {
      if (err) log.error({ err }, 'fatal error: shutting down');
      else if (fatal) log.error({ err: fatal.message }, 'shutting down');
      else log.info({ signal }, 'shutting down');
      // What start-up opens is closed whole: wait for it to end first.
      await started;
      await server?.close().catch((e: unknown) => log.warn({ err: e }, 'closing the API'));
      await walks?.close(grace).catch((e: unknown) => log.warn({ err: e }, 'closing the walk workers'));
      await worker?.close(grace).catch((e: unknown) => log.warn({ err: e }, 'closing the workers'));
      if (!worker) await registries.close().catch(() => {});
      await embedded?.stop();
      // close-with-grace exits 1 when this throws (0 otherwise).
      if (fatal) throw fatal;
    },
  );
  shutdown = () => void handle.close();
  try {
    // The API before the workers: if listening fails after all, no worker has taken a job.
    if (opts.api) {
      const own = embedded;
      // It logs `listening on URL` itself, once.
      server = await startServer(
        { config, registries, ...(own ? { liveness: () => own.trouble() } : {}) },
        { logger: log },
      );
    }
    if (opts.workers) {
      worker = await startScannerWorker({ config, registries, scan: scanImage, logger: log });
      walks = await startWalkWorker({ config, registries, logger: log });
    }
  } catch (err) {
    handle.uninstall();
    await walks?.close(0).catch(() => {});
    await worker?.close(0).catch(() => {});
    await server?.close().catch(() => {});
    await registries.close().catch(() => {});
    await embedded?.stop();
    throw err;
  } finally {
    startedUp();
  }
  // The embedded Redis may have been given up before the handler existed: close now.
  if (fatal) shutdown();
  // Runs until a signal (or the embedded Redis gone for good: `shutdown`) closes it and exits.
  await new Promise<void>(() => {});
  return 0;
}
