/**
 * Prometheus metrics of the API process, plus what it reads at scrape time: webhook deliveries by
 * sender and outcome, queue depth and the age of the oldest waiting job, images by scan state, and
 * the workers' families (scan stage durations, bytes read, layer-cache hits, results stored,
 * failures by code) from the Redis hash every worker records into (shared/metrics).
 * `app.metrics.render()` is the exposition text; routes/metrics.ts serves it.
 */
import fp from 'fastify-plugin';
import { MemorySampleStore, MetricsRegistry, renderFamilies } from '../../../shared/metrics/registry.js';
import { RedisSampleStore } from '../../../shared/metrics/redis-sample-store.js';
import { scanMetricDefinitions } from '../../../shared/metrics/scan-metrics.js';
import { recordPolicyGauges } from '../../../shared/metrics/policy-metrics.js';
import { recordBackfillGauges, walkMetricDefinitions } from '../../../shared/metrics/walk-metrics.js';
import { SCAN_STATES } from '../../../shared/store/recipe-store.js';
import { PROBLEM_CONTENT_TYPE } from '../problem.js';
import { withDeadline } from '../../../shared/store/deadline.js';

export interface ApiMetrics {
  /** This process's own families (HTTP requests, problems). */
  registry: MetricsRegistry;
  /** The whole exposition: own families, scrape-time gauges, worker families. */
  render(): Promise<string>;
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: ApiMetrics;
  }
}

const QUEUE_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'failed'] as const;

export default fp(
  async (app) => {
    const registry = new MetricsRegistry();
    const requests = registry.counter({
      name: 'guix_recipes_http_requests_total',
      help: 'HTTP requests answered, by method, route pattern and status.',
      labels: ['method', 'route', 'status'],
    });
    const duration = registry.histogram({
      name: 'guix_recipes_http_request_seconds',
      help: 'Time to answer HTTP requests, by route pattern, in seconds.',
      labels: ['route'],
    });
    const problems = registry.counter({
      name: 'guix_recipes_http_problems_total',
      help: 'application/problem+json answers by error code and status.',
      labels: ['code', 'status'],
    });
    const workerSamples = new RedisSampleStore(app.redis, { prefix: app.config.redis.keyPrefix });
    const workerDefs = [
      ...scanMetricDefinitions(new MemorySampleStore()),
      ...walkMetricDefinitions(new MemorySampleStore()),
    ];

    app.addHook('onSend', async (_req, reply, payload) => {
      const ct = String(reply.getHeader('content-type') ?? '');
      if (ct.startsWith(PROBLEM_CONTENT_TYPE) && typeof payload === 'string') {
        let code = 'unknown';
        try {
          const c = (JSON.parse(payload) as { code?: unknown }).code;
          if (typeof c === 'string') code = c;
        } catch {
          /* not ours */
        }
        problems.inc({ code, status: String(reply.statusCode) });
      }
      return payload;
    });
    app.addHook('onResponse', async (req, reply) => {
      const route = req.routeOptions.url ?? 'unmatched';
      requests.inc({ method: req.method, route, status: String(reply.statusCode) });
      duration.observe({ route }, reply.elapsedTime / 1000);
    });

    /** Gauges and counters read from elsewhere at scrape time. */
    const scrape = async (): Promise<string> => {
      const r = new MetricsRegistry();
      const ms = Math.min(app.config.redis.commandTimeoutMs, 2000);
      const up = r.gauge({
        name: 'guix_recipes_dependency_up',
        help: 'Whether a dependency answered during this scrape (1) or not (0).',
        labels: ['dependency'],
      });
      const webhooks = r.counter({
        name: 'guix_recipes_webhook_deliveries_total',
        help: 'Webhook events by sender and outcome (queued, duplicate, ignored, unconfigured, unauthorized, invalid, unavailable).',
        labels: ['sender', 'outcome'],
      });
      for (const e of app.webhookCounters.entries())
        webhooks.inc({ sender: e.sender, outcome: e.outcome }, e.count);
      r.counter({
        name: 'guix_recipes_rate_limited_total',
        help: 'Requests refused with 429 by the per-token rate limit.',
      }).inc(undefined, app.rateLimited?.count ?? 0);
      r.counter({
        name: 'guix_recipes_auth_failures_total',
        help: 'Failed authentications (401: wrong or missing API token, wrong webhook secret).',
      }).inc(undefined, app.authFailures?.failures ?? 0);
      r.counter({
        name: 'guix_recipes_auth_failures_limited_total',
        help: 'Requests refused with 429 because their client address failed authentication too often.',
      }).inc(undefined, app.authFailures?.refused ?? 0);
      const depth = r.gauge({
        name: 'guix_recipes_queue_jobs',
        help: 'Jobs in the scan queue by state.',
        labels: ['state'],
      });
      const age = r.gauge({
        name: 'guix_recipes_queue_oldest_waiting_seconds',
        help: 'Age of the oldest job waiting in the scan queue (0 when none waits).',
      });
      const images = r.gauge({
        name: 'guix_recipes_images',
        help: 'Images known to the store, by scan state.',
        labels: ['state'],
      });
      try {
        const counts = await withDeadline(app.scanQueue.getJobCounts(...QUEUE_STATES), ms, 'queue');
        for (const s of QUEUE_STATES) depth.set({ state: s }, counts[s] ?? 0);
        const [oldest] = await withDeadline(app.scanQueue.getJobs(['waiting'], 0, 0, true), ms, 'queue');
        age.set(undefined, oldest ? Math.max(0, (Date.now() - oldest.timestamp) / 1000) : 0);
        for (const s of SCAN_STATES)
          images.set(
            { state: s },
            (await withDeadline(app.store.findByState(s, { limit: 1 }), ms, 'store')).total,
          );
        await withDeadline(recordPolicyGauges(r, app.verdictIndex), ms, 'store');
        const backfills = await withDeadline(
          Promise.all(app.config.registries.map((reg) => app.backfills.status(reg.host))),
          ms,
          'store',
        );
        recordBackfillGauges(
          r,
          backfills.flatMap((s) => (s ? [s] : [])),
        );
        up.set({ dependency: 'redis' }, 1);
      } catch (err) {
        app.log.warn({ err: (err as Error).message }, 'metrics: could not read the queue or the store');
        up.set({ dependency: 'redis' }, 0);
      }
      let workers = new Map<string, number>();
      try {
        workers = await withDeadline(workerSamples.snapshot(), ms, 'store');
      } catch {
        /* rendered without samples; dependency_up says why */
      }
      return (await r.render()) + renderFamilies(workerDefs, workers);
    };

    app.decorate<ApiMetrics>('metrics', {
      registry,
      render: async () => (await registry.render()) + (await scrape()),
    });
  },
  { name: 'metrics', fastify: '5.x', dependencies: ['services', 'walks'] },
);
