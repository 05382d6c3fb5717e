/**
 * Which configured registry a webhook event is about (never a URL from the body):
 *   1. the `registry` query parameter, when it names a configured registry;
 *   2. the registry whose own webhook secret the sender presented;
 *   3. the sender's own registry (docker.io for Docker Hub, ghcr.io for GitHub) if configured;
 *   4. the host named in the event, if it is a configured registry.
 * Undefined: acknowledge, count, never fetch.
 */
import type { Config, RegistryConfig, Sender } from './config-schema.js';
import { findRegistry } from './load-config.js';

export interface RegistryChoiceInput {
  queryRegistry?: string;
  bound?: RegistryConfig;
  ownRegistry?: string;
  eventHost?: string;
}

export function chooseRegistry(
  config: Pick<Config, 'registries'>,
  input: RegistryChoiceInput,
): RegistryConfig | undefined {
  if (input.queryRegistry !== undefined) return findRegistry(config, input.queryRegistry);
  if (input.bound) return input.bound;
  if (input.ownRegistry !== undefined) {
    const own = findRegistry(config, input.ownRegistry);
    if (own) return own;
  }
  if (input.eventHost !== undefined) return findRegistry(config, input.eventHost);
  return undefined;
}

/**
 * The secrets a sender may present, and the registry each binds to: with `?registry=` naming a
 * registry that has its own secret, only that one, and only on the route of the sender it is
 * configured for; otherwise the global secret (binding nothing)
 * and every per-registry secret of this sender (binding its registry).
 */
export function senderSecrets(
  config: Pick<Config, 'registries' | 'webhooks'>,
  sender: Sender,
  queryRegistry: string | undefined,
): { secret: string; registry?: RegistryConfig }[] {
  const named = queryRegistry !== undefined ? findRegistry(config, queryRegistry) : undefined;
  if (named?.webhook?.secret !== undefined)
    // One sender per registry: its secret proves nothing on another sender's route.
    return (named.webhook.sender ?? 'distribution') === sender
      ? [{ secret: named.webhook.secret, registry: named }]
      : [];
  const out: { secret: string; registry?: RegistryConfig }[] = [];
  if (config.webhooks.secret !== undefined) out.push({ secret: config.webhooks.secret });
  if (queryRegistry === undefined)
    for (const r of config.registries)
      if (r.webhook?.secret !== undefined && (r.webhook.sender ?? 'distribution') === sender)
        out.push({ secret: r.webhook.secret, registry: r });
  return out;
}
