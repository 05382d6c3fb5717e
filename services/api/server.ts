/**
 * The API server: timeouts, optional HTTPS (mutual TLS with a client CA), graceful close.
 * Refuses to listen beyond loopback with open routes (no API tokens) unless told so.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { FastifyBaseLogger, FastifyInstance, FastifyServerOptions } from 'fastify';
import Fastify from 'fastify';
import type { Config } from '../../shared/config/config-schema.js';
import { assertSafeListen } from '../../shared/config/load-config.js';
import { RecipeError } from '../../shared/errors.js';
import app, { type AppOptions } from './app.js';
import { loggerOptions } from './logger.js';
import { requestLogController } from './plugins/request-log.js';
import { edgeOptions } from './http-edge.js';

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new RecipeError('usage', `${what}: cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Fastify server options from configuration (timeouts, HTTPS, logger). `logger`: the process's own
 * logger (run-service.ts: one logger, one format, for the API and the workers); default: Fastify
 * makes one from the configuration.
 */
export function serverOptions(
  config: Config,
  logger?: FastifyBaseLogger,
): FastifyServerOptions & { https?: unknown } {
  const o: FastifyServerOptions & { https?: unknown } = {
    ...edgeOptions(),
    ...(logger ? { loggerInstance: logger } : { logger: loggerOptions(config) }),
    // plugins/request-log.ts writes one line per request instead.
    logController: requestLogController(),
    connectionTimeout: config.http.connectionTimeoutMs,
    requestTimeout: config.http.requestTimeoutMs,
    keepAliveTimeout: config.http.keepAliveTimeoutMs,
    bodyLimit: config.http.bodyLimitBytes,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  };
  if (config.tls) {
    const https: Record<string, unknown> = {
      cert: readPem(config.tls.certFile, 'GUIX_RECIPES_TLS_CERT'),
      key: readPem(config.tls.keyFile, 'GUIX_RECIPES_TLS_KEY'),
    };
    if (config.tls.clientCaFile) {
      https.ca = readPem(config.tls.clientCaFile, 'GUIX_RECIPES_TLS_CLIENT_CA');
      https.requestCert = true;
      https.rejectUnauthorized = true;
    }
    o.https = https;
  }
  return o;
}

export interface StartedServer {
  app: FastifyInstance;
  /** `http(s)://host:port` actually listened on. */
  url: string;
  close(): Promise<void>;
}

/** Build and listen; the one `listening on URL` line is logged (per address listened on). */
export async function startServer(
  deps: AppOptions,
  opts: { logger?: FastifyBaseLogger } = {},
): Promise<StartedServer> {
  const config = deps.config;
  assertSafeListen(config);
  const fastify = Fastify(serverOptions(config, opts.logger) as FastifyServerOptions);
  fastify.server.headersTimeout = Math.max(config.http.connectionTimeoutMs, 1000) + 1000;
  await fastify.register(app, deps);
  if (config.apiTokens.length === 0)
    fastify.log.warn(
      'no API tokens configured: recipe and scan routes are open to anyone who can reach this address',
    );
  if (config.webhooks.secret === undefined && !config.registries.some((r) => r.webhook?.secret))
    fastify.log.warn('no webhook secret configured: webhooks answer 401 (set GUIX_RECIPES_WEBHOOK_SECRET)');
  let address: string;
  try {
    address = await fastify.listen({
      host: config.host,
      port: config.port,
      listenTextResolver: (url) => `listening on ${url}`,
    });
  } catch (err) {
    // Its Redis connections and queue are open already: close them, or the process lives on.
    await fastify.close().catch(() => {});
    throw listenError(config, err);
  }
  return { app: fastify, url: address, close: () => fastify.close() };
}

function listenError(config: Config, err: unknown): Error {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const where = `${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}`;
  if (code === 'EADDRINUSE')
    return new RecipeError('unavailable', `cannot listen on ${where}: the address is in use (EADDRINUSE)`, {
      cause: err,
    });
  if (code === 'EACCES' || code === 'EADDRNOTAVAIL')
    return new RecipeError('unavailable', `cannot listen on ${where}: ${code}`, { cause: err });
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * Bind the API's address and let it go again: run before anything else starts (the embedded Redis,
 * the workers), so a port another process holds ends the process at once, having touched nothing.
 * Port 0 (any free port) cannot be taken and is not checked.
 */
export async function assertListenable(config: Config): Promise<void> {
  if (config.port === 0) return;
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', (err) => reject(listenError(config, err)));
    probe.listen({ host: config.host, port: config.port, exclusive: true }, () =>
      probe.close(() => resolve()),
    );
  });
}
