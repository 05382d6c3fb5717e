/**
 * The API server: timeouts, optional HTTPS (mutual TLS with a client CA), graceful close.
 * Refuses to listen beyond loopback with open routes (no API tokens) unless told so.
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import Fastify from 'fastify';
import type { Config } from '../../shared/config/config-schema.js';
import { assertSafeListen } from '../../shared/config/load-config.js';
import { RecipeError } from '../../shared/errors.js';
import app, { type AppOptions } from './app.js';
import { loggerOptions } from './logger.js';
import { requestLogController } from './plugins/request-log.js';

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new RecipeError('usage', `${what}: cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** Fastify server options from configuration (timeouts, HTTPS, logger). */
export function serverOptions(config: Config): FastifyServerOptions & { https?: unknown } {
  const o: FastifyServerOptions & { https?: unknown } = {
    logger: loggerOptions(config),
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

/** Build and listen. */
export async function startServer(deps: AppOptions): Promise<StartedServer> {
  const config = deps.config;
  assertSafeListen(config);
  const fastify = Fastify(serverOptions(config) as FastifyServerOptions);
  fastify.server.headersTimeout = Math.max(config.http.connectionTimeoutMs, 1000) + 1000;
  await fastify.register(app, deps);
  if (config.apiTokens.length === 0)
    fastify.log.warn(
      'no API tokens configured: recipe and scan routes are open to anyone who can reach this address',
    );
  if (config.webhooks.secret === undefined && !config.registries.some((r) => r.webhook?.secret))
    fastify.log.warn('no webhook secret configured: webhooks answer 401 (set GUIX_RECIPES_WEBHOOK_SECRET)');
  const address = await fastify.listen({ host: config.host, port: config.port });
  return { app: fastify, url: address, close: () => fastify.close() };
}
