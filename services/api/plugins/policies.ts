/**
 * Policies and verdicts for the routes: the policy store, the verdict index and its re-evaluations,
 * and the verdict service (tags resolved through a bounded TTL cache).
 *
 * At start-up the configured policy files (`policies.files`) are read and checked: a mistake stops
 * the process, naming the file, field and line. Storing them (origin `file`), storing the built-in
 * default, dropping file policies no longer configured and finishing any re-evaluation a previous
 * process left incomplete happen in the background, and again every minute while something is left
 * (Redis may be down at start-up: the API still starts and /readyz says so).
 *
 * Re-evaluation runs here, in the API process that changed the policy, not as a queue job: it only
 * reads the store and runs a pure function (no registry, no scan), it must not wait behind scans for
 * a worker, and it must work with no worker running at all. A process that dies mid-way leaves the
 * generation marked incomplete, and the next API process to start (or this one's periodic check)
 * runs it again.
 */
import fp from 'fastify-plugin';
import { findRegistry } from '../../../shared/config/load-config.js';
import { TagCache } from '../../../shared/config/tag-cache.js';
import { RecipeError } from '../../../shared/errors.js';
import { VerdictService } from '../../../shared/gate/verdict-service.js';
import type { PolicyDocument } from '../../../shared/policy/policy-schema.js';
import { readPolicyFile } from '../../../shared/policy/read-policy-file.js';
import { PolicyStore } from '../../../shared/store/policy-store.js';
import { StoreSubjects } from '../../../shared/store/verdict-subject.js';
import { DirectHashReads } from '../../../shared/store/hash-reads.js';
import { TrackedHashReads } from '../../../shared/store/tracked-hash-reads.js';
import { Reindexer, VerdictIndex } from '../../../shared/store/verdict-index.js';

declare module 'fastify' {
  interface FastifyInstance {
    policies: PolicyStore;
    verdictIndex: VerdictIndex;
    /** Re-evaluations of every known image, per policy, in this process. */
    reindexer: Reindexer;
    verdicts: VerdictService;
  }
}

/** How often to look for policies whose index is incomplete (or file policies not stored yet). */
const SYNC_INTERVAL_MS = 60_000;

export default fp(
  async (app) => {
    const config = app.config;
    const files: { doc: PolicyDocument; file: string }[] = [];
    for (const file of config.policies.files) {
      const doc = await readPolicyFile(file);
      const twin = files.find((f) => f.doc.name === doc.name);
      if (twin)
        throw new RecipeError(
          'usage',
          `policies.files: ${twin.file} and ${file} both define the policy ${doc.name}`,
        );
      files.push({ doc, file });
    }

    // Verdicts read policy heads and stored facts from memory, kept exact by Redis (client-side
    // caching); not on a Cluster, whose tracking is per node.
    const { factCacheEntries } = config.policies;
    const reads =
      factCacheEntries > 0 && !config.redis.cluster
        ? TrackedHashReads.connect(config.redis, {
            maxEntries: factCacheEntries,
            deadlineMs: config.redis.commandTimeoutMs,
            fallback: new DirectHashReads(app.store.redis, app.store.deadlineMs),
            onTrackingError: (err) =>
              app.log.warn(
                { err: err.message },
                'verdict fact cache: Redis tracking failed (reading uncached)',
              ),
          })
        : undefined;
    const policies = new PolicyStore(app.store, reads);
    const verdictIndex = new VerdictIndex(policies, new StoreSubjects(app.store), {
      batch: config.policies.reindexBatch,
    });
    const closing = new AbortController();
    const reindexer = new Reindexer(verdictIndex, {
      signal: closing.signal,
      onDone: (r) => app.log.info(r, r.complete ? 'policy re-evaluated' : 'policy re-evaluation superseded'),
      onError: (name, err) =>
        app.log.warn({ policy: name, err: (err as Error).message }, 'policy re-evaluation failed'),
    });
    const tags = app.registries
      ? new TagCache(app.registries, {
          ttlMs: config.policies.tagCacheSeconds * 1000,
          max: config.policies.tagCacheSize,
        })
      : undefined;
    app.decorate('policies', policies);
    app.decorate('verdictIndex', verdictIndex);
    app.decorate('reindexer', reindexer);
    app.decorate(
      'verdicts',
      new VerdictService({
        store: app.store,
        policies,
        subjects: new StoreSubjects(app.store, reads ? { reads } : {}),
        ...(tags ? { tags } : {}),
        scanRequests: app.scanRequests,
        registryConfigured: (host) => findRegistry(config, host) !== undefined,
        defaultPolicy: config.policies.default,
      }),
    );

    /** Store the configured policies, drop file policies no longer configured, finish indexes. */
    let synced = false;
    const sync = async (): Promise<void> => {
      const signal = closing.signal;
      if (!synced) {
        await policies.ensureBuiltinDefault({ signal });
        for (const { doc, file } of files) {
          const r = await policies.put(doc, { origin: 'file', source: file }, { signal });
          if (r.change !== 'unchanged')
            app.log.info({ policy: doc.name, file }, 'policy stored from its file');
        }
        for (const h of await policies.list({ signal }))
          if (h.origin === 'file' && !files.some((f) => f.doc.name === h.name)) {
            await policies.delete(h.name, { origin: 'file' }, { signal });
            app.log.info({ policy: h.name }, 'policy no longer configured: deleted');
          }
        synced = true;
      }
      for (const name of await verdictIndex.incomplete({ signal }))
        if (!reindexer.busy(name)) void reindexer.request(name);
    };
    const trySync = () =>
      sync().catch((err: unknown) => {
        if (!closing.signal.aborted)
          app.log.warn({ err: (err as Error).message }, 'policies: could not sync with the store (retrying)');
      });
    let timer: NodeJS.Timeout | undefined;
    app.addHook('onReady', async () => {
      void trySync();
      timer = setInterval(() => void trySync(), SYNC_INTERVAL_MS);
      timer.unref();
    });
    app.addHook('onClose', async () => {
      clearInterval(timer);
      closing.abort();
      await reindexer.idle();
      await reads?.close();
    });
  },
  { name: 'policies', fastify: '5.x', dependencies: ['services'] },
);
