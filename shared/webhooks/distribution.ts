/**
 * The CNCF distribution notification envelope (registry 2.8 / 3.x, GitLab's registry):
 * `{"events":[{action, target:{mediaType, digest, repository, tag?}, request:{host}}]}`.
 * The sender authenticates with the static `Authorization: Bearer <secret>` header configured in
 * the registry's `notifications.endpoints[].headers`. Manifest pushes are scanned; deletions are
 * read (distribution's notifications bridge: a manifest `{repository, digest}`, a tag
 * `{repository, tag}`, a repository `{repository}`; a blob's deletion looks like a manifest's and
 * names no image the store has, so it changes nothing). `target.url` and `request.host` are never
 * fetched (the host only selects among configured registries).
 * Every event carries an `id` (a UUID) that the registry keeps when it retries an envelope: the
 * delivery id is made of them, so a redelivered envelope is acknowledged and not queued again.
 */
import { createHash } from 'node:crypto';
import { RecipeError } from '../errors.js';
import { isDigest } from '../content/digest.js';
import { isImageManifestMediaType, isIndexMediaType } from '../content/media-types.js';
import { bearerToken, matchSecret } from '../secret-compare.js';
import { checkedDelete, checkedPush } from './sender-helpers.js';
import type { ParsedDelivery, WebhookSender } from './sender.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Largest number of events one envelope may carry. */
export const MAX_EVENTS = 1000;

export function parseDistributionEnvelope(body: unknown): ParsedDelivery {
  if (!isObj(body) || !Array.isArray(body.events))
    throw new RecipeError('parse-error', 'not a distribution notification envelope (no "events" array)');
  if (body.events.length > MAX_EVENTS)
    throw new RecipeError('size-limit', `more than ${MAX_EVENTS} events in one envelope`);
  const out: ParsedDelivery = { pushes: [], deletes: [], ignored: [] };
  for (const ev of body.events as unknown[]) {
    if (!isObj(ev) || !isObj(ev.target)) {
      out.ignored.push({ action: 'unknown', reason: 'malformed event' });
      continue;
    }
    const action = str(ev.action) ?? 'unknown';
    const t = ev.target;
    const mediaType = str(t.mediaType) ?? '';
    if (action === 'delete') {
      const d = checkedDelete({
        repository: str(t.repository),
        digest: str(t.digest),
        tag: str(t.tag),
        host: isObj(ev.request) ? str(ev.request.host) : undefined,
        eventId: str(ev.id),
      });
      if (typeof d === 'string') out.ignored.push({ action, reason: d });
      else out.deletes!.push(d);
      continue;
    }
    if (action !== 'push') {
      out.ignored.push({ action, reason: `${action} events are not scanned` });
      continue;
    }
    if (!isImageManifestMediaType(mediaType) && !isIndexMediaType(mediaType)) {
      out.ignored.push({
        action,
        reason:
          mediaType === 'application/octet-stream'
            ? 'blob push'
            : `not an image manifest (${mediaType.slice(0, 100)})`,
      });
      continue;
    }
    const repository = str(t.repository);
    const digest = str(t.digest);
    if (repository === undefined || !isDigest(digest)) {
      out.ignored.push({ action, reason: 'manifest push without repository or valid digest' });
      continue;
    }
    const push = checkedPush({
      repository,
      digest,
      tag: str(t.tag),
      mediaType,
      host: isObj(ev.request) ? str(ev.request.host) : undefined,
      eventId: str(ev.id),
    });
    if (typeof push === 'string') {
      out.ignored.push({ action, reason: push });
      continue;
    }
    out.pushes.push(push);
  }
  return out;
}

export const distributionSender: WebhookSender<'distribution'> = {
  name: 'distribution',
  authenticate(req, secrets) {
    return matchSecret(bearerToken(req.headers.authorization), secrets);
  },
  parse: parseDistributionEnvelope,
  deliveryId(_req, body) {
    if (!isObj(body) || !Array.isArray(body.events) || body.events.length === 0) return undefined;
    const events = body.events as unknown[];
    const ids = events
      .map((e) => (isObj(e) ? str(e.id) : undefined))
      .filter((x): x is string => x !== undefined && x !== '');
    // An envelope with an event lacking its id cannot be told from another: no dedupe.
    if (ids.length !== events.length) return undefined;
    const joined = ids.join(',');
    return joined.length <= 200 ? joined : `sha256:${createHash('sha256').update(joined).digest('hex')}`;
  },
};
