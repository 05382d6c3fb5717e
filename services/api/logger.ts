/**
 * pino options: secrets never reach a log line. Redaction by key (authorization headers, tokens,
 * passwords), a URL serializer that drops query strings (webhook senders' `?token=`), and an error
 * serializer that keeps only an error's type, code, message and stack (and those of its causes):
 * library errors carry their request options (undici: headers with `authorization`, URLs with
 * `?token=`) as enumerable properties, which pino's default serializer would print.
 */
import type { FastifyServerOptions } from 'fastify';
import type { LoggerOptions } from 'pino';
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
  // The nested secrets of a logged configuration (registry credentials, Redis password).
  'config.registries[*].password',
  'config.registries[*].token',
  'config.registries[*].webhook.secret',
  'config.redis.password',
  'config.redis.url',
];

/**
 * Query parameters whose values are logged: the API's own lookup parameters, none of them a secret.
 * Every other value (the `token` of Docker Hub, Quay and ACR webhooks, anything unknown) is hidden,
 * so a parameter added later stays secret until it is listed here.
 */
const LOGGED_PARAMS = new Set([
  'registry',
  'image',
  'package',
  'channel',
  'commit',
  'store-path',
  'from',
  'to',
  'platform',
  'style',
  'printer',
  'state',
  'limit',
  'offset',
  'format',
]);

/** A URL with the values of its query parameters hidden, but for LOGGED_PARAMS. */
export function redactQuery(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  return `${url.slice(0, q)}?${url
    .slice(q + 1)
    .split('&')
    .map((kv) => {
      const eq = kv.indexOf('=');
      const name = eq < 0 ? kv : kv.slice(0, eq);
      return eq >= 0 && LOGGED_PARAMS.has(name.toLowerCase()) ? kv : `${name}=[redacted]`;
    })
    .join('&')}`;
}

/** Query parameters whose values are secrets wherever they appear in a logged string. */
const SECRET_PARAM =
  /([?&;](?:token|access_token|secret|password|passwd|sig|signature|x-amz-signature|x-amz-credential|x-amz-security-token)=)[^&\s"'#]*/gi;

/** A string (an error message or stack) with the values of secret query parameters hidden. */
export function scrubSecrets(s: string): string {
  return s.replace(SECRET_PARAM, '$1[redacted]');
}

export interface SerializedError {
  type: string;
  message: string;
  code?: string;
  stack?: string;
  cause?: SerializedError;
}

/**
 * An error as a log line shows it: type, code, message, stack and cause chain (5 deep), nothing
 * else: no request options, headers, bodies or other enumerable properties.
 */
export function serializeError(err: unknown, depth = 0): SerializedError {
  if (!(err instanceof Error)) return { type: typeof err, message: scrubSecrets(String(err)).slice(0, 2000) };
  const out: SerializedError = {
    type: err.constructor?.name ?? err.name,
    message: scrubSecrets(err.message),
  };
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' || typeof code === 'number') out.code = String(code);
  if (err.stack) out.stack = scrubSecrets(err.stack);
  if (err.cause !== undefined && depth < 5) out.cause = serializeError(err.cause, depth + 1);
  return out;
}

/** pino options every process uses (API and workers): redaction and the error serializer. */
export function basePinoOptions(config: Pick<Config, 'logLevel'>): LoggerOptions {
  return {
    level: config.logLevel,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: { err: serializeError, error: serializeError },
  };
}

export function loggerOptions(config: Pick<Config, 'logLevel'>): NonNullable<FastifyServerOptions['logger']> {
  return serviceLoggerOptions(config);
}

/** pino options of the API's logger (basePinoOptions plus the request serializer), for `pino()`. */
export function serviceLoggerOptions(config: Pick<Config, 'logLevel'>): LoggerOptions {
  const base = basePinoOptions(config);
  return {
    level: config.logLevel,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: {
      ...base.serializers,
      req: (req: { method: string; url: string; ip?: string }) => ({
        method: req.method,
        url: redactQuery(req.url),
        remoteAddress: req.ip,
      }),
    },
  };
}
