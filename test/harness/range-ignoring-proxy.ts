/**
 * An HTTP proxy in front of a registry that drops the `Range` header of every request, so each blob
 * GET is answered 200 with the whole blob: what some registries and object stores behind a redirect
 * do, and what a real docker-registry (which honours Range) cannot show. It counts what it forwards.
 */
import { createServer, request } from 'node:http';
import { freePort } from './registry.js';

export interface RangeIgnoringProxy {
  /** `127.0.0.1:PORT`, to use as the registry host. */
  host: string;
  /** Blob GETs that asked for a range (and got the whole blob). */
  readonly rangesDropped: number;
  /** Body bytes sent to clients for blob GETs. */
  readonly blobBytesSent: number;
  close(): Promise<void>;
}

export async function startRangeIgnoringProxy(upstreamPort: number): Promise<RangeIgnoringProxy> {
  let rangesDropped = 0;
  let blobBytesSent = 0;
  const server = createServer((req, res) => {
    const isBlob = req.method === 'GET' && /\/blobs\/sha256:/.test(req.url ?? '');
    const headers = { ...req.headers };
    if (headers.range !== undefined) {
      delete headers.range;
      if (isBlob) rangesDropped++;
    }
    const up = request(
      { host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        if (isBlob) r.on('data', (d: Buffer) => (blobBytesSent += d.length));
        r.pipe(res);
        // The client closing early (a range cut out of the whole blob) ends the upstream read too.
        res.on('close', () => r.destroy());
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    host: `127.0.0.1:${port}`,
    get rangesDropped() {
      return rangesDropped;
    },
    get blobBytesSent() {
      return blobBytesSent;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
