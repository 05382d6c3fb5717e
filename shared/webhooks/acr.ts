/**
 * Azure Container Registry, two ways in:
 *   - the ACR webhook: one object `{id, action:"push", target:{mediaType, digest, repository, tag},
 *     request:{host}}`; `delete` (a manifest `{repository, digest}`, a repository `{repository}`)
 *     marks images deleted; chart_*, quarantine and `ping` are ignored;
 *   - Event Grid (Event Grid schema): an array of events; `Microsoft.ContainerRegistry.ImagePushed`
 *     and `...ImageDeleted` carry the same object as `data`. `Microsoft.EventGrid.SubscriptionValidationEvent` is the
 *     subscription handshake, answered synchronously with `{"validationResponse": <validationCode>}`
 *     (`validationUrl` is never fetched). Events in the CloudEvents 1.0 schema (`type` instead of
 *     `eventType`) are read too, but that schema's OPTIONS handshake is not served.
 * Authenticated by a configured `Authorization` header (ACR `--headers`, Event Grid delivery
 * properties), `Bearer <secret>` or the bare secret; or by the `token` query parameter, for Event
 * Grid subscriptions that carry the secret in the endpoint URL. `request.host` is only a lookup key
 * among configured registries, never fetched.
 */
import { createHash } from 'node:crypto';
import { RecipeError } from '../errors.js';
import { isImageManifestMediaType, isIndexMediaType } from '../content/media-types.js';
import type { ParsedDelivery, WebhookSender } from './sender.js';
import {
  authorizationSecret,
  checkedDelete,
  checkedPush,
  hostOf,
  isObj,
  MAX_PUSHES,
  queryTokenSecret,
  str,
} from './sender-helpers.js';

export const IMAGE_PUSHED = 'Microsoft.ContainerRegistry.ImagePushed';
export const IMAGE_DELETED = 'Microsoft.ContainerRegistry.ImageDeleted';
export const SUBSCRIPTION_VALIDATION = 'Microsoft.EventGrid.SubscriptionValidationEvent';

/**
 * One ACR event object (the webhook body, or an Event Grid event's `data`); for Event Grid the
 * event type says what happened (`forced`), whatever `data.action` says.
 */
function parseAcrEvent(
  ev: unknown,
  eventId: string | undefined,
  out: ParsedDelivery,
  forced?: 'push' | 'delete',
): void {
  if (!isObj(ev) || !isObj(ev.target)) {
    out.ignored.push({ action: 'unknown', reason: 'malformed event' });
    return;
  }
  const action = forced ?? (str(ev.action) ?? 'unknown').slice(0, 100);
  if (action === 'delete') {
    const t = ev.target;
    const d = checkedDelete({
      repository: str(t.repository),
      digest: str(t.digest),
      tag: str(t.tag),
      host: isObj(ev.request) ? hostOf(str(ev.request.host)) : undefined,
      eventId: eventId ?? str(ev.id),
    });
    if (typeof d === 'string') out.ignored.push({ action, reason: d });
    else (out.deletes ??= []).push(d);
    return;
  }
  if (action !== 'push') {
    out.ignored.push({ action, reason: `${action} events are not scanned` });
    return;
  }
  const t = ev.target;
  const mediaType = str(t.mediaType);
  // ACR may omit the media type; when it names one, it must be an image manifest or index.
  if (mediaType !== undefined && !isImageManifestMediaType(mediaType) && !isIndexMediaType(mediaType)) {
    out.ignored.push({ action, reason: `not an image manifest (${mediaType.slice(0, 100)})` });
    return;
  }
  const push = checkedPush({
    repository: str(t.repository),
    digest: str(t.digest),
    tag: str(t.tag),
    mediaType,
    host: isObj(ev.request) ? hostOf(str(ev.request.host)) : undefined,
    eventId: eventId ?? str(ev.id),
  });
  if (typeof push === 'string') out.ignored.push({ action, reason: push });
  else out.pushes.push(push);
}

/** One Event Grid (or CloudEvents) envelope element. */
function parseGridEvent(ev: unknown, out: ParsedDelivery): void {
  if (!isObj(ev)) {
    out.ignored.push({ action: 'unknown', reason: 'malformed event' });
    return;
  }
  const type = (str(ev.eventType) ?? str(ev.type) ?? 'unknown').slice(0, 200);
  if (type === SUBSCRIPTION_VALIDATION) {
    const code = isObj(ev.data) ? str(ev.data.validationCode) : undefined;
    if (code !== undefined && code.length <= 1000 && out.reply === undefined)
      out.reply = { validationResponse: code };
    else out.ignored.push({ action: type, reason: 'validation event without a usable validationCode' });
    return;
  }
  if (type !== IMAGE_PUSHED && type !== IMAGE_DELETED) {
    out.ignored.push({ action: type, reason: `${type} events are not scanned` });
    return;
  }
  parseAcrEvent(ev.data, str(ev.id), out, type === IMAGE_DELETED ? 'delete' : 'push');
}

export function parseAcr(body: unknown): ParsedDelivery {
  const out: ParsedDelivery = { pushes: [], ignored: [] };
  if (Array.isArray(body)) {
    if (body.length > MAX_PUSHES)
      throw new RecipeError('size-limit', `more than ${MAX_PUSHES} events in one Event Grid delivery`);
    for (const ev of body as unknown[]) parseGridEvent(ev, out);
    return out;
  }
  if (isObj(body) && (typeof body.specversion === 'string' || typeof body.eventType === 'string')) {
    parseGridEvent(body, out);
    return out;
  }
  if (!isObj(body) || typeof body.action !== 'string')
    throw new RecipeError('parse-error', 'not an ACR webhook or Event Grid payload');
  parseAcrEvent(body, undefined, out);
  return out;
}

export const acrSender: WebhookSender<'acr'> = {
  name: 'acr',
  authenticate(req, secrets) {
    const viaHeader = authorizationSecret(req, secrets);
    const viaQuery = queryTokenSecret(req, secrets);
    return viaHeader >= 0 ? viaHeader : viaQuery;
  },
  parse: parseAcr,
  deliveryId(_req, body) {
    // Event Grid retries carry the same event ids; the ACR webhook's `id` is per event too.
    const ids = (Array.isArray(body) ? (body as unknown[]) : [body])
      .map((e) => (isObj(e) ? str(e.id) : undefined))
      .filter((x): x is string => x !== undefined && x !== '');
    if (ids.length === 0 || ids.length !== (Array.isArray(body) ? body.length : 1)) return undefined;
    const joined = ids.sort().join(',');
    return joined.length <= 200 ? joined : `sha256:${createHash('sha256').update(joined).digest('hex')}`;
  },
};
