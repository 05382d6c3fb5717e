/**
 * GitHub Packages (ghcr.io) webhooks: the `package` event and its older name `registry_package`,
 * actions `published` and `updated`, container packages only. The body names the package
 * (`owner.login` + `name`, lower-cased as image references are), the version's digest and its tag;
 * `package_url` and `registry.url` are data, never fetched. Authenticated by
 * `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, raw body)>` over the exact bytes received,
 * compared in constant time. `X-GitHub-Delivery` stays the same on redeliveries: it dedupes them.
 * GitHub's `ping` event (sent when the hook is created) is acknowledged and ignored.
 */
import { RecipeError } from '../errors.js';
import { isDigest } from '../content/digest.js';
import type { ParsedDelivery, WebhookSender } from './sender.js';
import { checkedPush, header, hmacSha256Secret, isObj, str } from './sender-helpers.js';

/** The registry GitHub's container packages live in. */
export const GHCR = 'ghcr.io';

const ACTIONS = new Set(['published', 'updated']);

export function parseGithub(body: unknown): ParsedDelivery {
  if (!isObj(body)) throw new RecipeError('parse-error', 'not a GitHub webhook payload (not an object)');
  const out: ParsedDelivery = { pushes: [], ignored: [] };
  const key = isObj(body.package) ? 'package' : isObj(body.registry_package) ? 'registry_package' : undefined;
  if (key === undefined) {
    // ping, or an event this hook was subscribed to by mistake: acknowledge, never scan.
    const what = typeof body.zen === 'string' ? 'ping' : (str(body.action) ?? 'unknown').slice(0, 100);
    out.ignored.push({ action: what, reason: 'not a package event' });
    return out;
  }
  const pkg = body[key] as Record<string, unknown>;
  const action = (str(body.action) ?? 'unknown').slice(0, 100);
  if (!ACTIONS.has(action)) {
    out.ignored.push({ action, reason: `${key} ${action} events are not scanned` });
    return out;
  }
  const type = (str(pkg.package_type) ?? '').toLowerCase();
  if (type !== 'container') {
    out.ignored.push({ action, reason: `not a container package (${type.slice(0, 50) || 'no type'})` });
    return out;
  }
  const owner = isObj(pkg.owner) ? str(pkg.owner.login) : undefined;
  const name = str(pkg.name);
  const version = isObj(pkg.package_version) ? pkg.package_version : {};
  const meta = isObj(version.container_metadata) ? version.container_metadata : {};
  const metaTag = isObj(meta.tag) ? meta.tag : {};
  const metaManifest = isObj(meta.manifest) ? meta.manifest : {};
  const digest = [version.version, version.name, metaManifest.digest, metaTag.digest].find(isDigest);
  const push = checkedPush({
    repository: owner && name ? `${owner}/${name}`.toLowerCase() : undefined,
    digest,
    tag: str(metaTag.name),
    mediaType: str(metaManifest.media_type),
  });
  if (typeof push === 'string') out.ignored.push({ action, reason: push });
  else out.pushes.push(push);
  return out;
}

export const githubSender: WebhookSender<'github'> = {
  name: 'github',
  ownRegistry: GHCR,
  authenticate(req, secrets) {
    return hmacSha256Secret(req.rawBody, header(req, 'x-hub-signature-256'), secrets);
  },
  parse: parseGithub,
  deliveryId(req) {
    const id = header(req, 'x-github-delivery');
    return id && id.length <= 200 ? id : undefined;
  },
};
