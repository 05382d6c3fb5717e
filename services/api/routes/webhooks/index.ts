/**
 * POST /v1/webhooks/<sender>: authenticate the sender, turn its body into pushes, pick the
 * registry from configuration, enqueue one job per manifest (a resolve job when only a tag is
 * known), answer 202 once queued. Everything else is acknowledged with 200 so that senders that
 * retry non-2xx forever (distribution) do not block. 401: bad secret (counted against the client's
 * address, then 429: auth-failure-limit.ts); 413: body too large;
 * 503: Redis unreachable (the sender retries, nothing is lost).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { RecipeError } from '../../../../shared/errors.js';
import type { Reference } from '../../../../shared/oci/reference.js';
import type { Submitted } from '../../../../shared/queue/scan-requests.js';
import { ProblemSchema } from '../../problem.js';
import { withTimeout } from '../../with-timeout.js';
import { chooseRegistry, senderSecrets } from './choose-registry.js';
import { distributionSender } from './distribution.js';
import type { WebhookSender } from './sender.js';
import { acrSender } from './acr.js';
import { deliveryKey, deliverySeen, rememberDelivery } from './delivery-dedupe.js';
import { dockerHubSender } from './dockerhub.js';
import { githubSender } from './github.js';
import { gitlabSender } from './gitlab.js';
import { harborSender } from './harbor.js';
import { quaySender } from './quay.js';

/** Every sender served. */
export const SENDERS: readonly WebhookSender[] = [
  distributionSender,
  harborSender,
  githubSender,
  dockerHubSender,
  quaySender,
  acrSender,
  gitlabSender,
];

const JSONISH = /^(application\/(json|[\w.+-]+\+json)|text\/json)\s*(;|$)/i;

export const WebhookReplySchema = Type.Object(
  {
    queued: Type.Array(Type.Object({ id: Type.String(), image: Type.String(), existed: Type.Boolean() })),
    ignored: Type.Integer(),
    unconfigured: Type.Integer(),
    /** True when this delivery id was queued before (a redelivery): nothing queued again. */
    duplicateDelivery: Type.Optional(Type.Boolean()),
  },
  { title: 'WebhookReply' },
);

/** Event Grid's subscription validation handshake answer (acr). */
export const ValidationReplySchema = Type.Object(
  { validationResponse: Type.String() },
  { title: 'WebhookValidationReply' },
);

const QuerySchema = Type.Object({ registry: Type.Optional(Type.String({ maxLength: 255 })) });

export default async function webhookRoutes(app: FastifyInstance): Promise<void> {
  const limit = app.config.webhooks.bodyLimitBytes;
  // Raw bytes for every content type (HMAC senders need them); JSON is parsed after authentication.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: limit }, (_req, body, done) =>
    done(null, body),
  );

  for (const sender of SENDERS) {
    app.post(
      `/v1/webhooks/${sender.name}`,
      {
        bodyLimit: limit,
        schema: {
          summary: `Push notifications from ${sender.name}`,
          tags: ['webhooks'],
          querystring: QuerySchema,
          response: {
            200: Type.Union([WebhookReplySchema, ValidationReplySchema]),
            202: WebhookReplySchema,
            '4xx': ProblemSchema,
            '5xx': ProblemSchema,
          },
        },
      },
      async (req, reply) => {
        const counters = app.webhookCounters;
        // Checked again here, right before the secret is: a client may have failed meanwhile.
        if (app.authFailures.refuse(req, reply)) return reply;
        const query = req.query as { registry?: string };
        const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        const secrets = senderSecrets(app.config, sender.name, query.registry);
        const matched =
          secrets.length === 0
            ? -1
            : sender.authenticate(
                { headers: req.headers, query: req.query as Record<string, string>, rawBody },
                secrets.map((s) => s.secret),
              );
        if (matched < 0) {
          counters.add(sender.name, 'unauthorized');
          app.authFailures.recordFailure(req);
          throw new RecipeError(
            'unauthorized',
            secrets.length === 0
              ? 'no webhook secret is configured for this sender and registry'
              : 'webhook secret missing or wrong',
          );
        }
        const contentType = req.headers['content-type'] ?? '';
        if (!JSONISH.test(contentType)) {
          counters.add(sender.name, 'invalid');
          throw new RecipeError(
            'unsupported-media-type',
            `webhook bodies are JSON, not ${JSON.stringify(contentType.slice(0, 100))}`,
          );
        }
        let body: unknown;
        try {
          body = JSON.parse(rawBody.toString('utf8'));
        } catch {
          counters.add(sender.name, 'invalid');
          throw new RecipeError('parse-error', 'webhook body is not valid JSON');
        }
        const delivery = sender.parse(body);
        counters.add(sender.name, 'ignored', delivery.ignored.length);
        if (delivery.ignored.length > 0)
          req.log.debug({ sender: sender.name, ignored: delivery.ignored }, 'webhook events ignored');
        if (delivery.reply !== undefined) {
          req.log.info({ sender: sender.name }, 'webhook subscription validation answered');
          return reply.code(200).send(delivery.reply);
        }
        // Redeliveries (same delivery id) of work already queued are acknowledged, not queued again.
        const deliveryId = sender.deliveryId?.(
          { headers: req.headers, query: req.query as Record<string, string>, rawBody },
          body,
        );
        const dedupeKey =
          deliveryId === undefined
            ? undefined
            : deliveryKey(app.config.redis.keyPrefix, sender.name, query.registry, deliveryId);
        if (
          dedupeKey !== undefined &&
          (await withTimeout(deliverySeen(app.redis, dedupeKey), app.config.redis.commandTimeoutMs, 'store'))
        ) {
          counters.add(sender.name, 'duplicate');
          req.log.info({ sender: sender.name, deliveryId }, 'webhook redelivery: already queued');
          return reply
            .code(200)
            .send({ queued: [], ignored: delivery.ignored.length, unconfigured: 0, duplicateDelivery: true });
        }

        const bound = secrets[matched]?.registry;
        const queued: { id: string; image: string; existed: boolean }[] = [];
        let unconfigured = 0;
        for (const push of delivery.pushes) {
          const registry = chooseRegistry(app.config, {
            ...(query.registry !== undefined ? { queryRegistry: query.registry } : {}),
            ...(bound ? { bound } : {}),
            ...(sender.ownRegistry !== undefined ? { ownRegistry: sender.ownRegistry } : {}),
            ...(push.host !== undefined ? { eventHost: push.host } : {}),
          });
          if (!registry) {
            unconfigured++;
            counters.add(sender.name, 'unconfigured');
            req.log.warn(
              {
                sender: sender.name,
                repository: push.repository,
                host: push.host?.slice(0, 255),
                registryParam: query.registry?.slice(0, 255),
              },
              'webhook event names no configured registry: acknowledged, not fetched',
            );
            continue;
          }
          const ref = {
            registry: registry.host,
            repository: push.repository,
            ...(push.tag !== undefined ? { tag: push.tag } : {}),
            ...(push.digest !== undefined ? { digest: push.digest } : {}),
          };
          const r = await submitOrUnavailable(app, req, sender.name, ref);
          const image = r.subject;
          queued.push({ id: r.id, image, existed: r.existed });
          counters.add(sender.name, r.existed ? 'duplicate' : 'queued');
          req.log.info(
            { sender: sender.name, image, jobId: r.id, existed: r.existed, eventId: push.eventId },
            'scan queued',
          );
        }
        if (dedupeKey !== undefined) {
          try {
            await withTimeout(
              rememberDelivery(app.redis, dedupeKey),
              app.config.redis.commandTimeoutMs,
              'store',
            );
          } catch (err) {
            // The work is queued; a redelivery will only find its jobs already there.
            req.log.warn({ err, sender: sender.name }, 'could not remember the webhook delivery id');
          }
        }
        return reply
          .code(queued.length > 0 ? 202 : 200)
          .send({ queued, ignored: delivery.ignored.length, unconfigured });
      },
    );
  }
}

async function submitOrUnavailable(
  app: FastifyInstance,
  req: FastifyRequest,
  sender: string,
  ref: Reference,
): Promise<Submitted> {
  try {
    return await withTimeout(
      app.scanRequests.submit(ref, { source: `webhook:${sender}` }),
      app.config.redis.commandTimeoutMs,
      'queue',
    );
  } catch (err) {
    app.webhookCounters.add(sender, 'unavailable');
    req.log.error({ err }, 'could not queue a scan');
    throw err instanceof RecipeError
      ? err
      : new RecipeError('unavailable', 'the queue is unavailable', { cause: err });
  }
}
