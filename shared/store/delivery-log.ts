/**
 * Redeliveries of one webhook delivery (GitHub's `X-GitHub-Delivery`, Harbor's and ACR/Event Grid's
 * event ids) are acknowledged and not queued again. One Redis key per delivery, written with a TTL
 * only AFTER the delivery's work was queued: a delivery that failed (503) is never remembered, so
 * the sender's retry still gets through; two copies arriving at once both pass, and the queue's
 * deterministic job ids (registry/repo@digest, registry/repo:tag) make the second a no-op.
 *
 * Keys: `<redis.keyPrefix>:webhook-delivery:<hex sha256 of sender, ?registry= and the id>`.
 */
import { createHash } from 'node:crypto';
import { withDeadline } from './deadline.js';
import type { RedisClient } from './redis-connection.js';

/** How long a delivery id is remembered: GitHub redelivers by hand for up to 3 days. */
export const DELIVERY_TTL_SECONDS = 4 * 24 * 60 * 60;

/** One delivery: the sender, the `?registry=` it was sent to, and the sender's id of it. */
export interface Delivery {
  sender: string;
  registryParam: string | undefined;
  id: string;
}

export class DeliveryLog {
  constructor(
    private readonly redis: RedisClient,
    private readonly opts: { prefix: string; deadlineMs?: number; ttlSeconds?: number },
  ) {}

  /** The Redis key remembering one delivery. */
  key(d: Delivery): string {
    const h = createHash('sha256')
      .update(`${d.sender}\u0000${d.registryParam ?? ''}\u0000${d.id}`)
      .digest('hex');
    return `${this.opts.prefix}:webhook-delivery:${h}`;
  }

  /** Whether this delivery was queued before (within the TTL). */
  async seen(d: Delivery): Promise<boolean> {
    return (await withDeadline(this.redis.exists(this.key(d)), this.opts.deadlineMs, 'the store')) > 0;
  }

  /** Remember a delivery whose work is queued. */
  async remember(d: Delivery): Promise<void> {
    const ttl = this.opts.ttlSeconds ?? DELIVERY_TTL_SECONDS;
    await withDeadline(this.redis.set(this.key(d), '1', 'EX', ttl), this.opts.deadlineMs, 'the store');
  }
}
