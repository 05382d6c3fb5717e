/**
 * The limit of failed authentications per client, so API tokens and webhook secrets cannot be
 * guessed at line rate without it showing: the per-token rate limit (plugins/rate-limit.ts) runs
 * only once a token is known, and a wrong one is refused before it.
 *
 * Each client address (the TCP peer: `trustProxy` stays off, so forwarding headers cannot pick
 * another client's bucket; IPv6 counted per /64, what one host usually holds) has a token bucket
 * of `burst` failures refilled at `perSecond`. The credential is always checked first (in constant
 * time): a right one is accepted whatever the address's bucket holds, so a client sharing the
 * address (the registry on the same host, behind the same NAT or proxy) is never locked out by
 * someone else's failures. Only a wrong or missing one meets the limit: while the bucket holds at
 * least one, the attempt takes one and is answered 401; once it is empty, wrong attempts are
 * answered 429 problem+json (code `rate-limited`) with Retry-After, uncounted, until it refills.
 * Open routes stay open. A success resets nothing (a client holding one valid token cannot reset its
 * guessing of others). Per API process, in memory; at most `maxClients` addresses are tracked, the
 * least recently seen forgotten first.
 */
import { isIP } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { TokenBuckets } from '../../shared/metrics/token-bucket.js';
import { replyRateLimited } from './problem.js';

export interface AuthFailureLimitSettings {
  enabled: boolean;
  /** Failures allowed at once after a quiet period. */
  burst: number;
  /** Failures refilled per second. */
  perSecond: number;
  /** Client addresses tracked at most. */
  maxClients: number;
}

/** Defaults (configuration `rateLimit.failedAuth`): 10 failures, then one every 10 s; 10,000 clients. */
export const AUTH_FAILURE_LIMIT_DEFAULTS: AuthFailureLimitSettings = {
  enabled: true,
  burst: 10,
  perSecond: 0.1,
  maxClients: 10_000,
};

export class AuthFailureLimit {
  readonly settings: AuthFailureLimitSettings;
  readonly #buckets: TokenBuckets;
  /** Failed authentications counted. */
  failures = 0;
  /** Requests refused with 429 because their client failed too often. */
  refused = 0;

  constructor(settings: Partial<AuthFailureLimitSettings> = {}, now?: () => number) {
    this.settings = { ...AUTH_FAILURE_LIMIT_DEFAULTS, ...settings };
    this.#buckets = new TokenBuckets({
      burst: this.settings.burst,
      perSecond: this.settings.perSecond,
      maxKeys: this.settings.maxClients,
      ...(now ? { now } : {}),
    });
  }

  /**
   * A failed authentication of the request's client (call it only once the credential was checked
   * and found wrong or missing). Within the address's budget: counted, false (the caller answers
   * 401). Over it: answered 429, not counted, true (the caller returns the reply).
   */
  fail(req: FastifyRequest, reply: FastifyReply): boolean {
    if (this.settings.enabled) {
      const r = this.#buckets.take(clientKey(req.socket.remoteAddress));
      if (!r.allowed) {
        this.refused++;
        replyRateLimited(req, reply, r.retryAfterMs, 'too many failed authentications from this address');
        return true;
      }
    }
    this.failures++;
    return false;
  }

  /** Client addresses tracked now. */
  get size(): number {
    return this.#buckets.size;
  }
}

/** The bucket key of a peer address: IPv4 as is (IPv4-mapped IPv6 too), IPv6 by its /64 prefix. */
export function clientKey(address: string | undefined): string {
  if (!address) return 'unknown';
  const a = address.toLowerCase().replace(/%.*$/, '');
  const v4 = /^(?:::ffff:)?(\d{1,3}(?:\.\d{1,3}){3})$/.exec(a);
  if (v4) return v4[1]!;
  if (isIP(a) !== 6) return a;
  const groups = (s: string): string[] =>
    s === '' ? [] : s.split(':').flatMap((g) => (g.includes('.') ? ['0', '0'] : [g]));
  let all: string[];
  const gap = a.indexOf('::');
  if (gap >= 0) {
    const head = groups(a.slice(0, gap));
    const tail = groups(a.slice(gap + 2));
    all = [...head, ...Array<string>(Math.max(0, 8 - head.length - tail.length)).fill('0'), ...tail];
  } else all = groups(a);
  return `${all
    .slice(0, 4)
    .map((g) => parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}
