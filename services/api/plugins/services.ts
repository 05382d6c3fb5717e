/**
 * Infrastructure decorators shared by every route: configuration, the Redis connection, the
 * store, the scan queue, scan submission and registry access. Whatever the caller passes in (tests, `start`) is used
 * as is and left open; what this plugin creates it also closes.
 */
import fp from 'fastify-plugin';
import { Queue } from 'bullmq';
import type { Config } from '../../../shared/config/config-schema.js';
import type { RegistryAccess } from '../../../shared/config/registry-access.js';
import {
  createRedis,
  closeRedis,
  waitReady,
  type RedisClient,
} from '../../../shared/store/redis-connection.js';
import { RecipeStore } from '../../../shared/store/recipe-store.js';
import { RecipeQueries } from '../../../shared/store/recipe-queries.js';
import { DeliveryLog } from '../../../shared/store/delivery-log.js';
import { SCAN_QUEUE } from '../../../shared/queue/scan-jobs.js';
import { ScanRequests } from '../../../shared/queue/scan-requests.js';
import { WebhookCounters } from '../webhook-counters.js';

export interface ServiceDeps {
  config: Config;
  /** A request-mode client (createRedis(…, { mode: 'request' })). */
  redis?: RedisClient;
  queue?: Queue;
  registries?: RegistryAccess;
  /**
   * Whether the process can do its work beyond answering HTTP: undefined when it can, else why not
   * (`start`: its own redis-server is down). /healthz answers 503 with it.
   */
  liveness?: () => string | undefined;
}

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    redis: RedisClient;
    store: RecipeStore;
    /** The read side the routes answer from (shared/store/recipe-queries.ts). */
    queries: RecipeQueries;
    /** Webhook delivery ids already queued (redeliveries are acknowledged, not queued again). */
    deliveries: DeliveryLog;
    scanQueue: Queue;
    /** Every door submits work through this (shared/queue/scan-requests.ts). */
    scanRequests: ScanRequests;
    registries: RegistryAccess | undefined;
    webhookCounters: WebhookCounters;
    /** See ServiceDeps.liveness. */
    liveness: () => string | undefined;
  }
}

export default fp<ServiceDeps>(
  async (app, deps) => {
    const config = deps.config;
    const ownRedis = deps.redis === undefined;
    const redis =
      deps.redis ?? createRedis(config.redis, { mode: 'request', connectionName: 'guix-recipes-api' });
    // ioredis reports connection trouble as 'error' events; requests see it as 503s, /readyz says so.
    redis.on('error', () => {});
    // Request-mode clients refuse commands until connected: give the first connection a moment so the
    // first requests do not see 503s (if Redis is down the API still starts; /readyz says so).
    await waitReady(redis, { timeoutMs: config.redis.commandTimeoutMs }).catch((err: unknown) =>
      app.log.warn({ err: (err as Error).message }, 'Redis not reachable yet'),
    );
    const ownQueue = deps.queue === undefined;
    const queue = deps.queue ?? new Queue(SCAN_QUEUE, { connection: redis, prefix: config.queue.prefix });
    queue.on('error', () => {});
    app.decorate('config', config);
    app.decorate<RedisClient>('redis', redis);
    // One deadline for every store and queue call of a request: past it, 503.
    const deadlineMs = config.redis.commandTimeoutMs;
    const store = new RecipeStore(redis, { prefix: config.redis.keyPrefix, deadlineMs });
    app.decorate('store', store);
    app.decorate('queries', new RecipeQueries(store));
    app.decorate('deliveries', new DeliveryLog(redis, { prefix: config.redis.keyPrefix, deadlineMs }));
    app.decorate('scanQueue', queue);
    app.decorate(
      'scanRequests',
      new ScanRequests({
        queue,
        store,
        queueOptions: config.queue,
        deadlineMs,
        ...(deps.registries ? { registries: deps.registries } : {}),
      }),
    );
    app.decorate('registries', deps.registries);
    app.decorate('webhookCounters', new WebhookCounters());
    app.decorate('liveness', deps.liveness ?? (() => undefined));
    app.addHook('onClose', async () => {
      if (ownQueue) await queue.close().catch(() => {});
      if (ownRedis) await closeRedis(redis);
    });
  },
  { name: 'services', fastify: '5.x' },
);
