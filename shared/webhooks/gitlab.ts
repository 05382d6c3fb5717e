/**
 * GitLab's container registry (self-managed; GitLab.com has no registry webhooks) notifies with
 * the CNCF distribution envelope: the distribution sender under its own name, so that GitLab's
 * deliveries are counted apart and a registry can bind its own secret to `sender: "gitlab"`.
 * Configure it in gitlab.rb `registry['notifications']` with an `Authorization: Bearer <secret>` header.
 */
import { distributionSender } from './distribution.js';
import type { WebhookSender } from './sender.js';

export const gitlabSender: WebhookSender<'gitlab'> = { ...distributionSender, name: 'gitlab' };
