/**
 * The HTTP edge Fastify answers before any route runs, made to speak problem+json like the routes:
 *
 *   - `frameworkErrors`: a path segment longer than the router's `maxParamLength` (414) or a URL
 *     that does not decode (400); the detail never echoes the path back;
 *   - `clientErrorHandler`: what Node's parser refuses (request line and headers over
 *     `maxHeaderSize`: 431; request timeout: 408; anything malformed: 400), written on the socket;
 *   - `ajv`: bodies are validated as their schemas say, unknown fields refused rather than
 *     silently dropped (`removeAdditional: false`);
 *   - `drainRequest`: what is left of a refused body (413) is read and discarded, up to a bound,
 *     before the answer, so an uploading client gets its 413 and not a broken pipe.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import { RecipeError } from '../../shared/errors.js';
import { PROBLEM_CONTENT_TYPE, toProblem } from './problem.js';

/** Longest path parameter (Fastify's default: a digest, a scan id fit). */
export const MAX_PARAM_LENGTH = 100;

function frameworkErrors(err: FastifyError, _req: FastifyRequest, reply: FastifyReply): void {
  let e: RecipeError;
  let status: number;
  if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    e = new RecipeError('size-limit', `a path segment is longer than ${MAX_PARAM_LENGTH} characters`);
    status = 414;
  } else if (err.code === 'FST_ERR_BAD_URL') {
    e = new RecipeError('usage', 'the URL path is not valid percent-encoding');
    status = 400;
  } else {
    e = new RecipeError('internal', 'internal error');
    status = 500;
  }
  void reply.code(status).type(PROBLEM_CONTENT_TYPE).send(toProblem(e, status));
}

function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  let e: RecipeError;
  let status: number;
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    e = new RecipeError('size-limit', 'the request line and headers are larger than this server accepts');
    status = 431;
  } else if (err.code === 'HPE_URI_TOO_LONG') {
    e = new RecipeError('size-limit', 'the request URI is longer than this server accepts');
    status = 414;
  } else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    e = new RecipeError('timeout', 'the request was not received in time');
    status = 408;
  } else {
    e = new RecipeError('usage', 'malformed HTTP request');
    status = 400;
  }
  const body = JSON.stringify(toProblem(e, status));
  if (socket.writable)
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  else socket.destroy();
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  414: 'URI Too Long',
  431: 'Request Header Fields Too Large',
};

/** The Fastify options of the edge: the API's own server and the tests' bare instances alike. */
export function edgeOptions(): Pick<
  FastifyServerOptions,
  'frameworkErrors' | 'clientErrorHandler' | 'ajv' | 'routerOptions'
> {
  return {
    frameworkErrors,
    clientErrorHandler,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    ajv: { customOptions: { removeAdditional: false } },
  };
}

/** How long a refused body may take to be drained before the answer goes anyway. */
export const DRAIN_TIMEOUT_MS = 10_000;

/**
 * Read and discard the rest of a request body, up to `maxBytes` and `DRAIN_TIMEOUT_MS`. Resolves
 * true when the client sent it all (it will read the answer), false when a bound was hit (the
 * connection is then closed under it).
 */
export function drainRequest(raw: IncomingMessage, maxBytes: number): Promise<boolean> {
  if (raw.complete) return Promise.resolve(true);
  if (raw.destroyed) return Promise.resolve(false);
  return new Promise((resolve) => {
    let n = 0;
    const finish = (ok: boolean): void => {
      clearTimeout(timer);
      raw.off('data', onData);
      raw.off('end', onEnd);
      raw.off('close', onClose);
      raw.off('error', onClose);
      resolve(ok);
    };
    const onData = (chunk: Buffer): void => {
      n += chunk.length;
      if (n > maxBytes) finish(false);
    };
    const onEnd = (): void => finish(true);
    const onClose = (): void => finish(raw.complete);
    const timer = setTimeout(() => finish(false), DRAIN_TIMEOUT_MS);
    raw.on('data', onData);
    raw.once('end', onEnd);
    raw.once('close', onClose);
    raw.once('error', onClose);
    raw.resume();
  });
}
