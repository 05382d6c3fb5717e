/**
 * POST /v1/webhooks/<sender>, one route per sender of shared/webhooks/senders.ts: authenticate the
 * sender, turn its body into pushes, pick each push's registry from configuration, submit one job
 * per manifest (a resolve job when only a tag is known), answer 202 once queued. Deletions (from the
 * senders that announce them) are recorded in the store: the image marked deleted, its tags dropped,
 * its recipe kept. Everything else is acknowledged with 200 so that senders that retry non-2xx
 * forever (distribution) do not block.
 * 401: bad secret (counted against the client's address; past its budget 429: auth-failure-limit.ts);
 * 413: body too large; 415: not JSON; 503: Redis unreachable (the sender retries, nothing is lost).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { RegistryConfig } from '../../../shared/config/config-schema.js';
import { chooseRegistry, senderSecrets } from '../../../shared/config/webhook-routing.js';
import { RecipeError } from '../../../shared/errors.js';
import type { Submitted } from '../../../shared/queue/scan-requests.js';
import { SENDERS, type KnownSender } from '../../../shared/webhooks/senders.js';
import type { ParsedDelivery, SenderPush, WebhookRequest } from '../../../shared/webhooks/sender.js';
import { problemResponses } from '../schemas/common.js';
import { ValidationReplySchema, WebhookQuery, WebhookReplySchema } from '../schemas/webhooks.js';

const JSONISH = /^(application\/(json|[\w.+-]+\+json)|text\/json)\s*(;|$)/i;

type QueuedItem = { id: string; image: string; existed: boolean };

export default async function webhookRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
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
          querystring: WebhookQuery,
          response: {
            200: Type.Union([WebhookReplySchema, ValidationReplySchema]),
            202: WebhookReplySchema,
            ...problemResponses,
          },
        },
      },
      async (req, reply) => {
        const input: WebhookRequest = {
          headers: req.headers,
          query: req.query,
          rawBody: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
        };
        const auth = authenticate(app, req, sender, input);
        if (!auth.ok) {
          app.webhookCounters.add(sender.name, 'unauthorized');
          if (app.authFailures.fail(req, reply)) return reply;
          throw new RecipeError('unauthorized', auth.why);
        }
        const bound = auth.registry;
        const body = jsonBody(app, req, sender, input.rawBody);
        const delivery = sender.parse(body);
        app.webhookCounters.add(sender.name, 'ignored', delivery.ignored.length);
        if (delivery.ignored.length > 0)
          req.log.debug({ sender: sender.name, ignored: delivery.ignored }, 'webhook events ignored');
        if (delivery.reply !== undefined) {
          req.log.info({ sender: sender.name }, 'webhook subscription validation answered');
          return reply.code(200).send(delivery.reply);
        }
        const id = sender.deliveryId?.(input, body);
        const seenBefore = { sender: sender.name, registryParam: req.query.registry, id: id ?? '' };
        if (id !== undefined && (await app.deliveries.seen(seenBefore))) {
          app.webhookCounters.add(sender.name, 'duplicate');
          req.log.info({ sender: sender.name, deliveryId: id }, 'webhook redelivery: already queued');
          const ignored = delivery.ignored.length;
          return reply.code(200).send({ queued: [], ignored, unconfigured: 0, duplicateDelivery: true });
        }
        const out = await submitPushes(app, req, sender, delivery, bound);
        const deleted = await recordDeletions(app, req, sender, delivery, bound);
        if (id !== undefined)
          // The work is queued; if this fails a redelivery only finds its jobs already there.
          await app.deliveries.remember(seenBefore).catch((err: unknown) => {
            req.log.warn({ err, sender: sender.name }, 'could not remember the webhook delivery id');
          });
        return reply.code(out.queued.length > 0 ? 202 : 200).send({
          queued: out.queued,
          ignored: delivery.ignored.length,
          unconfigured: out.unconfigured + deleted.unconfigured,
          ...(deleted.recorded > 0 ? { deleted: deleted.recorded } : {}),
        });
      },
    );
  }
}

/**
 * The secret the request proves, and the registry that secret is bound to (undefined: the global
 * secret), or why it proves none. Every candidate is compared in constant time.
 */
function authenticate(
  app: FastifyInstance,
  req: FastifyRequest<{ Querystring: { registry?: string } }>,
  sender: KnownSender,
  input: WebhookRequest,
): { ok: true; registry: RegistryConfig | undefined } | { ok: false; why: string } {
  const secrets = senderSecrets(app.config, sender.name, req.query.registry);
  const matched =
    secrets.length === 0
      ? -1
      : sender.authenticate(
          input,
          secrets.map((s) => s.secret),
        );
  if (matched >= 0) return { ok: true, registry: secrets[matched]?.registry };
  return {
    ok: false,
    why:
      secrets.length === 0
        ? 'no webhook secret is configured for this sender and registry'
        : 'webhook secret missing or wrong',
  };
}

/** The body as JSON: `unsupported-media-type` for another content type, `parse-error` for bad JSON. */
function jsonBody(app: FastifyInstance, req: FastifyRequest, sender: KnownSender, raw: Buffer): unknown {
  const contentType = req.headers['content-type'] ?? '';
  if (!JSONISH.test(contentType)) {
    app.webhookCounters.add(sender.name, 'invalid');
    throw new RecipeError(
      'unsupported-media-type',
      `webhook bodies are JSON, not ${JSON.stringify(contentType.slice(0, 100))}`,
    );
  }
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    app.webhookCounters.add(sender.name, 'invalid');
    throw new RecipeError('parse-error', 'webhook body is not valid JSON');
  }
}

/** The configured registry an event is about (webhook-routing.ts), or undefined (counted, logged). */
function eventRegistry(
  app: FastifyInstance,
  req: FastifyRequest<{ Querystring: { registry?: string } }>,
  sender: KnownSender,
  event: Pick<SenderPush, 'repository' | 'host'>,
  bound: RegistryConfig | undefined,
): RegistryConfig | undefined {
  const registry = chooseRegistry(app.config, {
    ...(req.query.registry !== undefined ? { queryRegistry: req.query.registry } : {}),
    ...(bound ? { bound } : {}),
    ...(sender.ownRegistry !== undefined ? { ownRegistry: sender.ownRegistry } : {}),
    ...(event.host !== undefined ? { eventHost: event.host } : {}),
  });
  if (!registry) {
    app.webhookCounters.add(sender.name, 'unconfigured');
    req.log.warn(
      {
        sender: sender.name,
        repository: event.repository,
        host: event.host?.slice(0, 255),
        registryParam: req.query.registry?.slice(0, 255),
      },
      'webhook event names no configured registry: acknowledged, not fetched',
    );
  }
  return registry;
}

/** Record every deletion whose registry the configuration knows (the store's one path for them). */
async function recordDeletions(
  app: FastifyInstance,
  req: FastifyRequest<{ Querystring: { registry?: string } }>,
  sender: KnownSender,
  delivery: ParsedDelivery,
  bound: RegistryConfig | undefined,
): Promise<{ recorded: number; unconfigured: number }> {
  let recorded = 0;
  let unconfigured = 0;
  for (const d of delivery.deletes ?? []) {
    const registry = eventRegistry(app, req, sender, d, bound);
    if (!registry) {
      unconfigured++;
      continue;
    }
    const r = await app.store.recordDeletion({
      registry: registry.host,
      repository: d.repository,
      ...(d.digest !== undefined ? { digest: d.digest } : {}),
      ...(d.tag !== undefined ? { tag: d.tag } : {}),
    });
    recorded++;
    app.webhookCounters.add(sender.name, 'deleted');
    req.log.info(
      {
        sender: sender.name,
        registry: registry.host,
        repository: d.repository,
        digest: d.digest,
        tag: d.tag,
        what: r.what,
        known: r.known,
        eventId: d.eventId,
      },
      'deletion recorded',
    );
  }
  return { recorded, unconfigured };
}

/** Submit every push whose registry the configuration knows; the others are counted, never fetched. */
async function submitPushes(
  app: FastifyInstance,
  req: FastifyRequest<{ Querystring: { registry?: string } }>,
  sender: KnownSender,
  delivery: ParsedDelivery,
  bound: RegistryConfig | undefined,
): Promise<{ queued: QueuedItem[]; unconfigured: number }> {
  const queued: QueuedItem[] = [];
  let unconfigured = 0;
  for (const push of delivery.pushes) {
    const registry = eventRegistry(app, req, sender, push, bound);
    if (!registry) {
      unconfigured++;
      continue;
    }
    const ref = {
      registry: registry.host,
      repository: push.repository,
      ...(push.tag !== undefined ? { tag: push.tag } : {}),
      ...(push.digest !== undefined ? { digest: push.digest } : {}),
    };
    let r: Submitted;
    try {
      r = await app.scanRequests.submit(ref, { source: `webhook:${sender.name}` });
    } catch (err) {
      app.webhookCounters.add(sender.name, 'unavailable');
      req.log.error({ err }, 'could not queue a scan');
      throw err instanceof RecipeError
        ? err
        : new RecipeError('unavailable', 'the queue is unavailable', { cause: err });
    }
    queued.push({ id: r.id, image: r.subject, existed: r.existed });
    app.webhookCounters.add(sender.name, r.existed ? 'duplicate' : 'queued');
    req.log.info(
      { sender: sender.name, image: r.subject, jobId: r.id, existed: r.existed, eventId: push.eventId },
      'scan queued',
    );
  }
  return { queued, unconfigured };
}
