/**
 * THE table of webhook senders. Everything else follows from it: the configuration's sender names
 * (shared/config/config-schema.ts), one route per sender (`POST /v1/webhooks/<name>`), its line in
 * the access table, and the docs' list. Adding a sender is one file and one line here.
 */
import { acrSender } from './acr.js';
import { distributionSender } from './distribution.js';
import { dockerHubSender } from './dockerhub.js';
import { githubSender } from './github.js';
import { gitlabSender } from './gitlab.js';
import { harborSender } from './harbor.js';
import { quaySender } from './quay.js';

export const SENDERS = [
  distributionSender,
  harborSender,
  githubSender,
  dockerHubSender,
  quaySender,
  acrSender,
  gitlabSender,
] as const;

/** One of the senders of the table. */
export type KnownSender = (typeof SENDERS)[number];

/** A sender's name, as configuration and routes spell it. */
export type Sender = KnownSender['name'];

export const SENDER_NAMES: readonly Sender[] = SENDERS.map((s) => s.name);
