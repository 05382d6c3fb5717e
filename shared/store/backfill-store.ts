/**
 * A registry's backfill, as Redis keeps it (store-keys.ts `backfill`, one slot per registry): the
 * run number, its state, where the catalog walk is, and totals; and per repository what its walk
 * found. A run is resumable because its steps are queue jobs (shared/queue/walk-jobs.ts) and every
 * write here is idempotent: a step that runs again after a crash overwrites its own repository's
 * result, and the totals move by the difference (one script per write).
 *
 * A run is `done` once the catalog (or the configured list) has been read to its end and every
 * repository found has reported; `failed` when the repositories cannot be listed at all.
 */
import type { ErrorCode } from '../errors.js';
import { withDeadline } from './deadline.js';
import type { RedisClient } from './redis-connection.js';
import { StoreKeys } from './store-keys.js';

export type BackfillRunState = 'running' | 'done' | 'failed';

/** What one repository's walk found. */
export interface RepositoryWalk {
  /** Tags listed (at most `backfill.maxTagsPerRepository`). */
  tags: number;
  /** Tags left out: over the cap, or gone before they could be resolved. */
  skippedTags: number;
  /** Distinct digests the tags point at. */
  digests: number;
  /** Digests submitted for a scan (not known to the store as scanned in this repository). */
  queued: number;
  /** Digests already scanned in this repository. */
  known: number;
  /** Why the repository could not be walked (it then counts as done, with no tags). */
  error?: { code: ErrorCode; message: string };
}

export interface BackfillStatus {
  registry: string;
  run: number;
  state: BackfillRunState;
  /** Where the repositories come from: the catalog, or the configured list (catalog refused). */
  source?: 'catalog' | 'configured';
  startedAt: string;
  updatedAt: string;
  finishedAt?: string;
  error?: { code: string; message: string };
  catalog: { pages: number; done: boolean };
  repositories: { found: number; done: number; failed: number };
  tags: number;
  skippedTags: number;
  digests: number;
  queued: number;
  known: number;
}

type Opts = { signal?: AbortSignal };

const TOTALS = ['tags', 'skippedTags', 'digests', 'queued', 'known'] as const;

// Start a run unless one is running (or `force`). KEYS: state, repos. ARGV: now, force, registry.
const START_LUA = `
if redis.call('HGET', KEYS[1], 'state') == 'running' and ARGV[2] ~= 'force' then
  return {0, tonumber(redis.call('HGET', KEYS[1], 'run'))}
end
local run = redis.call('HINCRBY', KEYS[1], 'run', 1)
redis.call('DEL', KEYS[2], KEYS[1])
redis.call('HSET', KEYS[1], 'registry', ARGV[3], 'run', run, 'state', 'running', 'startedAt', ARGV[1], 'updatedAt', ARGV[1],
  'pages', 0, 'catalogDone', 0, 'reposFound', 0, 'reposDone', 0, 'reposFailed', 0,
  'tags', 0, 'skippedTags', 0, 'digests', 0, 'queued', 0, 'known', 0)
return {1, run}
`;

// The run is over when the catalog is read and every repository found has reported.
const FINISH_IF_DONE = `
if redis.call('HGET', KEYS[1], 'state') == 'running' and redis.call('HGET', KEYS[1], 'catalogDone') == '1'
  and redis.call('HGET', KEYS[1], 'reposDone') == redis.call('HGET', KEYS[1], 'reposFound') then
  redis.call('HSET', KEYS[1], 'state', 'done', 'finishedAt', ARGV[1])
end
`;

// Repositories found by a page of run ARGV[2]. KEYS: state, repos. ARGV: now, run, pages done,
// last page ('1'|'0'), source, then the repository names.
const FOUND_LUA = `
if redis.call('HGET', KEYS[1], 'run') ~= ARGV[2] or redis.call('HGET', KEYS[1], 'state') ~= 'running' then return -1 end
local added = 0
for i = 6, #ARGV do
  if redis.call('HSETNX', KEYS[2], ARGV[i], '') == 1 then added = added + 1 end
end
redis.call('HINCRBY', KEYS[1], 'reposFound', added)
if tonumber(ARGV[3]) > tonumber(redis.call('HGET', KEYS[1], 'pages') or '0') then redis.call('HSET', KEYS[1], 'pages', ARGV[3]) end
if ARGV[4] == '1' then redis.call('HSET', KEYS[1], 'catalogDone', '1') end
if ARGV[5] ~= '' then redis.call('HSET', KEYS[1], 'source', ARGV[5]) end
redis.call('HSET', KEYS[1], 'updatedAt', ARGV[1])
${FINISH_IF_DONE}
return added
`;

// One repository reported. KEYS: state, repos. ARGV: now, run, repository, result JSON.
const REPORT_LUA = `
if redis.call('HGET', KEYS[1], 'run') ~= ARGV[2] then return -1 end
local old = redis.call('HGET', KEYS[2], ARGV[3])
local new = cjson.decode(ARGV[4])
local prev = {}
if old and old ~= '' then prev = cjson.decode(old) else redis.call('HINCRBY', KEYS[1], 'reposDone', 1) end
if new.error and not prev.error then redis.call('HINCRBY', KEYS[1], 'reposFailed', 1) end
if prev.error and not new.error then redis.call('HINCRBY', KEYS[1], 'reposFailed', -1) end
for _, k in ipairs({'tags', 'skippedTags', 'digests', 'queued', 'known'}) do
  local d = (tonumber(new[k]) or 0) - (tonumber(prev[k]) or 0)
  if d ~= 0 then redis.call('HINCRBY', KEYS[1], k, d) end
end
redis.call('HSET', KEYS[2], ARGV[3], ARGV[4])
redis.call('HSET', KEYS[1], 'updatedAt', ARGV[1])
${FINISH_IF_DONE}
return 1
`;

// The run cannot go on. KEYS: state. ARGV: now, run, error JSON.
const FAIL_LUA = `
if redis.call('HGET', KEYS[1], 'run') ~= ARGV[2] or redis.call('HGET', KEYS[1], 'state') ~= 'running' then return 0 end
redis.call('HSET', KEYS[1], 'state', 'failed', 'error', ARGV[3], 'finishedAt', ARGV[1], 'updatedAt', ARGV[1])
return 1
`;

const iso = (): string => new Date().toISOString();

export class BackfillStore {
  readonly keys: StoreKeys;
  readonly deadlineMs: number | undefined;

  constructor(
    readonly redis: RedisClient,
    opts: { prefix: string; deadlineMs?: number },
  ) {
    this.keys = new StoreKeys(opts.prefix);
    this.deadlineMs = opts.deadlineMs;
  }

  private run<T>(opts: Opts, f: () => Promise<T>): Promise<T> {
    opts.signal?.throwIfAborted();
    return withDeadline(f(), this.deadlineMs, 'the store');
  }

  /**
   * Start a run for `registry` unless one is running (then `started` is false and `run` is the
   * running one's); with `force`, a new run replaces it (its steps still queued then do nothing).
   */
  async start(
    registry: string,
    opts: Opts & { force?: boolean } = {},
  ): Promise<{ started: boolean; run: number }> {
    const [started, run] = (await this.run(opts, () =>
      this.redis.eval(
        START_LUA,
        2,
        this.keys.backfill(registry),
        this.keys.backfillRepositories(registry),
        iso(),
        opts.force ? 'force' : '',
        registry,
      ),
    )) as [number, number];
    return { started: started === 1, run };
  }

  /**
   * Repositories found by the walk of run `run` (a catalog page, or the configured list), and
   * whether that was the last page. Returns how many were new to the run, or -1 when the run is
   * not the current one (a step of an older run: it stops).
   */
  async found(
    registry: string,
    run: number,
    repositories: readonly string[],
    page: { pages: number; last: boolean; source?: 'catalog' | 'configured' },
    opts: Opts = {},
  ): Promise<number> {
    return this.run(opts, async () =>
      Number(
        await this.redis.eval(
          FOUND_LUA,
          2,
          this.keys.backfill(registry),
          this.keys.backfillRepositories(registry),
          iso(),
          String(run),
          String(page.pages),
          page.last ? '1' : '0',
          page.source ?? '',
          ...repositories,
        ),
      ),
    );
  }

  /** What the walk of one repository found (again, for a step that ran twice: the totals move by the difference). */
  async report(
    registry: string,
    run: number,
    repository: string,
    result: RepositoryWalk,
    opts: Opts = {},
  ): Promise<boolean> {
    const r = await this.run(opts, () =>
      this.redis.eval(
        REPORT_LUA,
        2,
        this.keys.backfill(registry),
        this.keys.backfillRepositories(registry),
        iso(),
        String(run),
        repository,
        JSON.stringify(result),
      ),
    );
    return r === 1;
  }

  /** The run cannot list the registry's repositories at all. */
  async fail(
    registry: string,
    run: number,
    error: { code: string; message: string },
    opts: Opts = {},
  ): Promise<void> {
    await this.run(opts, () =>
      this.redis.eval(FAIL_LUA, 1, this.keys.backfill(registry), iso(), String(run), JSON.stringify(error)),
    );
  }

  /** Whether `run` is the registry's current, running run (steps of other runs stop). */
  async isCurrent(registry: string, run: number, opts: Opts = {}): Promise<boolean> {
    const [r, state] = await this.run(opts, () =>
      this.redis.hmget(this.keys.backfill(registry), 'run', 'state'),
    );
    return r === String(run) && state === 'running';
  }

  /** The registry's last (or current) run; undefined when it never had one. */
  async status(registry: string, opts: Opts = {}): Promise<BackfillStatus | undefined> {
    const h = await this.run(opts, () => this.redis.hgetall(this.keys.backfill(registry)));
    if (!h.run || !h.state) return undefined;
    const n = (k: string): number => Number(h[k] ?? '0');
    const status: BackfillStatus = {
      registry,
      run: n('run'),
      state: h.state as BackfillRunState,
      startedAt: h.startedAt ?? '',
      updatedAt: h.updatedAt ?? '',
      catalog: { pages: n('pages'), done: h.catalogDone === '1' },
      repositories: { found: n('reposFound'), done: n('reposDone'), failed: n('reposFailed') },
      tags: 0,
      skippedTags: 0,
      digests: 0,
      queued: 0,
      known: 0,
    };
    for (const k of TOTALS) status[k] = n(k);
    if (h.source === 'catalog' || h.source === 'configured') status.source = h.source;
    if (h.finishedAt) status.finishedAt = h.finishedAt;
    if (h.error) status.error = JSON.parse(h.error) as { code: string; message: string };
    return status;
  }

  /** What the current run found in one repository (undefined: not walked yet, or not part of it). */
  async repository(
    registry: string,
    repository: string,
    opts: Opts = {},
  ): Promise<RepositoryWalk | undefined> {
    const v = await this.run(opts, () =>
      this.redis.hget(this.keys.backfillRepositories(registry), repository),
    );
    return v ? (JSON.parse(v) as RepositoryWalk) : undefined;
  }
}
