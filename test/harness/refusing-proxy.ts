// A tiny HTTP proxy in front of a registry that refuses some paths as a registry without them
// does (404 with the distribution error UNSUPPORTED), passing everything else: a registry with its
// catalog disabled, which docker-registry cannot be configured to be.
import { createServer } from 'node:http';
import { forward, listenOnLoopback } from './forwarding-proxy.js';

export interface RefusingProxy {
  /** `127.0.0.1:PORT`, to configure as the registry. */
  host: string;
  /** Requests refused so far. */
  readonly refused: number;
  close(): Promise<void>;
}

export async function startRefusingProxy(
  upstreamPort: number,
  refuse: (path: string) => boolean,
): Promise<RefusingProxy> {
  let refused = 0;
  const server = createServer((req, res) => {
    if (refuse(req.url ?? '')) {
      refused++;
      req.resume();
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end('{"errors":[{"code":"UNSUPPORTED","message":"The operation is unsupported."}]}');
      return;
    }
    forward(req, res, upstreamPort);
  });
  const listener = await listenOnLoopback(server);
  return {
    host: listener.host,
    get refused() {
      return refused;
    },
    close: listener.close,
  };
}
