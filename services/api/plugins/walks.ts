/**
 * Registry walks for the routes: the walk queue (on the API's Redis connection) and the backfill
 * state, behind `app.walks` (shared/queue/walks.ts). The walks themselves run in the workers.
 */
import fp from 'fastify-plugin';
import { Queue } from 'bullmq';
import { WALK_QUEUE, type WalkJobData } from '../../../shared/queue/walk-jobs.js';
import { Walks } from '../../../shared/queue/walks.js';
import { BackfillStore } from '../../../shared/store/backfill-store.js';

declare module 'fastify' {
  interface FastifyInstance {
    walks: Walks;
    backfills: BackfillStore;
  }
}

export default fp(
  async (app) => {
    const config = app.config;
    const deadlineMs = config.redis.commandTimeoutMs;
    const queue = new Queue<WalkJobData>(WALK_QUEUE, { connection: app.redis, prefix: config.queue.prefix });
    queue.on('error', () => {});
    const backfills = new BackfillStore(app.redis, { prefix: config.redis.keyPrefix, deadlineMs });
    app.decorate('backfills', backfills);
    app.decorate('walks', new Walks({ config, queue, backfills, deadlineMs }));
    app.addHook('onClose', async () => {
      await queue.close().catch(() => {});
    });
  },
  { name: 'walks', fastify: '5.x', dependencies: ['services'] },
);
