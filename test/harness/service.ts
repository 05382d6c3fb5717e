// The service in-process for tests: the Fastify app (inject(), no socket) and, unless told not to,
// a real scanner worker on the same configuration, both with logs silent or sent to a stream.
import type { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import type { Config } from '../../shared/config/config-schema.js';
import { createRegistryAccess } from '../../shared/config/registry-access.js';
import { scanImage } from '../../shared/scan/scan-image.js';
import { buildApp } from '../../services/api/app.js';
import { basePinoOptions, loggerOptions } from '../../services/api/logger.js';
import { startScannerWorker, type ScannerWorker } from '../../workers/scanner/scanner-worker.js';

export interface InProcessService {
  app: FastifyInstance;
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
  const worker =
    opts.worker === false
      ? undefined
      : await startScannerWorker({
          config,
          registries: createRegistryAccess(config),
          scan: scanImage,
          logger: opts.logStream
            ? pino({ ...basePinoOptions(config), level: 'trace' }, opts.logStream)
            : pino({ level: 'silent' }),
        });
  return { app, worker };
}
