// A tiny HTTP proxy in front of a registry that can hold blob reads unanswered, so a test can catch
// a scan "in the middle" (and kill its worker there) — something a real registry cannot do.
import { createServer, type ServerResponse } from 'node:http';
import { forward, listenOnLoopback } from './forwarding-proxy.js';

export interface HoldingProxy {
  /** `127.0.0.1:PORT`, to configure as the registry. */
  host: string;
  /** Blob requests seen so far (held or passed). */
  readonly blobRequests: number;
  /** Hold blob reads (true, the start) or pass them through. */
  hold: boolean;
  /** Drop every held read (the client sees its connection reset). */
  dropHeld(): void;
  close(): Promise<void>;
}

export async function startHoldingProxy(upstreamPort: number): Promise<HoldingProxy> {
  const held: ServerResponse[] = [];
  let blobRequests = 0;
  const state = { hold: true };
  const server = createServer((req, res) => {
    const isBlob = /\/blobs\/sha256:/.test(req.url ?? '');
    if (isBlob) blobRequests++;
    if (isBlob && state.hold) {
      held.push(res); // never answered: the scan hangs here until its worker dies
      return;
    }
    forward(req, res, upstreamPort);
  });
  const listener = await listenOnLoopback(server);
  const dropHeld = (): void => {
    for (const r of held.splice(0)) r.destroy();
  };
  return {
    host: listener.host,
    get blobRequests() {
      return blobRequests;
    },
    get hold() {
      return state.hold;
    },
    set hold(v: boolean) {
      state.hold = v;
    },
    dropHeld,
    async close() {
      dropHeld();
      await listener.close();
    },
  };
}
