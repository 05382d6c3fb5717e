/**
 * Who may call what: the one access table. Every route registered by the app looks itself up here
 * (a route missing from the table fails at startup), and the access tests read it.
 *   - a scope (`read`, `scan`, `admin`): an API token carrying it, when tokens are configured;
 *     with no tokens configured these routes are open (and the server stays on loopback);
 *   - `open`: anyone;
 *   - `sender`: webhook senders, authenticated by their own secret, never by API tokens;
 *   - `local-or-admin`: open to loopback clients (the socket's address), else like `admin`;
 *   - `read-or-client-cert`: like `read`, and also open to a client that presented a TLS certificate
 *     signed by the configured client CA (`tls.clientCaFile`): the Kubernetes API server calling the
 *     admission webhook with mutual TLS holds no API token.
 */
import type { Scope } from '../../shared/config/config-schema.js';
import { SENDERS } from '../../shared/webhooks/senders.js';

export type Access = Scope | 'open' | 'sender' | 'local-or-admin' | 'read-or-client-cert';

export const ACCESS: Readonly<Record<string, Access>> = {
  'GET /healthz': 'open',
  'GET /readyz': 'open',
  ...Object.fromEntries(SENDERS.map((s) => [`POST /v1/webhooks/${s.name}`, 'sender' as const])),
  'POST /v1/scans': 'scan',
  'GET /v1/scans/:id': 'scan',
  'GET /v1/recipes/:digest': 'read',
  'GET /v1/recipes/:digest/channels.scm': 'read',
  'GET /v1/recipes/:digest/manifest.scm': 'read',
  'GET /v1/recipes/:digest/configuration.scm': 'read',
  'GET /v1/recipes/:digest/sbom': 'read',
  'GET /v1/recipes/:digest/slsa': 'read',
  'GET /v1/recipes/:digest/rebuild.sh': 'read',
  'GET /v1/recipes': 'read',
  'GET /v1/images': 'read',
  'GET /v1/diff': 'read',
  'POST /v1/scans/:id/retry': 'admin',
  'POST /v1/verdicts': 'read',
  'GET /v1/verdicts': 'read',
  'GET /v1/policies': 'admin',
  'GET /v1/policies/:name': 'admin',
  'PUT /v1/policies/:name': 'admin',
  'DELETE /v1/policies/:name': 'admin',
  'POST /v1/registries/:host/backfill': 'admin',
  'GET /v1/registries/:host/backfill': 'admin',
  'POST /v1/registries/:host/reconcile': 'admin',
  'POST /v1/admission': 'read-or-client-cert',
  'POST /v1/admission/:policy': 'read-or-client-cert',
  'GET /metrics': 'local-or-admin',
  'GET /openapi.json': 'open',
  'GET /docs': 'open',
  'GET /docs/': 'open',
  'GET /docs/static/index.html': 'open',
  'GET /docs/static/swagger-initializer.js': 'open',
  'GET /docs/json': 'open',
  'GET /docs/yaml': 'open',
  'GET /docs/static/*': 'open',
};

/** The access of a route, by method and URL pattern as Fastify spells it. */
export function accessOf(method: string, url: string): Access | undefined {
  return ACCESS[`${method.toUpperCase()} ${url}`];
}
