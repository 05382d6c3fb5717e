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
import type { RedisClient } from '../../../../shared/store/redis-connection.js';

/** How long a delivery id is remembered: GitHub redelivers by hand for up to 3 days. */
export const DELIVERY_TTL_SECONDS = 4 * 24 * 60 * 60;

/** The Redis key remembering one delivery of `sender` (to one `?registry=` target). */
export function deliveryKey(
  prefix: string,
  sender: string,
  registryParam: string | undefined,
  deliveryId: string,
): string {
  const h = createHash('sha256')
    .update(`${sender}\u0000${registryParam ?? ''}\u0000${deliveryId}`)
    .digest('hex');
  return `${prefix}:webhook-delivery:${h}`;
}

/** Whether this delivery was queued before (within the TTL). */
export async function deliverySeen(redis: RedisClient, key: string): Promise<boolean> {
  return (await redis.exists(key)) > 0;
}

/** Remember a delivery whose work is queued. */
export async function rememberDelivery(
  redis: RedisClient,
  key: string,
  ttlSeconds = DELIVERY_TTL_SECONDS,
): Promise<void> {
  await redis.set(key, '1', 'EX', ttlSeconds);
}
