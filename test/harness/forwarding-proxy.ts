/**
 * The parts every test proxy in front of a registry shares: forwarding one request to the registry
 * on loopback, and listening on a free loopback port. Each proxy (refusing, holding, range-ignoring)
 * decides what to do with a request before it forwards it.
 */
import {
  request,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
  type Server,
} from 'node:http';
import { freePort } from './redis.js';

export interface ForwardOptions {
  /** Headers sent upstream instead of the request's own. */
  headers?: IncomingHttpHeaders;
  /** Sees the upstream answer after its head is written, before its body is piped. */
  onResponse?: (upstream: IncomingMessage) => void;
}

/** Forward `req` to 127.0.0.1:`upstreamPort` and pipe the answer back; an upstream error drops `res`. */
export function forward(
  req: IncomingMessage,
  res: ServerResponse,
  upstreamPort: number,
  opts: ForwardOptions = {},
): void {
  const up = request(
    {
      host: '127.0.0.1',
      port: upstreamPort,
      method: req.method,
      path: req.url,
      headers: opts.headers ?? req.headers,
    },
    (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      opts.onResponse?.(r);
      r.pipe(res);
    },
  );
  up.on('error', () => res.destroy());
  req.pipe(up);
}

export interface LoopbackListener {
  /** `127.0.0.1:PORT`, to configure as the registry. */
  host: string;
  /** Close the server and every connection still open. */
  close: () => Promise<void>;
}

/** Listen on a free loopback port. */
export async function listenOnLoopback(server: Server): Promise<LoopbackListener> {
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    host: `127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
