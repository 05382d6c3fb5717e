/**
 * Harbor webhooks, both payload formats of a webhook policy:
 *   - Default (`application/json`): `{"type":"PUSH_ARTIFACT","occur_at":…,"event_data":{"resources":
 *     [{digest,tag,resource_url}],"repository":{"repo_full_name":"project/repo"}}}`;
 *   - CloudEvents (`application/cloudevents+json`, Harbor ≥ 2.8): `{"specversion":"1.0","id":…,
 *     "type":"harbor.artifact.pushed","data":{same event data}}`.
 * Authenticated by the policy's `auth_header`, sent verbatim as `Authorization` (`Bearer <secret>`
 * or the bare secret). A push without a tag carries its digest in `tag`: that is "no tag". The host
 * of `resource_url` only selects among configured registries; it is never fetched. Delivery ids for
 * dedupe: the CloudEvents `id`; the Default format has none, so the hash of the exact bytes (Harbor
 * retries resend them unchanged, and `occur_at` tells a later push apart).
 * Deletions: `DELETE_ARTIFACT` / `harbor.artifact.deleted` carry the same event data; each resource's
 * digest is the artifact deleted, with all its tags (its `tag` is only the first of them).
 */
import { createHash } from 'node:crypto';
import { RecipeError } from '../errors.js';
import type { ParsedDelivery, WebhookSender } from './sender.js';
import {
  authorizationSecret,
  checkedDelete,
  checkedPush,
  hostOf,
  isDigestTag,
  isObj,
  MAX_PUSHES,
  str,
} from './sender-helpers.js';

const PUSH_TYPES = new Set(['PUSH_ARTIFACT', 'harbor.artifact.pushed']);
const DELETE_TYPES = new Set(['DELETE_ARTIFACT', 'harbor.artifact.deleted']);

/** Harbor's event data (`event_data` of Default, `data` of CloudEvents) as pushes or deletions. */
function parseEventData(
  type: string,
  data: unknown,
  eventId: string | undefined,
  out: ParsedDelivery,
  deleted: boolean,
): void {
  if (!isObj(data) || !Array.isArray(data.resources)) {
    out.ignored.push({ action: type, reason: 'push event without resources' });
    return;
  }
  if (data.resources.length > MAX_PUSHES)
    throw new RecipeError('size-limit', `more than ${MAX_PUSHES} resources in one Harbor event`);
  const repo = isObj(data.repository) ? data.repository : {};
  const fullName =
    str(repo.repo_full_name) ??
    (str(repo.namespace) && str(repo.name) ? `${str(repo.namespace)}/${str(repo.name)}` : undefined);
  for (const res of data.resources as unknown[]) {
    if (!isObj(res)) {
      out.ignored.push({ action: type, reason: 'malformed resource' });
      continue;
    }
    const rawTag = str(res.tag);
    if (deleted) {
      const d = str(res.digest)
        ? checkedDelete({
            repository: fullName,
            digest: str(res.digest),
            host: hostOf(str(res.resource_url)),
            eventId,
          })
        : 'artifact deletion without a digest';
      if (typeof d === 'string') out.ignored.push({ action: type, reason: d });
      else (out.deletes ??= []).push(d);
      continue;
    }
    const push = checkedPush({
      repository: fullName,
      digest: str(res.digest),
      tag: rawTag !== undefined && isDigestTag(rawTag) ? undefined : rawTag,
      host: hostOf(str(res.resource_url)),
      eventId,
    });
    if (typeof push === 'string') out.ignored.push({ action: type, reason: push });
    else out.pushes.push(push);
  }
}

export function parseHarbor(body: unknown): ParsedDelivery {
  if (!isObj(body) || typeof body.type !== 'string')
    throw new RecipeError('parse-error', 'not a Harbor webhook payload (no "type")');
  const out: ParsedDelivery = { pushes: [], ignored: [] };
  const cloudEvent = typeof body.specversion === 'string';
  const type = body.type.slice(0, 100);
  const deleted = DELETE_TYPES.has(type);
  if (!PUSH_TYPES.has(type) && !deleted) {
    out.ignored.push({ action: type, reason: `${type} events are not scanned` });
    return out;
  }
  const data = cloudEvent ? body.data : body.event_data;
  parseEventData(type, data, cloudEvent ? str(body.id) : undefined, out, deleted);
  return out;
}

export const harborSender: WebhookSender<'harbor'> = {
  name: 'harbor',
  authenticate: authorizationSecret,
  parse: parseHarbor,
  deliveryId(req, body) {
    if (isObj(body) && typeof body.specversion === 'string') {
      const id = str(body.id);
      return id ? `ce:${id.slice(0, 200)}` : undefined;
    }
    return `sha256:${createHash('sha256').update(req.rawBody).digest('hex')}`;
  },
};
