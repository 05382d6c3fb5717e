/**
 * A webhook sender: how it proves who it is and how its body becomes pushes. One file per sender,
 * listed once in senders.ts; the API's webhook route (services/api/routes/webhooks.ts) does the rest
 * the same way for all: registry choice, submission, counting, answering.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Digest } from '../content/digest.js';
import type { Reference } from '../oci/reference.js';

/** What a sender's authentication may look at. */
export interface WebhookRequest {
  headers: IncomingHttpHeaders;
  query: Record<string, string | undefined>;
  /** The body exactly as received (for HMAC signatures). */
  rawBody: Buffer;
}

/**
 * One announced manifest push: a reference without its registry (decided from configuration, never
 * from the body), plus what the sender said about it.
 */
export interface SenderPush extends Omit<Reference, 'registry'> {
  mediaType?: string;
  /** The registry host the event names (untrusted: only compared with configured registries). */
  host?: string;
  /** The sender's id of the event (for logs and dedupe of redeliveries). */
  eventId?: string;
}

/**
 * One announced deletion, like a push without its registry: a manifest (`digest`), a tag (`tag`
 * alone), or, with neither, the whole repository.
 */
export interface SenderDelete {
  repository: string;
  digest?: Digest;
  tag?: string;
  /** The registry host the event names (untrusted: only compared with configured registries). */
  host?: string;
  eventId?: string;
}

export interface ParsedDelivery {
  pushes: SenderPush[];
  /** Deletions announced (by the senders that send them: distribution, GitLab, Harbor, ACR). */
  deletes?: SenderDelete[];
  /** Events acknowledged and dropped (pulls, blobs, malformed...), with why. */
  ignored: { action: string; reason: string }[];
  /**
   * A body the sender requires as the answer, instead of the usual reply (Event Grid's subscription
   * validation handshake: `{ validationResponse }`); answered 200, nothing queued.
   */
  reply?: { validationResponse: string };
}

export interface WebhookSender<Name extends string = string> {
  /** The route is `POST /v1/webhooks/<name>`; configuration names the sender so. */
  name: Name;
  /** The registry this sender always speaks for (`docker.io` for Docker Hub), if any. */
  ownRegistry?: string;
  /** Index of the candidate secret the request proves, or -1. Must compare in constant time. */
  authenticate(req: WebhookRequest, secrets: readonly string[]): number;
  /** The parsed JSON body as pushes; throws RecipeError `parse-error` when it is not this sender's format at all. */
  parse(body: unknown): ParsedDelivery;
  /**
   * The sender's id of this delivery, the same on its retries and redeliveries (GitHub's
   * X-GitHub-Delivery, Harbor's event id): a delivery already queued is acknowledged, not queued again.
   */
  deliveryId?(req: WebhookRequest, body: unknown): string | undefined;
}
