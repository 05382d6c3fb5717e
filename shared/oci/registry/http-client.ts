/**
 * The part of undici the registry client uses: connection pools (`Agent`) and one request. They are
 * loaded from undici's own modules rather than its index, which also loads fetch, WebSocket, the
 * cache, the mock agent and the rest of the package: 113 files, 17 MiB of resident memory and 0.14 s
 * for every process that scans an image, against 8 MiB and 0.05 s for these two (bench/README.md,
 * `inspect` start-up). The classes are undici's own (the same objects its index exports: a test
 * checks), so behaviour and types are undici's; undici is pinned in package.json because these paths
 * are not its documented entry point.
 */
import { createRequire } from 'node:module';
import type { Agent as UndiciAgent, Dispatcher } from 'undici';

const load = createRequire(import.meta.url);

/** undici's Agent class (a pool of connections per origin). */
export const Agent = load('undici/lib/dispatcher/agent.js') as typeof UndiciAgent;
export type Agent = UndiciAgent;

type DispatcherRequest = (
  this: Dispatcher,
  opts: Dispatcher.RequestOptions,
) => Promise<Dispatcher.ResponseData>;
const dispatcherRequest = load('undici/lib/api/api-request.js') as DispatcherRequest;

/** What a request may set: its dispatcher is required (there is no global one here). */
export interface RequestOptions {
  dispatcher: Dispatcher;
  method: Dispatcher.HttpMethod;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** One request through `opts.dispatcher`, as undici's `request(url, opts)` makes it. */
export function request(url: URL, opts: RequestOptions): Promise<Dispatcher.ResponseData> {
  const { dispatcher, ...rest } = opts;
  return dispatcherRequest.call(dispatcher, {
    ...rest,
    origin: url.origin,
    path: url.search ? `${url.pathname}${url.search}` : url.pathname,
  });
}
