/**
 * The verdict index: for every stored policy, the verdict on every known image, and the set of the
 * images it denies, kept up to date instead of computed per request. `GET /v1/verdicts?policy=NAME&
 * outcome=deny` pages through that set, and `guix_recipes_policy_denied_images` counts it.
 *
 * Known images are those the store has a result for (scan state `done`) or whose scan failed. The
 * index is updated
 *   (a) when a policy is stored or deleted: `reindex` judges every known image again under the new
 *       generation, in bounded batches (ZSCAN over the by-state sets, so every image present for the
 *       whole walk is judged at least once), then marks the generation complete;
 *   (b) when an image's facts change (a scan stored or reused, a scan failed for good): the worker
 *       calls `judgeImage`, which judges that image under every policy.
 * Both may judge the same image at the same time; each verdict is written with the stamp of the facts
 * it rests on (verdict-subject.ts) by one script that also checks the policy's generation, so an older
 * verdict never overwrites a newer one, and no verdict of an old generation lands in a new index.
 */
import type { ImageRef } from '../oci/reference.js';
import { imageName, parseImageName } from '../oci/reference.js';
import type { CompiledPolicy } from '../policy/compile-policy.js';
import { evaluate } from '../policy/evaluate.js';
import type { Outcome, Verdict } from '../policy/verdict.js';
import { withDeadline } from './deadline.js';
import type { PolicyHead, PolicyStore } from './policy-store.js';
import { clampPage, type Page } from './recipe-store.js';
import type { StampedSubject, StoreSubjects } from './verdict-subject.js';

type Opts = { signal?: AbortSignal };

/** A reason as the index keeps it (facts are left out: ask for the image's verdict to see them). */
export interface IndexedReason {
  code: string;
  message: string;
  platform?: string;
}

export interface IndexedVerdict {
  /** `registry/repo@digest` */
  image: string;
  outcome: Outcome;
  /** The first MAX_INDEXED_REASONS reasons. */
  reasons: IndexedReason[];
  /** How many reasons the verdict has in all. */
  reasonCount: number;
  recipeDigests: string[];
  /** When this verdict was reached (ISO time). */
  evaluatedAt: string;
}

export interface DeniedPage {
  policy: PolicyHead;
  /** Whether every known image has been judged under the policy's current generation. */
  complete: boolean;
  items: IndexedVerdict[];
  total: number;
}

export interface ReindexResult {
  name: string;
  generation: number;
  judged: number;
  /** False when the policy changed (or was deleted) during the walk: a newer run takes over. */
  complete: boolean;
}

/** Reasons kept per indexed verdict. */
export const MAX_INDEXED_REASONS = 10;

/** The scan states whose images are "known" to the index. */
const KNOWN_STATES = ['done', 'failed'] as const;

// Record one verdict. KEYS: policy hash, verdicts hash, denied set. ARGV: generation, image, stamp,
// outcome, summary JSON, now (ms). Values of the verdicts hash are `<stamp>:<summary>`.
const RECORD_LUA = `
if redis.call('HGET', KEYS[1], 'generation') ~= ARGV[1] or redis.call('HGET', KEYS[1], 'deleted') then return 'stale-policy' end
local cur = redis.call('HGET', KEYS[2], ARGV[2])
if cur then
  local s = tonumber(string.match(cur, '^(%d+):'))
  if s and s > tonumber(ARGV[3]) then return 'stale' end
end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3] .. ':' .. ARGV[5])
if ARGV[4] == 'deny' then redis.call('ZADD', KEYS[3], 'NX', ARGV[6], ARGV[2]) else redis.call('ZREM', KEYS[3], ARGV[2]) end
return 'ok'
`;

type RecordOutcome = 'ok' | 'stale' | 'stale-policy';

function summary(v: Verdict, at: string): string {
  const all = v.outcome === 'allow' ? v.warnings : v.reasons;
  const kept = v.outcome === 'allow' ? [] : all.slice(0, MAX_INDEXED_REASONS);
  return JSON.stringify({
    o: v.outcome,
    r: kept.map((r) => ({
      code: r.code,
      message: r.message,
      ...(r.platform ? { platform: r.platform } : {}),
    })),
    n: v.outcome === 'allow' ? 0 : all.length,
    d: v.recipeDigests,
    t: at,
  });
}

function parseSummary(image: string, value: string | null): IndexedVerdict | undefined {
  if (value === null) return undefined;
  const colon = value.indexOf(':');
  try {
    const s = JSON.parse(value.slice(colon + 1)) as {
      o: Outcome;
      r: IndexedReason[];
      n: number;
      d: string[];
      t: string;
    };
    return { image, outcome: s.o, reasons: s.r, reasonCount: s.n, recipeDigests: s.d, evaluatedAt: s.t };
  } catch {
    return undefined;
  }
}

export class VerdictIndex {
  readonly #batch: number;

  constructor(
    readonly policies: PolicyStore,
    readonly subjects: StoreSubjects,
    opts: { batch?: number } = {},
  ) {
    this.#batch = opts.batch ?? 200;
  }

  get #store() {
    return this.policies.store;
  }

  #run<T>(opts: Opts, f: () => Promise<T>): Promise<T> {
    opts.signal?.throwIfAborted();
    return withDeadline(f(), this.#store.deadlineMs, 'the store');
  }

  async #record(
    head: PolicyHead,
    policy: CompiledPolicy,
    name: string,
    s: StampedSubject,
    opts: Opts,
  ): Promise<RecordOutcome> {
    const v = evaluate(policy, s.subject);
    const now = Date.now();
    const keys = this.#store.keys;
    return (await this.#run(opts, () =>
      this.#store.redis.eval(
        RECORD_LUA,
        3,
        keys.policy(head.name),
        keys.policyVerdicts(head.name, head.generation),
        keys.policyDenied(head.name, head.generation),
        String(head.generation),
        name,
        String(s.stamp),
        v.outcome,
        summary(v, new Date(now).toISOString()),
        String(now),
      ),
    )) as RecordOutcome;
  }

  /** Judge one image under every stored policy (its facts just changed). */
  async judgeImage(img: ImageRef, opts: Opts = {}): Promise<void> {
    const heads = await this.policies.list(opts);
    if (heads.length === 0) return;
    const s = await this.subjects.of(img, opts);
    for (const h of heads) {
      const { head, policy } = await this.policies.compiled(h.name, opts);
      await this.#record(head, policy, imageName(img), s, opts);
    }
  }

  /**
   * Judge every known image under the policy's current generation, then mark that generation
   * complete. Stops early (complete: false) when the policy changes meanwhile.
   */
  async reindex(policyName: string, opts: Opts = {}): Promise<ReindexResult> {
    const { head, policy } = await this.policies.compiled(policyName, opts);
    const result: ReindexResult = {
      name: policyName,
      generation: head.generation,
      judged: 0,
      complete: false,
    };
    if (head.generation === 0) return result; // the built-in default, not stored yet: no index to fill
    const keys = this.#store.keys;
    for (const state of KNOWN_STATES) {
      let cursor = '0';
      do {
        const [next, flat] = await this.#run(opts, () =>
          this.#store.redis.zscan(keys.byState(state), cursor, 'COUNT', this.#batch),
        );
        cursor = next;
        const names: string[] = [];
        for (let i = 0; i < flat.length; i += 2) names.push(flat[i]!);
        const outcomes = await Promise.all(
          names.map(async (n): Promise<RecordOutcome> => {
            const img = parseImageName(n);
            if (!img) return 'ok';
            const s = await this.subjects.of(img, opts);
            return this.#record(head, policy, n, s, opts);
          }),
        );
        result.judged += names.length;
        if (outcomes.includes('stale-policy')) return result;
      } while (cursor !== '0');
    }
    result.complete = await this.policies.markIndexed(policyName, head.generation, opts);
    return result;
  }

  /** One page of the images the policy denies now (oldest denial first). */
  async denied(policyName: string, page: Page = {}, opts: Opts = {}): Promise<DeniedPage> {
    const { head } = await this.policies.compiled(policyName, opts);
    const { offset, limit } = clampPage(page);
    const keys = this.#store.keys;
    const deniedKey = keys.policyDenied(head.name, head.generation);
    const [names, total] = await this.#run(opts, () =>
      Promise.all([
        this.#store.redis.zrange(deniedKey, String(offset), String(offset + limit - 1)),
        this.#store.redis.zcard(deniedKey),
      ]),
    );
    const values =
      names.length === 0
        ? []
        : await this.#run(opts, () =>
            this.#store.redis.hmget(keys.policyVerdicts(head.name, head.generation), ...names),
          );
    const items: IndexedVerdict[] = [];
    names.forEach((n, i) => {
      const v = parseSummary(n, values[i] ?? null);
      if (v) items.push(v);
    });
    return { policy: head, complete: head.generation > 0 && head.indexed === head.generation, items, total };
  }

  /** Per stored policy: images denied now, and whether its index is complete. */
  async deniedCounts(opts: Opts = {}): Promise<{ policy: PolicyHead; denied: number; complete: boolean }[]> {
    const heads = await this.policies.list(opts);
    return Promise.all(
      heads.map(async (h) => ({
        policy: h,
        denied: await this.#run(opts, () =>
          this.#store.redis.zcard(this.#store.keys.policyDenied(h.name, h.generation)),
        ),
        complete: h.indexed === h.generation,
      })),
    );
  }

  /** Policies whose current generation is not completely indexed (after a crash, a Redis outage). */
  async incomplete(opts: Opts = {}): Promise<string[]> {
    return (await this.policies.list(opts)).filter((h) => h.indexed !== h.generation).map((h) => h.name);
  }
}

/**
 * Runs re-evaluations in this process, one at a time per policy: a change that arrives while one
 * runs makes it run again once it ends (the running walk notices the new generation and stops early).
 */
export class Reindexer {
  readonly #running = new Map<string, Promise<void>>();
  readonly #again = new Set<string>();

  constructor(
    readonly index: VerdictIndex,
    private readonly opts: {
      signal: AbortSignal;
      onDone?: (r: ReindexResult) => void;
      onError?: (name: string, err: unknown) => void;
    },
  ) {}

  /** Re-evaluate `name` now (or again, once the current run ends); resolves when it is done. */
  request(name: string): Promise<void> {
    const running = this.#running.get(name);
    if (running) {
      this.#again.add(name);
      return running;
    }
    const run = (async () => {
      do {
        this.#again.delete(name);
        if (this.opts.signal.aborted) return;
        try {
          this.opts.onDone?.(await this.index.reindex(name, { signal: this.opts.signal }));
        } catch (err) {
          if (!this.opts.signal.aborted) this.opts.onError?.(name, err);
        }
      } while (this.#again.has(name));
    })().finally(() => this.#running.delete(name));
    this.#running.set(name, run);
    return run;
  }

  /** Whether a re-evaluation of `name` is running. */
  busy(name: string): boolean {
    return this.#running.has(name);
  }

  /** Wait for every running re-evaluation. */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.all([...this.#running.values()]);
  }
}
