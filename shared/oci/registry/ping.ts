/** `GET /v2/` (distribution-spec "Determining support"): the registry answers, and our credentials, if any, pass. */
import type { Transport } from './transport.js';

export async function ping(t: Transport, registry: string, opts: { signal: AbortSignal }): Promise<void> {
  await t.call(
    { registry, method: 'GET', path: '/v2/', headers: {}, scope: '', what: `registry ${registry}` },
    { signal: opts.signal, timeoutMs: t.settings.timeouts.requestMs },
    async (a) => {
      await a.body.dump({ limit: t.settings.limits.errorBodyBytes });
    },
  );
}
