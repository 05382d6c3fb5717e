// A tiny HTTP proxy in front of a registry that refuses some paths as a registry without them
// does (404 with the distribution error UNSUPPORTED), passing everything else: a registry with its
// catalog disabled, which docker-registry cannot be configured to be.
import { createServer, request } from 'node:http';
import { freePort } from './redis.js';

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
    const up = request(
      { host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers: req.headers },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    host: `127.0.0.1:${port}`,
    get refused() {
      return refused;
    },
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
