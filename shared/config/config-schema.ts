/**
 * The service's one configuration object: its TypeBox schema, its TypeScript type and its defaults.
 * docs/configuration.md documents every field; `loadConfig` (load-config.ts) fills it from the
 * environment and the optional JSON file named by GUIX_RECIPES_CONFIG.
 */
import { Type, type Static } from 'typebox';
import { SENDER_NAMES } from '../webhooks/senders.js';

/** Access scopes an API token can carry (services/api/access.ts names which route needs which). */
export const SCOPES = ['read', 'scan', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export type { Sender } from '../webhooks/senders.js';

/** A webhook sender's name (the table: shared/webhooks/senders.ts). */
const SenderSchema = Type.Union(
  SENDER_NAMES.map((n) => Type.Literal(n)),
  { default: 'distribution' },
);

const Secret = Type.String({ minLength: 1, maxLength: 4096 });

export const RegistryConfigSchema = Type.Object(
  {
    /** `host[:port]` as written in image references (`docker.io` for Docker Hub). */
    host: Type.String({ minLength: 1, maxLength: 255 }),
    /** Plain HTTP instead of HTTPS (`http://host:port` in GUIX_RECIPES_REGISTRIES sets it). */
    insecure: Type.Boolean({ default: false }),
    /** Basic credentials (or the identity for a token exchange). Never put in job data or logs. */
    username: Type.Optional(Type.String({ maxLength: 1024 })),
    password: Type.Optional(Secret),
    /** A bearer token used as is (an identity token / registry token). */
    token: Type.Optional(Secret),
    tls: Type.Optional(
      Type.Object(
        {
          /** PEM file of extra CA certificates to trust for this registry. */
          caFile: Type.Optional(Type.String()),
          /** Client certificate and key (PEM files) for registries that demand mutual TLS. */
          certFile: Type.Optional(Type.String()),
          keyFile: Type.Optional(Type.String()),
          /** Verify the registry's certificate (default true). */
          verify: Type.Boolean({ default: true }),
        },
        { additionalProperties: false },
      ),
    ),
    /**
     * The repositories a backfill walks when the registry refuses its catalog (`/v2/_catalog`:
     * Docker Hub, GHCR, Quay and many others do); with a catalog, these are walked as well.
     */
    repositories: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 255 }), { maxItems: 100000 }),
    ),
    /** Who announces this registry's pushes, and the secret that sender presents. */
    webhook: Type.Optional(
      Type.Object(
        {
          sender: SenderSchema,
          /** Overrides GUIX_RECIPES_WEBHOOK_SECRET for this registry's sender. */
          secret: Type.Optional(Secret),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type RegistryConfig = Static<typeof RegistryConfigSchema>;

const HostPort = Type.Object(
  { host: Type.String(), port: Type.Integer({ minimum: 1, maximum: 65535 }) },
  { additionalProperties: false },
);

export const ConfigSchema = Type.Object(
  {
    /** Address the API listens on. */
    host: Type.String({ default: '127.0.0.1' }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
    /** Listen beyond loopback although no API token is configured (the recipe and scan routes are then open to all). */
    allowOpenAccess: Type.Boolean({ default: false }),
    logLevel: Type.Union(
      [
        Type.Literal('fatal'),
        Type.Literal('error'),
        Type.Literal('warn'),
        Type.Literal('info'),
        Type.Literal('debug'),
        Type.Literal('trace'),
        Type.Literal('silent'),
      ],
      { default: 'info' },
    ),
    /** How the service's log reads: `auto` is `pretty` on a terminal, `json` otherwise. */
    logFormat: Type.Union([Type.Literal('auto'), Type.Literal('json'), Type.Literal('pretty')], {
      default: 'auto',
    }),
    redis: Type.Object(
      {
        /** `redis://[:password@]host:port[/db]`, `rediss://…` or `unix:///path`; absent: `start` runs its own. */
        url: Type.Optional(Type.String()),
        /** Redis Cluster seed nodes (instead of `url`). */
        cluster: Type.Optional(Type.Array(HostPort, { minItems: 1 })),
        /** Redis Sentinel (instead of `url`): sentinels and the master's name. */
        sentinel: Type.Optional(
          Type.Object(
            { sentinels: Type.Array(HostPort, { minItems: 1 }), name: Type.String({ default: 'mymaster' }) },
            { additionalProperties: false },
          ),
        ),
        /** Password for cluster / sentinel-managed nodes (`url` carries its own). */
        password: Type.Optional(Secret),
        /** Prefix of every key the store writes. */
        keyPrefix: Type.String({ default: 'guix-recipes', pattern: '^[A-Za-z0-9_.-]+$' }),
        /** Where `start` keeps its own redis-server's data (AOF on). */
        embeddedDir: Type.String({ default: 'var/redis' }),
        /** Deadline of each store and queue call, in ms (API: then 503; workers: the job is retried). */
        commandTimeoutMs: Type.Integer({ minimum: 100, default: 5000 }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** Registries we may pull from; nothing else is ever fetched. */
    registries: Type.Array(RegistryConfigSchema, { default: [] }),
    webhooks: Type.Object(
      {
        /** What webhook senders present (per-registry `webhook.secret` overrides it). No secret: webhooks answer 401. */
        secret: Type.Optional(Secret),
        /** Largest webhook body accepted, in bytes (then 413). */
        bodyLimitBytes: Type.Integer({ minimum: 1024, default: 1048576 }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** API tokens and their scopes. None: the recipe and scan routes are open (loopback only, see allowOpenAccess). */
    apiTokens: Type.Array(
      Type.Object(
        {
          token: Type.String({ minLength: 8, maxLength: 4096 }),
          scopes: Type.Array(
            Type.Union([Type.Literal('read'), Type.Literal('scan'), Type.Literal('admin')]),
            { minItems: 1 },
          ),
        },
        { additionalProperties: false },
      ),
      { default: [] },
    ),
    /** HTTPS; with `clientCaFile`, clients must present a certificate signed by it (mutual TLS). */
    tls: Type.Optional(
      Type.Object(
        { certFile: Type.String(), keyFile: Type.String(), clientCaFile: Type.Optional(Type.String()) },
        { additionalProperties: false },
      ),
    ),
    http: Type.Object(
      {
        /** Largest JSON body of the non-webhook routes, in bytes. */
        bodyLimitBytes: Type.Integer({ minimum: 1024, default: 65536 }),
        /**
         * A body over its limit is answered 413 once the client has sent it all, read and thrown
         * away up to this many bytes (and 10 s); past that the connection is closed under it.
         */
        drainLimitBytes: Type.Integer({ minimum: 0, default: 67108864 }),
        connectionTimeoutMs: Type.Integer({ minimum: 0, default: 30000 }),
        requestTimeoutMs: Type.Integer({ minimum: 0, default: 30000 }),
        keepAliveTimeoutMs: Type.Integer({ minimum: 0, default: 72000 }),
        /** How long a graceful shutdown may take before the process exits anyway. */
        shutdownGraceMs: Type.Integer({ minimum: 0, default: 30000 }),
        /** The request log under load: every 5xx and slow request, a sample of the others, a summary. */
        requestLog: Type.Object(
          {
            /** Ordinary (not 5xx, not slow) request lines written at most per second. */
            linesPerSecond: Type.Integer({ minimum: 0, default: 50 }),
            /** Requests that took this many ms or more are always logged. */
            slowMs: Type.Integer({ minimum: 0, default: 1000 }),
            /** How often at most the requests left out are summarised in one line, in ms. */
            summaryIntervalMs: Type.Integer({ minimum: 100, default: 10000 }),
          },
          { additionalProperties: false, default: {} },
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    queue: Type.Object(
      {
        /** BullMQ key prefix; keep the braces (a Redis Cluster hash tag puts the queue in one slot). */
        prefix: Type.String({ default: '{guix-recipes}' }),
        /** Tries per scan (first try included) for retryable failures. */
        attempts: Type.Integer({ minimum: 1, default: 5 }),
        /** First retry delay; doubles each try (exponential backoff). */
        backoffMs: Type.Integer({ minimum: 0, default: 5000 }),
        /** How long failed jobs are kept (their ids block re-adding until retried or expired), in seconds. */
        keepFailedSeconds: Type.Integer({ minimum: 0, default: 604800 }),
        /**
         * How long completed scan jobs are kept, in seconds: within it, more pushes of the digest
         * (whose tag, if any, still points at it) add nothing. 0: removed at once.
         */
        keepCompletedSeconds: Type.Integer({ minimum: 0, default: 3600 }),
        /** Completed scan jobs kept at most (memory bound), the oldest removed first. */
        keepCompletedCount: Type.Integer({ minimum: 0, default: 10000 }),
      },
      { additionalProperties: false, default: {} },
    ),
    worker: Type.Object(
      {
        /** Jobs one worker process runs at the same time. */
        concurrency: Type.Integer({ minimum: 1, maximum: 256, default: 2 }),
        /** Deadline of one scan (the job then fails with `timeout` and is retried). */
        jobTimeoutMs: Type.Integer({ minimum: 1000, default: 600000 }),
        /**
         * Lock held on an active job, renewed every quarter to half of it while the scan runs (and
         * the heartbeat written every third); a worker that dies loses it after at most this long.
         * A live worker loses it only if its event loop stalls for about half of it.
         */
        lockDurationMs: Type.Integer({ minimum: 500, default: 15000 }),
        /** How often workers look for jobs whose lock expired (stalled): recovery within lockDurationMs + this. */
        stalledIntervalMs: Type.Integer({ minimum: 500, default: 5000 }),
        /** Times a job may stall before it fails. */
        maxStalledCount: Type.Integer({ minimum: 0, default: 2 }),
        /** Read layers even when the image config does not look like Guix. */
        deepScan: Type.Boolean({ default: false }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** Backfills (docs/configuration.md "Backfill"): walking a registry's catalog and tags. */
    backfill: Type.Object(
      {
        /** Walk steps (a catalog page, a repository) one worker process runs at once. */
        concurrency: Type.Integer({ minimum: 1, maximum: 64, default: 2 }),
        /** Tags of one repository resolved (manifest HEAD) at once. */
        resolveConcurrency: Type.Integer({ minimum: 1, maximum: 64, default: 4 }),
        /** Repositories asked per catalog page (`n`). */
        catalogPageSize: Type.Integer({ minimum: 1, maximum: 10000, default: 100 }),
        /** Tags asked per page of a tag listing (`n`). */
        tagPageSize: Type.Integer({ minimum: 1, maximum: 10000, default: 1000 }),
        /** Tags read from one repository at most (the rest are left, and counted as skipped). */
        maxTagsPerRepository: Type.Integer({ minimum: 1, default: 100000 }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** The periodic pass that re-reads the tags of known repositories (lost webhooks, moved tags). Off by default. */
    reconcile: Type.Object(
      {
        enabled: Type.Boolean({ default: false }),
        /** Time between two passes. */
        intervalSeconds: Type.Integer({ minimum: 10, default: 3600 }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** What the store forgets, applied by a periodic pass. 0: keep forever (the default). */
    retention: Type.Object(
      {
        /** Image records that failed for good are removed this long after their failure. */
        failedSeconds: Type.Integer({ minimum: 0, default: 0 }),
        /** Entries of each tag's history kept (the newest); the tag's current digest always stays. */
        historyEntries: Type.Integer({ minimum: 0, default: 0 }),
        /** Time between two passes (when either setting above is on). */
        intervalSeconds: Type.Integer({ minimum: 10, default: 3600 }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** Policies and verdicts (docs/policies.md): configured policy files, the default, caches and waits. */
    policies: Type.Object(
      {
        /** Policy files (YAML or JSON) loaded at start-up; each is stored under its `name`, read-only to the API. */
        files: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
        /** The policy that judges when a request names none (verdicts, `POST /v1/admission`). */
        default: Type.String({ default: 'default', pattern: '^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$' }),
        /** How long a tag resolved to a digest is trusted, in seconds (0: resolve every time). */
        tagCacheSeconds: Type.Integer({ minimum: 0, maximum: 3600, default: 30 }),
        /** Tags kept in that cache at most (least recently used go first). */
        tagCacheSize: Type.Integer({ minimum: 1, maximum: 1000000, default: 10000 }),
        /** With `unscanned.action: scan`: the longest a verdict request waits for the scan, in seconds. */
        verdictScanWaitSeconds: Type.Integer({ minimum: 0, maximum: 600, default: 25 }),
        /** Images judged per batch when a policy changes and every known image is judged again. */
        reindexBatch: Type.Integer({ minimum: 1, maximum: 10000, default: 200 }),
        /**
         * Policy heads and stored facts a verdict reads, kept in the API process's memory (entries);
         * Redis says when one changes (client-side caching), so none is ever stale. 0: read Redis on
         * every verdict. Redis Cluster: always 0.
         */
        factCacheEntries: Type.Integer({ minimum: 0, maximum: 10000000, default: 100000 }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** The Kubernetes admission webhook (docs/admission.md). */
    admission: Type.Object(
      {
        /**
         * With `unscanned.action: scan`: the longest an admission request waits for the scan, in
         * seconds. Keep it under the webhook's timeoutSeconds (deploy/admission).
         */
        scanWaitSeconds: Type.Integer({ minimum: 0, maximum: 25, default: 5 }),
        /** Containers (all kinds together) one pod may have; more is a 400. */
        maxContainers: Type.Integer({ minimum: 1, maximum: 10000, default: 256 }),
        /** Largest AdmissionReview accepted, in bytes (the API server sends objects up to 3 MiB). */
        bodyLimitBytes: Type.Integer({ minimum: 1024, default: 3145728 }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** Per-token rate limit of the API's scope routes, and the failed-authentication limit per client; absent: the defaults below. */
    rateLimit: Type.Optional(
      Type.Object(
        {
          enabled: Type.Boolean({ default: true }),
          /** Requests a token may make at once after a quiet period. */
          burst: Type.Integer({ minimum: 1, default: 2000 }),
          /** Steady rate per token, requests per second (per API process): an admission webhook's reads fit. */
          perSecond: Type.Number({ exclusiveMinimum: 0, default: 1000 }),
          /**
           * Failed authentications (401: wrong or missing API token, wrong webhook secret) per
           * client address (the socket's; IPv6 per /64). Past the burst, every request from that
           * address to a route that checks credentials gets 429 until the bucket refills.
           */
          failedAuth: Type.Optional(
            Type.Object(
              {
                /** Independent of `rateLimit.enabled`. */
                enabled: Type.Boolean({ default: true }),
                /** Failures allowed at once after a quiet period. */
                burst: Type.Integer({ minimum: 1, default: 10 }),
                /** Failures refilled per second (0.1: one every 10 s), per API process. */
                perSecond: Type.Number({ exclusiveMinimum: 0, default: 0.1 }),
                /** Client addresses tracked at most (memory bound); the least recently seen go first. */
                maxClients: Type.Integer({ minimum: 1, default: 10000 }),
              },
              { additionalProperties: false },
            ),
          ),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;
