/**
 * Quay (quay.io, Red Hat Quay) `repo_push` notifications, method webhook:
 * `{"repository":"ns/repo","docker_url":"quay.io/ns/repo","homepage":…,"updated_tags":["1.0",…]}`.
 * No digest: each updated tag is resolved against the registry. Quay can set no header (its only
 * sender proof is a client TLS certificate), so the secret comes as the `token` query parameter.
 * The registry named by the event is the host of `docker_url`: that is the name images are pulled
 * by (`homepage` is the web UI's address and is not used). It is only a lookup key among configured
 * registries; neither URL is ever fetched.
 */
import { RecipeError } from '../errors.js';
import type { ParsedDelivery, WebhookSender } from './sender.js';
import { checkedPush, hostOf, isObj, MAX_PUSHES, queryTokenSecret, str } from './sender-helpers.js';

export function parseQuay(body: unknown): ParsedDelivery {
  if (!isObj(body) || (typeof body.repository !== 'string' && typeof body.docker_url !== 'string'))
    throw new RecipeError('parse-error', 'not a Quay notification (no "repository" or "docker_url")');
  const out: ParsedDelivery = { pushes: [], ignored: [] };
  const host = hostOf(str(body.docker_url));
  const repository =
    str(body.repository) ??
    (str(body.namespace) && str(body.name) ? `${str(body.namespace)}/${str(body.name)}` : undefined);
  // A list of names; very old payloads had a map of tag → image id.
  const raw = body.updated_tags;
  const tags: unknown[] = Array.isArray(raw) ? raw : isObj(raw) ? Object.keys(raw) : [];
  if (tags.length === 0) {
    // build_* and vulnerability notifications share the URL: acknowledged, nothing to scan.
    out.ignored.push({ action: 'unknown', reason: 'no updated_tags (not a repo_push notification)' });
    return out;
  }
  if (tags.length > MAX_PUSHES)
    throw new RecipeError('size-limit', `more than ${MAX_PUSHES} tags in one Quay notification`);
  for (const tag of tags) {
    const push = checkedPush({ repository, tag: str(tag) ?? '', host });
    if (typeof push === 'string') out.ignored.push({ action: 'push', reason: push });
    else out.pushes.push(push);
  }
  return out;
}

export const quaySender: WebhookSender<'quay'> = {
  name: 'quay',
  authenticate: queryTokenSecret,
  parse: parseQuay,
};
