/**
 * Rate limits per API token on every route that needs a scope (access.ts: read, scan, admin,
 * local-or-admin): a token bucket per token (its sha256 fingerprint, never the token itself), or
 * per client address while no tokens are configured. Over the limit: 429 application/problem+json,
 * code `rate-limited`, with Retry-After (seconds). Open routes (/healthz, /readyz, /openapi.json,
 * /docs) and webhooks (senders retry on their own schedule) are not limited.
 *
 * Defaults (configuration `rateLimit`): burst 2,000 requests, refilled at 1,000 per second, per
 * token and per API process (memory-backed: N processes allow N times the rate). That serves an
 * admission webhook's reads (one per pod created) and still stops a token from taking the process
 * over: past 1,000 req/s the excess is answered 429 at the cost of a bucket lookup.
 *
 * Registered after auth: its onRequest hook runs once the token has been checked. Wrong tokens
 * never get here: auth-failure-limit.ts limits those per client address.
 */
import { createHash } from 'node:crypto';
import fp from 'fastify-plugin';
import { TokenBuckets } from '../../../shared/metrics/token-bucket.js';
import { accessOf } from '../access.js';
import { replyRateLimited } from '../problem.js';
import { bearerToken } from '../../../shared/secret-compare.js';

export interface RateLimitSettings {
  enabled: boolean;
  burst: number;
  perSecond: number;
}

export const RATE_LIMIT_DEFAULTS: RateLimitSettings = { enabled: true, burst: 2000, perSecond: 1000 };

declare module 'fastify' {
  interface FastifyInstance {
    /** Requests refused by the rate limit (for /metrics). */
    rateLimited: { count: number };
  }
}

export default fp(
  async (app) => {
    const cfg: Partial<RateLimitSettings> = app.config.rateLimit ?? {};
    const settings: RateLimitSettings = { ...RATE_LIMIT_DEFAULTS, ...cfg };
    const buckets = new TokenBuckets({ burst: settings.burst, perSecond: settings.perSecond });
    const counter = { count: 0 };
    app.decorate('rateLimited', counter);
    if (!settings.enabled) return;
    const tokensConfigured = app.config.apiTokens.length > 0;

    app.addHook('onRequest', async (req, reply) => {
      const url = req.routeOptions.url;
      if (!url) return;
      const method = req.method === 'HEAD' ? 'GET' : req.method;
      const access = accessOf(method, url);
      if (access === undefined || access === 'open' || access === 'sender') return;
      const token = tokensConfigured ? bearerToken(req.headers.authorization) : undefined;
      const key =
        token !== undefined
          ? `t:${createHash('sha256').update(token).digest('hex').slice(0, 32)}`
          : `a:${req.ip}`;
      const r = buckets.take(key);
      void reply.header('ratelimit-limit', String(settings.burst));
      void reply.header('ratelimit-remaining', String(r.remaining));
      if (r.allowed) return;
      counter.count++;
      return replyRateLimited(req, reply, r.retryAfterMs, 'too many requests');
    });
  },
  { name: 'rate-limit', fastify: '5.x', dependencies: ['auth'] },
);
