// The registry client's undici entry (http-client.ts) is undici's own code, loaded without its index.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import * as undici from 'undici';
import { Agent, request } from '../../shared/oci/registry/http-client.js';

void test("http-client: Agent is undici's own class, the one its index exports", () => {
  assert.equal(Agent, undici.Agent);
  assert.ok(new Agent() instanceof undici.Dispatcher);
});

void test('http-client: request sends the method, path, query and headers through the given agent', async () => {
  const seen: { method?: string; url?: string; header?: string }[] = [];
  const server = createServer((req, res) => {
    seen.push({ method: req.method, url: req.url, header: req.headers['x-probe'] as string });
    res.setHeader('x-answer', 'yes');
    res.end(req.method === 'HEAD' ? undefined : 'body');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  const agent = new Agent();
  try {
    const res = await request(new URL(`http://127.0.0.1:${port}/v2/x/blobs/y?ns=a%2Fb`), {
      dispatcher: agent,
      method: 'GET',
      headers: { 'x-probe': '1' },
      signal: AbortSignal.timeout(10_000),
    });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['x-answer'], 'yes');
    assert.equal(await res.body.text(), 'body');
    const head = await request(new URL(`http://127.0.0.1:${port}/v2/`), {
      dispatcher: agent,
      method: 'HEAD',
    });
    await head.body.dump();
    assert.deepEqual(seen, [
      { method: 'GET', url: '/v2/x/blobs/y?ns=a%2Fb', header: '1' },
      { method: 'HEAD', url: '/v2/', header: undefined },
    ]);
  } finally {
    await agent.close();
    server.close();
  }
});

void test('http-client: an aborted signal ends the request', async () => {
  const server = createServer(() => {}); // never answers
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  const agent = new Agent();
  try {
    await assert.rejects(
      request(new URL(`http://127.0.0.1:${port}/`), {
        dispatcher: agent,
        method: 'GET',
        signal: AbortSignal.timeout(200),
      }),
      (e: Error) => e.name === 'TimeoutError' || e.name === 'AbortError',
    );
  } finally {
    await agent.destroy();
    server.closeAllConnections();
    server.close();
  }
});
