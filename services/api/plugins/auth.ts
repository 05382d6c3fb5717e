/**
 * API tokens and scopes. Each route declares its access in access.ts; this hook enforces it:
 * no token configured → scope routes are open; otherwise `Authorization: Bearer <token>` must match
 * a configured token (401) that carries the scope (403). Webhook routes (`sender`) authenticate
 * their senders themselves. A right token is always accepted; a wrong or missing one counts against
 * the client's address (auth-failure-limit.ts, `app.authFailures`) and is answered 401, or 429 once
 * that address is over its budget of failures.
 */
import fp from 'fastify-plugin';
import { RecipeError } from '../../../shared/errors.js';
import type { Scope } from '../../../shared/config/config-schema.js';
import { accessOf, type Access } from '../access.js';
import { AuthFailureLimit } from '../auth-failure-limit.js';
import { bearerToken, matchSecret } from '../../../shared/secret-compare.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Scopes of the presented API token (all of them when no tokens are configured). */
    scopes: Scope[];
  }
  interface FastifyInstance {
    /** Failed authentications per client address (webhook routes record theirs too). */
    authFailures: AuthFailureLimit;
  }
}

export default fp(
  async (app) => {
    const tokens = app.config.apiTokens;
    app.decorateRequest('scopes', null as unknown as Scope[]);
    const failures = new AuthFailureLimit(app.config.rateLimit?.failedAuth ?? {});
    app.decorate('authFailures', failures);
    app.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      for (const m of methods) {
        if (m === 'HEAD' || m === 'OPTIONS') continue;
        if (accessOf(m, route.url) === undefined)
          throw new Error(
            `route ${m} ${route.url} is missing from the access table (services/api/access.ts)`,
          );
      }
    });
    app.addHook('onRequest', async (req, reply) => {
      const method = req.method === 'HEAD' ? 'GET' : req.method;
      const access: Access | undefined = req.routeOptions.url
        ? accessOf(method, req.routeOptions.url)
        : 'open';
      if (access === undefined || access === 'open') return;
      // Senders authenticate in their route: some sign the body, which is not read yet.
      if (access === 'sender') return;
      // Loopback only when nothing forwarded the request: a reverse proxy on this host would
      // otherwise make every outside client look local.
      if (
        access === 'local-or-admin' &&
        isLoopbackAddress(req.socket.remoteAddress) &&
        !isForwarded(req.headers)
      )
        return;
      // A client certificate the TLS layer verified against the configured client CA.
      if (access === 'read-or-client-cert' && hasVerifiedClientCert(req.socket)) {
        req.scopes = ['read'];
        return;
      }
      if (tokens.length === 0) {
        req.scopes = ['read', 'scan', 'admin'];
        return;
      }
      const presented = bearerToken(req.headers.authorization);
      const i = matchSecret(
        presented,
        tokens.map((t) => t.token),
      );
      if (i < 0) {
        if (failures.fail(req, reply)) return reply;
        throw new RecipeError(
          'unauthorized',
          presented === undefined ? 'an API token is required' : 'unknown API token',
        );
      }
      req.scopes = tokens[i]!.scopes;
      const scope: Scope =
        access === 'read-or-client-cert' ? 'read' : access === 'local-or-admin' ? 'admin' : access;
      if (!req.scopes.includes(scope) && !req.scopes.includes('admin'))
        throw new RecipeError('forbidden', `this token lacks the ${scope} scope`);
    });
  },
  { name: 'auth', fastify: '5.x', dependencies: ['services'] },
);

/**
 * Whether the connection is TLS and its peer presented a certificate that verified against the
 * server's client CA (`tls.clientCaFile`; Node sets `authorized` only then).
 */
export function hasVerifiedClientCert(socket: unknown): boolean {
  const s = socket as { encrypted?: boolean; authorized?: boolean } | undefined;
  return s?.encrypted === true && s.authorized === true;
}

/** Whether a socket's peer address is loopback (127/8, ::1, IPv4-mapped 127/8). */
export function isLoopbackAddress(addr: string | undefined): boolean {
  if (!addr) return false;
  const a = addr.toLowerCase().replace(/^::ffff:/, '');
  return a === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a);
}

/** Whether a proxy says it forwarded the request for someone else (Forwarded, X-Forwarded-For, X-Real-IP). */
export function isForwarded(headers: Record<string, string | string[] | undefined>): boolean {
  return (
    headers.forwarded !== undefined ||
    headers['x-forwarded-for'] !== undefined ||
    headers['x-real-ip'] !== undefined
  );
}
