/**
 * Stored policies on Redis: one hash per policy (store-keys.ts `policy`), and the set of names.
 *
 * Each policy has
 *   - a **version**: the content hash of its document (policyDigest: what verdicts name; the same
 *     document stored twice has the same version);
 *   - a **generation**: a counter bumped by every change (PUT of a different document, DELETE), never
 *     reset, not even by a DELETE (the hash then stays as a tombstone holding the counter). The verdict
 *     index (verdict-index.ts) lives under the generation, so a re-evaluation started for an older one
 *     can never write into a newer one's index, even when a document comes back (A, B, A).
 *   - an **origin**: `api` (PUT /v1/policies/NAME), `file` (configuration `policies.files`, which the
 *     API may not change) or `builtin` (the default policy, stored as `default` until one is PUT
 *     under that name; deleting that one brings the built-in back);
 *   - `indexed`: the generation whose index was completely built.
 *
 * Compiled policies are cached by version (parsing and compiling costs milliseconds; a verdict must
 * not), so a request reads two small fields and finds the compiled form in memory.
 */
import { LRUCache } from 'lru-cache';
import { RecipeError } from '../errors.js';
import { compilePolicy, type CompiledPolicy } from '../policy/compile-policy.js';
import { DEFAULT_POLICY_DOCUMENT, DEFAULT_POLICY_NAME } from '../policy/default-policy.js';
import { parsePolicyValue } from '../policy/parse-policy.js';
import { policyDigest } from '../policy/policy-digest.js';
import { POLICY_NAME_RE, type PolicyDocument } from '../policy/policy-schema.js';
import { withDeadline } from './deadline.js';
import { DirectHashReads, type HashReads } from './hash-reads.js';
import type { RecipeStore } from './recipe-store.js';

export type PolicyOrigin = 'api' | 'file' | 'builtin';

/** What a request needs to find the compiled policy: two fields of the hash. */
export interface PolicyHead {
  name: string;
  version: string;
  generation: number;
  /** The generation whose verdict index is complete (0: none yet). */
  indexed: number;
  origin: PolicyOrigin;
}

export interface StoredPolicy extends PolicyHead {
  document: PolicyDocument;
  /** For `file`: the file it was read from. */
  source?: string;
  createdAt: string;
  updatedAt: string;
}

export interface PutResult {
  policy: StoredPolicy;
  /** `created`: the name was free; `changed`: a new document (or origin); `unchanged`: the same one. */
  change: 'created' | 'changed' | 'unchanged';
}

type Opts = { signal?: AbortSignal };

/** Compiled policies kept per process (each is small; documents are capped). */
const COMPILED_CACHE_SIZE = 256;

// Store a document. ARGV: expected generation (what the caller read), version, document JSON, origin,
// source, now. KEYS: the policy hash, then the verdicts and denied keys of the expected generation
// (dropped: the index starts again under the new generation). Answers {change, generation}, or
// {'retry', current} when the generation moved since the caller read it.
const PUT_LUA = `
local cur = tonumber(redis.call('HGET', KEYS[1], 'generation') or '0')
if cur ~= tonumber(ARGV[1]) then return {'retry', cur} end
local deleted = redis.call('HGET', KEYS[1], 'deleted')
local live = cur > 0 and not deleted
if live and redis.call('HGET', KEYS[1], 'version') == ARGV[2] and redis.call('HGET', KEYS[1], 'origin') == ARGV[4] then
  return {'unchanged', cur}
end
local gen = cur + 1
redis.call('HDEL', KEYS[1], 'deleted')
if not live then redis.call('HSET', KEYS[1], 'createdAt', ARGV[6], 'indexed', '0') end
redis.call('HSET', KEYS[1], 'version', ARGV[2], 'document', ARGV[3], 'origin', ARGV[4], 'source', ARGV[5], 'updatedAt', ARGV[6], 'generation', gen)
redis.call('UNLINK', KEYS[2], KEYS[3])
if live then return {'changed', gen} end
return {'created', gen}
`;

// Delete: keep only the bumped generation (a tombstone) and drop the index. ARGV: expected generation.
const DELETE_LUA = `
local cur = tonumber(redis.call('HGET', KEYS[1], 'generation') or '0')
if cur ~= tonumber(ARGV[1]) then return {'retry', cur} end
if cur == 0 or redis.call('HGET', KEYS[1], 'deleted') then return {'absent', cur} end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'generation', cur + 1, 'deleted', '1')
redis.call('UNLINK', KEYS[2], KEYS[3])
return {'deleted', cur + 1}
`;

// Mark a generation's index complete, if it is still the current one. ARGV: generation.
const INDEXED_LUA = `
if redis.call('HGET', KEYS[1], 'generation') ~= ARGV[1] or redis.call('HGET', KEYS[1], 'deleted') then return 0 end
redis.call('HSET', KEYS[1], 'indexed', ARGV[1])
return 1
`;

const HEAD_FIELDS = ['version', 'generation', 'indexed', 'origin', 'deleted'] as const;

function isOrigin(s: string | null | undefined): s is PolicyOrigin {
  return s === 'api' || s === 'file' || s === 'builtin';
}

/** Policy names are DNS labels (they appear in URLs, Redis keys and metric labels). */
export function checkPolicyName(name: string): void {
  if (!POLICY_NAME_RE.test(name))
    throw new RecipeError(
      'usage',
      `policy names are lower-case letters, digits and '-', at most 63 characters (got ${JSON.stringify(name.slice(0, 80))})`,
    );
}

export class PolicyStore {
  readonly #compiled = new LRUCache<string, CompiledPolicy>({ max: COMPILED_CACHE_SIZE });

  readonly #reads: HashReads;

  /** `reads`: how heads are read (default: a round trip each, `DirectHashReads`). */
  constructor(
    readonly store: RecipeStore,
    reads?: HashReads,
  ) {
    this.#reads = reads ?? new DirectHashReads(store.redis, store.deadlineMs);
  }

  get #redis() {
    return this.store.redis;
  }
  get #keys() {
    return this.store.keys;
  }

  #run<T>(opts: Opts, f: () => Promise<T>): Promise<T> {
    opts.signal?.throwIfAborted();
    return withDeadline(f(), this.store.deadlineMs, 'the store');
  }

  #head(name: string, h: readonly (string | null)[]): PolicyHead | undefined {
    const [version, generation, indexed, origin, deleted] = h;
    if (!version || !generation || deleted || !isOrigin(origin)) return undefined;
    return { name, version, generation: Number(generation), indexed: Number(indexed ?? '0'), origin };
  }

  /** Version, generation and origin of a stored policy; undefined when there is none. */
  async head(name: string, opts: Opts = {}): Promise<PolicyHead | undefined> {
    return this.#head(name, await this.#reads.hmget(this.#keys.policy(name), HEAD_FIELDS, opts));
  }

  /** The stored policy with its document. */
  async get(name: string, opts: Opts = {}): Promise<StoredPolicy | undefined> {
    const h = await this.#run(opts, () => this.#redis.hgetall(this.#keys.policy(name)));
    const head = this.#head(name, [
      h.version ?? null,
      h.generation ?? null,
      h.indexed ?? null,
      h.origin ?? null,
      h.deleted ?? null,
    ]);
    if (!head || !h.document) return undefined;
    const p: StoredPolicy = {
      ...head,
      document: JSON.parse(h.document) as PolicyDocument,
      createdAt: h.createdAt ?? '',
      updatedAt: h.updatedAt ?? '',
    };
    if (h.source) p.source = h.source;
    return p;
  }

  /** Every stored policy's head, by name. */
  async list(opts: Opts = {}): Promise<PolicyHead[]> {
    const names = (await this.#run(opts, () => this.#redis.smembers(this.#keys.policies()))).sort();
    const heads = await Promise.all(names.map((n) => this.head(n, opts)));
    return heads.filter((h): h is PolicyHead => h !== undefined);
  }

  /**
   * Store `doc` under its name. With origin `api`, a policy configured from a file is refused
   * (`forbidden`: change the file). Re-storing the same document changes nothing.
   */
  async put(
    doc: PolicyDocument,
    info: { origin: PolicyOrigin; source?: string },
    opts: Opts = {},
  ): Promise<PutResult> {
    const name = doc.name;
    checkPolicyName(name);
    const version = policyDigest(doc);
    const json = JSON.stringify(doc);
    for (let attempt = 0; attempt < 10; attempt++) {
      const cur = await this.head(name, opts);
      if (cur?.origin === 'file' && info.origin === 'api')
        throw new RecipeError(
          'forbidden',
          `policy ${name} is configured from a file (policies.files): change it there, not through the API`,
        );
      const gen = await this.#generation(name, opts);
      const [change, generation] = (await this.#run(opts, () =>
        this.#redis.eval(
          PUT_LUA,
          3,
          this.#keys.policy(name),
          this.#keys.policyVerdicts(name, gen),
          this.#keys.policyDenied(name, gen),
          String(gen),
          version,
          json,
          info.origin,
          info.source ?? '',
          new Date().toISOString(),
        ),
      )) as [string, number];
      this.#reads.forget(this.#keys.policy(name));
      if (change === 'retry') continue;
      await this.#run(opts, () => this.#redis.sadd(this.#keys.policies(), name));
      const policy = await this.get(name, opts);
      if (!policy || policy.generation < Number(generation))
        throw new RecipeError('unavailable', `policy ${name} changed while it was being stored; try again`);
      return { policy, change: change as PutResult['change'] };
    }
    throw new RecipeError('unavailable', `policy ${name} keeps changing; try again`);
  }

  /**
   * Delete a policy. The built-in default comes back when `default` is deleted (it is stored again,
   * origin `builtin`). Returns false when there was none. With origin `api`, file policies are refused.
   */
  async delete(name: string, info: { origin: PolicyOrigin }, opts: Opts = {}): Promise<boolean> {
    checkPolicyName(name);
    const cur = await this.head(name, opts);
    if (!cur) return false;
    if (cur.origin === 'file' && info.origin === 'api')
      throw new RecipeError(
        'forbidden',
        `policy ${name} is configured from a file (policies.files): remove it there, not through the API`,
      );
    if (name === DEFAULT_POLICY_NAME) {
      if (cur.origin === 'builtin') return false;
      await this.put(DEFAULT_POLICY_DOCUMENT, { origin: 'builtin' }, opts);
      return true;
    }
    for (let attempt = 0; attempt < 10; attempt++) {
      const gen = await this.#generation(name, opts);
      const [r] = (await this.#run(opts, () =>
        this.#redis.eval(
          DELETE_LUA,
          3,
          this.#keys.policy(name),
          this.#keys.policyVerdicts(name, gen),
          this.#keys.policyDenied(name, gen),
          String(gen),
        ),
      )) as [string, number];
      this.#reads.forget(this.#keys.policy(name));
      if (r === 'retry') continue;
      await this.#run(opts, () => this.#redis.srem(this.#keys.policies(), name));
      return r === 'deleted';
    }
    throw new RecipeError('unavailable', `policy ${name} keeps changing; try again`);
  }

  /** Store the built-in default policy under `default`, unless a policy of that name exists. */
  async ensureBuiltinDefault(opts: Opts = {}): Promise<void> {
    if (await this.head(DEFAULT_POLICY_NAME, opts)) return;
    await this.put(DEFAULT_POLICY_DOCUMENT, { origin: 'builtin' }, opts);
  }

  /** Record that `generation`'s index is complete (no effect once the policy changed again). */
  async markIndexed(name: string, generation: number, opts: Opts = {}): Promise<boolean> {
    const r = await this.#run(opts, () =>
      this.#redis.eval(INDEXED_LUA, 1, this.#keys.policy(name), String(generation)),
    );
    this.#reads.forget(this.#keys.policy(name));
    return r === 1;
  }

  async #generation(name: string, opts: Opts): Promise<number> {
    return Number(
      (await this.#run(opts, () => this.#redis.hget(this.#keys.policy(name), 'generation'))) ?? '0',
    );
  }

  /**
   * The compiled form of a stored policy, from the cache when this version was compiled before.
   * `not-found` when no policy has that name. The built-in default answers for `default` even
   * before it is stored (a store that was never written to).
   */
  async compiled(name: string, opts: Opts = {}): Promise<{ head: PolicyHead; policy: CompiledPolicy }> {
    const head = await this.head(name, opts);
    if (!head) {
      if (name === DEFAULT_POLICY_NAME) {
        const version = policyDigest(DEFAULT_POLICY_DOCUMENT);
        const policy = this.#compile(version, () => DEFAULT_POLICY_DOCUMENT);
        return { head: { name, version, generation: 0, indexed: 0, origin: 'builtin' }, policy };
      }
      throw new RecipeError('not-found', `no policy named ${name}`, { details: { policy: name } });
    }
    const cached = this.#compiled.get(head.version);
    if (cached) return { head, policy: cached };
    const text = await this.#run(opts, () => this.#redis.hget(this.#keys.policy(name), 'document'));
    if (text === null) throw new RecipeError('not-found', `no policy named ${name}`);
    const policy = this.#compile(head.version, () =>
      parsePolicyValue(JSON.parse(text), { source: `stored policy ${name}` }),
    );
    return { head, policy };
  }

  #compile(version: string, doc: () => PolicyDocument): CompiledPolicy {
    let p = this.#compiled.get(version);
    if (!p) {
      p = compilePolicy(doc(), { version });
      this.#compiled.set(version, p);
    }
    return p;
  }
}
