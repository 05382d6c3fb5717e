/**
 * Docker Hub webhooks: `{"push_data":{"tag"},"repository":{"repo_name","namespace","name"},
 * "callback_url"}`. No event type, no digest: the tag is resolved against the registry (a resolve
 * job, then the digest's scan job). Docker Hub can set no header and signs nothing, so the secret
 * comes as the `token` query parameter (hidden in every log line by the logger's URL serializer).
 * `callback_url` is Docker Hub's legacy validation hook and is never called.
 */
import { RecipeError } from '../errors.js';
import { DOCKER_HUB } from '../oci/reference.js';
import type { ParsedDelivery, WebhookSender } from './sender.js';
import { checkedPush, isObj, queryTokenSecret, str } from './sender-helpers.js';

export function parseDockerHub(body: unknown): ParsedDelivery {
  if (!isObj(body) || !isObj(body.repository) || !isObj(body.push_data))
    throw new RecipeError(
      'parse-error',
      'not a Docker Hub webhook payload (no "repository" and "push_data" objects)',
    );
  const out: ParsedDelivery = { pushes: [], ignored: [] };
  const repo = body.repository;
  const namespace = str(repo.namespace);
  const name = str(repo.name);
  let repository = str(repo.repo_name) ?? (name ? `${namespace ?? 'library'}/${name}` : undefined);
  // Official images may be named without their `library/` namespace.
  if (repository !== undefined && !repository.includes('/')) repository = `library/${repository}`;
  const push = checkedPush({ repository, tag: str(body.push_data.tag) });
  if (typeof push === 'string') out.ignored.push({ action: 'push', reason: push });
  else if (push.tag === undefined) out.ignored.push({ action: 'push', reason: 'no tag' });
  else out.pushes.push(push);
  return out;
}

export const dockerHubSender: WebhookSender<'dockerhub'> = {
  name: 'dockerhub',
  ownRegistry: DOCKER_HUB,
  authenticate: queryTokenSecret,
  parse: parseDockerHub,
};
