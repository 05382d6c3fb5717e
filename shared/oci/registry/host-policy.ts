/**
 * Where the client may go besides a configured registry: redirect targets and token realms.
 * Registry-side fetches are an SSRF surface (a registry, or whoever controls its redirects, picks
 * the URL), so any host that is not itself a configured registry must be https and must resolve
 * only to public addresses: never loopback, link-local (cloud metadata), private or unspecified.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import { RecipeError } from '../../errors.js';
import { redactUrl } from './redact.js';

/** Why an address is refused, or undefined for a public address. */
export function disallowedAddressReason(address: string): string | undefined {
  const family = isIP(address);
  if (family === 4) return v4Reason(address.split('.').map(Number) as [number, number, number, number]);
  if (family === 6) return v6Reason(address);
  return 'not an IP address';
}

function v4Reason([a, b, c]: [number, number, number, number]): string | undefined {
  if (a === 0) return 'unspecified';
  if (a === 127) return 'loopback';
  if (a === 169 && b === 254) return 'link-local';
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return 'private';
  if (a === 100 && b >= 64 && b <= 127) return 'shared address space';
  // IETF protocol assignments (192.0.0.0/24) and benchmarking networks (198.18.0.0/15): special-purpose
  // ranges (RFC 6890) some networks route internally.
  if (a === 192 && b === 0 && c === 0) return 'special-purpose';
  if (a === 198 && (b === 18 || b === 19)) return 'special-purpose';
  if (a >= 224) return 'multicast or reserved';
  return undefined;
}

function expandV6(address: string): number[] | undefined {
  let s = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (dotted) {
    const [p, q, r, t] = dotted.slice(1).map(Number) as [number, number, number, number];
    s = s.slice(0, dotted.index) + `${((p << 8) | q).toString(16)}:${((r << 8) | t).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const fill = halves.length === 2 ? 8 - head.length - tail.length : 0;
  const groups = [...head, ...Array<string>(Math.max(fill, 0)).fill('0'), ...tail].map((g) =>
    parseInt(g, 16),
  );
  return groups.length === 8 && groups.every((g) => g >= 0 && g <= 0xffff) ? groups : undefined;
}

function v6Reason(address: string): string | undefined {
  const g = expandV6(address);
  if (!g) return 'malformed IPv6 address';
  const [g0, , , , g4, g5, g6, g7] = g as [number, number, number, number, number, number, number, number];
  const zeroPrefix = g.slice(0, 4).every((x) => x === 0);
  if (zeroPrefix && g4 === 0 && g5 === 0xffff) return v4Reason([g6 >> 8, g6 & 0xff, g7 >> 8, g7 & 0xff]); // ::ffff:a.b.c.d
  if (zeroPrefix && g4 === 0 && g5 === 0 && g6 === 0 && g7 === 0) return 'unspecified';
  if (zeroPrefix && g4 === 0 && g5 === 0 && g6 === 0 && g7 === 1) return 'loopback';
  const embedded = (hi: number, lo: number): [number, number, number, number] => [
    hi >> 8,
    hi & 0xff,
    lo >> 8,
    lo & 0xff,
  ];
  // IPv4-compatible ::a.b.c.d (deprecated): the IPv4 address decides.
  if (zeroPrefix && g4 === 0 && g5 === 0) return v4Reason(embedded(g6, g7)) ?? 'IPv4-compatible';
  // NAT64 64:ff9b::/96 and 6to4 2002::/16 reach the IPv4 address they embed.
  if (g0 === 0x64 && g[1] === 0xff9b && g[2] === 0 && g[3] === 0 && g4 === 0 && g5 === 0)
    return v4Reason(embedded(g6, g7));
  if (g0 === 0x2002) return v4Reason(embedded(g[1]!, g[2]!));
  if ((g0 & 0xffc0) === 0xfe80) return 'link-local';
  if ((g0 & 0xfe00) === 0xfc00) return 'private';
  if ((g0 & 0xff00) === 0xff00) return 'multicast';
  return undefined;
}

/** A URL's `host[:port]` the way a registry is configured (`127.0.0.1:5000`, `[::1]:5000`, `ghcr.io`). */
export function urlHostPort(url: URL): string {
  return url.host.toLowerCase();
}

type LookupFn = (hostname: string, options: LookupOptions) => Promise<LookupAddress[]>;

const defaultLookup: LookupFn = (hostname, options) =>
  new Promise((resolve, reject) =>
    dnsLookup(hostname, { ...options, all: true }, (err, addrs) => (err ? reject(err) : resolve(addrs))),
  );

/** Allows configured registries; checks everything else (scheme, resolved addresses). */
export class HostPolicy {
  readonly #configured: Set<string>;
  readonly #configuredHostnames: Set<string>;
  readonly #lookup: LookupFn;

  /** `configured`: the `host[:port]` of every configured registry. */
  constructor(configured: Iterable<string>, opts: { lookup?: LookupFn } = {}) {
    this.#configured = new Set([...configured].map((h) => h.toLowerCase()));
    this.#configuredHostnames = new Set([...this.#configured].map((h) => new URL(`http://${h}`).hostname));
    this.#lookup = opts.lookup ?? defaultLookup;
  }

  isConfigured(hostPort: string): boolean {
    return this.#configured.has(hostPort.toLowerCase());
  }

  /**
   * Refuse (`host-not-allowed`) a URL that is not on a configured registry and is not https, or
   * whose host resolves to any non-public address. `what` names the URL's role in the message.
   */
  async check(url: URL, what: string): Promise<void> {
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      throw new RecipeError('host-not-allowed', `${what} ${redactUrl(url)}: only http(s) is followed`);
    if (this.isConfigured(urlHostPort(url))) return;
    if (url.protocol !== 'https:')
      throw new RecipeError(
        'host-not-allowed',
        `${what} ${redactUrl(url)}: plain http to a host that is not a configured registry`,
      );
    const hostname = url.hostname.replace(/^\[|\]$/g, '');
    let addresses: string[];
    if (isIP(hostname)) addresses = [hostname];
    else {
      try {
        addresses = (await this.#lookup(hostname, {})).map((a) => a.address);
      } catch (err) {
        throw new RecipeError('registry-error', `${what} ${redactUrl(url)}: cannot resolve ${hostname}`, {
          cause: err,
        });
      }
    }
    if (addresses.length === 0)
      throw new RecipeError('registry-error', `${what} ${redactUrl(url)}: ${hostname} has no address`);
    for (const a of addresses) {
      const why = disallowedAddressReason(a);
      if (why)
        throw new RecipeError(
          'host-not-allowed',
          `${what} ${redactUrl(url)}: ${hostname} resolves to a ${why} address (${a}), and it is not a configured registry`,
          {
            details: { host: url.host, address: a },
          },
        );
    }
  }

  /**
   * A `lookup` for undici's connector: names of configured registries resolve as usual; any other
   * name fails when it resolves to a non-public address. This re-checks at connect time, so a DNS
   * answer that changed since `check` (rebinding) cannot reach a private address.
   */
  connectLookup(): (hostname: string, options: LookupOptions, cb: (...args: unknown[]) => void) => void {
    return (hostname, options, cb) => {
      dnsLookup(hostname, { ...options, all: true }, (err, addrs) => {
        if (err) return cb(err);
        if (!this.#configuredHostnames.has(hostname.toLowerCase())) {
          const bad = addrs.find((a) => disallowedAddressReason(a.address));
          if (bad)
            return cb(
              new RecipeError(
                'host-not-allowed',
                `${hostname} resolves to a ${disallowedAddressReason(bad.address)} address (${bad.address})`,
              ),
            );
        }
        if (options.all) return cb(null, addrs);
        const first = addrs[0];
        if (!first) return cb(new RecipeError('registry-error', `${hostname} has no address`));
        cb(null, first.address, first.family);
      });
    };
  }
}
