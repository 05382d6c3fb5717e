// The service in-process for tests: the Fastify app (inject(), no socket) and, unless told not to,
// the workers a worker process runs on the same configuration (the scanner and the registry-walk
// worker), with logs silent or sent to a stream.
import type { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import type { Config } from '../../shared/config/config-schema.js';
import { createRegistryAccess } from '../../shared/config/registry-access.js';
import { scanImage } from '../../shared/scan/scan-image.js';
import { buildApp } from '../../services/api/app.js';
import { basePinoOptions, loggerOptions } from '../../services/api/logger.js';
import { startScannerWorker, type ScannerWorker } from '../../workers/scanner/scanner-worker.js';
import { startWalkWorker } from '../../workers/walks/walk-worker.js';

export interface InProcessService {
  app: FastifyInstance;
  /** The scanner's BullMQ worker; `close` stops the walk worker too. */
  worker: ScannerWorker | undefined;
}

export async function startInProcessService(
  config: Config,
  opts: { worker?: boolean; logStream?: Writable } = {},
): Promise<InProcessService> {
  const logger = opts.logStream
    ? { logger: { ...(loggerOptions(config) as Record<string, unknown>), stream: opts.logStream } }
    : { logger: false as const };
  const app = await buildApp({ config, registries: createRegistryAccess(config) }, logger);
  if (opts.worker === false) return { app, worker: undefined };
  const workerLogger = opts.logStream
    ? pino({ ...basePinoOptions(config), level: 'trace' }, opts.logStream)
    : pino({ level: 'silent' });
  const registries = createRegistryAccess(config);
  const scanner = await startScannerWorker({ config, registries, scan: scanImage, logger: workerLogger });
  const walks = await startWalkWorker({
    config,
    registries: createRegistryAccess(config),
    logger: workerLogger,
  });
  return {
    app,
    worker: {
      worker: scanner.worker,
      async close(graceMs?: number) {
        await walks.close(graceMs);
        await scanner.close(graceMs);
      },
    },
  };
}
