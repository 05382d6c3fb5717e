/**
 * pino options: secrets never reach a log line. Redaction by key (authorization headers, tokens,
 * passwords) plus a URL serializer that drops query strings (issue 6's `?token=`).
 */
import type { FastifyServerOptions } from 'fastify';
import type { Config } from '../../shared/config/config-schema.js';

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-hub-signature-256"]',
  'headers.authorization',
  '*.password',
  '*.token',
  '*.secret',
  'config.webhooks.secret',
  'config.apiTokens',
  // Issue 7: the nested secrets of a logged configuration (registry credentials, Redis password).
  'config.registries[*].password',
  'config.registries[*].token',
  'config.registries[*].webhook.secret',
  'config.redis.password',
  'config.redis.url',
];

/** A URL with its query string values hidden. */
export function redactQuery(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  return `${url.slice(0, q)}?${url
    .slice(q + 1)
    .split('&')
    .map((kv) => `${kv.split('=')[0] ?? ''}=[redacted]`)
    .join('&')}`;
}

export function loggerOptions(config: Pick<Config, 'logLevel'>): NonNullable<FastifyServerOptions['logger']> {
  return {
    level: config.logLevel,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: {
      req: (req: { method: string; url: string; ip?: string }) => ({
        method: req.method,
        url: redactQuery(req.url),
        remoteAddress: req.ip,
      }),
    },
  };
}
