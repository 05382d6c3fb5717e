/**
 * An HTTP proxy in front of a registry that drops the `Range` header of every request, so each blob
 * GET is answered 200 with the whole blob: what some registries and object stores behind a redirect
 * do, and what a real docker-registry (which honours Range) cannot show. It counts what it forwards.
 */
import { createServer } from 'node:http';
import { forward, listenOnLoopback } from './forwarding-proxy.js';

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
    forward(req, res, upstreamPort, {
      headers,
      onResponse: (r) => {
        if (isBlob) r.on('data', (d: Buffer) => (blobBytesSent += d.length));
        // The client closing early (a range cut out of the whole blob) ends the upstream read too.
        res.on('close', () => r.destroy());
      },
    });
  });
  const listener = await listenOnLoopback(server);
  return {
    host: listener.host,
    get rangesDropped() {
      return rangesDropped;
    },
    get blobBytesSent() {
      return blobBytesSent;
    },
    close: listener.close,
  };
}
