/**
 * A verdict for an image reference, as the API's verdict and admission routes ask for one:
 * the reference resolved (a digest as is; a tag through the registry, cached: the only registry
 * call), the subject read from the store, the policy (stored, inline or the configured default)
 * compiled once per version, then `evaluate`. Nothing is scanned here, with one exception the policy
 * itself asks for: `unscanned.action: scan` queues the image's scan and waits for it, within a bound
 * the caller sets (never in a dry run).
 *
 * Images of registries the configuration does not list can never be scanned: they are judged as
 * never scanned (the policy's `unscanned` rule decides), with a message that says why.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { LRUCache } from 'lru-cache';
import type { TagCache } from '../config/tag-cache.js';
import type { Platform } from '../content/platform.js';
import { imageName, parseReference, type ImageRef } from '../oci/reference.js';
import { compilePolicy, type CompiledPolicy } from '../policy/compile-policy.js';
import { evaluate } from '../policy/evaluate.js';
import { parsePolicyValue } from '../policy/parse-policy.js';
import { canonicalJson } from '../policy/policy-digest.js';
import type { Subject } from '../policy/subject.js';
import type { Verdict } from '../policy/verdict.js';
import { RecipeError } from '../errors.js';
import type { ScanRequests } from '../queue/scan-requests.js';
import type { PolicyStore } from '../store/policy-store.js';
import type { RecipeStore } from '../store/recipe-store.js';
import type { StoreSubjects } from '../store/verdict-subject.js';

export interface VerdictServiceDeps {
  store: RecipeStore;
  policies: PolicyStore;
  subjects: StoreSubjects;
  /** Tag resolution (cached); absent in a process without registry access. */
  tags?: TagCache;
  /** Queues scans for `unscanned.action: scan`; absent: such images stay unscanned. */
  scanRequests?: Pick<ScanRequests, 'submitScan'>;
  /** Whether a registry is one the configuration lets us read. */
  registryConfigured(host: string): boolean;
  /** The policy that judges when none is named (configuration `policies.default`). */
  defaultPolicy: string;
}

/** A stored policy's name, an inline document (not validated yet), or none (the default). */
export type PolicyChoice = string | object | undefined;

export interface JudgeOptions {
  signal: AbortSignal;
  /** Judge only this platform of an index. */
  platform?: Platform;
  /** Change nothing: no scan is queued, whatever the policy says. */
  dryRun?: boolean;
  /** The longest this caller may wait for a scan the policy asks for, ms (0: do not queue one). */
  scanWaitMs: number;
}

export interface Judged {
  verdict: Verdict;
  /** `registry/repo@digest` judged; absent when the reference could not be pinned to a digest. */
  image?: string;
  /** The tag the reference named, if any. */
  tag?: string;
  /** True when this request queued the image's scan (unscanned.action: scan). */
  scanQueued?: boolean;
}

/** How often a waiting request looks at the image's scan state. */
const SCAN_POLL_MS = 100;
/** Inline policies compiled and kept, by content. */
const INLINE_CACHE_SIZE = 64;

export class VerdictService {
  readonly #inline = new LRUCache<string, CompiledPolicy>({ max: INLINE_CACHE_SIZE });

  constructor(readonly deps: VerdictServiceDeps) {}

  /** The compiled policy a request names: stored (by name), inline, or the configured default. */
  async policy(choice: PolicyChoice, opts: { signal?: AbortSignal } = {}): Promise<CompiledPolicy> {
    if (choice === undefined)
      return (await this.deps.policies.compiled(this.deps.defaultPolicy, opts)).policy;
    if (typeof choice === 'string') return (await this.deps.policies.compiled(choice, opts)).policy;
    // The same inline document (by content) is validated and compiled once.
    const key = canonicalJson(choice);
    let p = this.#inline.get(key);
    if (!p) {
      p = compilePolicy(parsePolicyValue(choice, { source: 'policy' }));
      this.#inline.set(key, p);
    }
    return p;
  }

  /** Judge `image` (a reference) under `policy`. */
  async judge(image: string, policy: CompiledPolicy, opts: JudgeOptions): Promise<Judged> {
    const ref = parseReference(image);
    const tag = ref.digest === undefined ? ref.tag : undefined;
    if (!this.deps.registryConfigured(ref.registry))
      return { verdict: unreachable(policy, ref.registry), ...(tag ? { tag } : {}) };
    let digest = ref.digest;
    if (digest === undefined) {
      if (!this.deps.tags)
        throw new RecipeError('unavailable', 'registry access is not configured in this process');
      digest = await this.deps.tags.resolve(
        { registry: ref.registry, repository: ref.repository, tag: ref.tag ?? 'latest' },
        { signal: opts.signal },
      );
    }
    const img: ImageRef = { registry: ref.registry, repository: ref.repository, digest };
    const subjectOpts = {
      signal: opts.signal,
      stamp: false,
      ...(opts.platform ? { platform: opts.platform } : {}),
    };
    let { subject } = await this.deps.subjects.of(img, subjectOpts);
    let verdict = evaluate(policy, subject);
    const out: Judged = { verdict, image: imageName(img), ...(tag ? { tag } : {}) };
    if (verdict.outcome !== 'needs-scan' || opts.dryRun || opts.scanWaitMs <= 0 || !this.deps.scanRequests)
      return out;
    // The policy asks for a scan: queue it (unless one is under way, or it failed: a failed scan is
    // retried by people, not by every admission request), then wait for it within the bound.
    if (!subject.known && subject.state === 'never-scanned') {
      await this.deps.scanRequests.submitScan(img, { source: 'verdict' }, { signal: opts.signal });
      out.scanQueued = true;
    }
    if (!subject.known && subject.state !== 'failed') {
      const waitMs = Math.min(opts.scanWaitMs, policy.unscanned.waitSeconds * 1000);
      subject = await this.#waitForScan(img, waitMs, subjectOpts);
      verdict = evaluate(policy, subject);
      out.verdict = verdict;
    }
    return out;
  }

  async #waitForScan(
    img: ImageRef,
    waitMs: number,
    opts: { signal: AbortSignal; platform?: Platform; stamp?: boolean },
  ): Promise<Subject> {
    const until = Date.now() + waitMs;
    for (;;) {
      const rec = await this.deps.store.getImage(img, { signal: opts.signal });
      if (rec?.state === 'done' || rec?.state === 'failed' || Date.now() >= until) break;
      await sleep(Math.min(SCAN_POLL_MS, Math.max(1, until - Date.now())), undefined, {
        signal: opts.signal,
      });
    }
    return (await this.deps.subjects.of(img, opts)).subject;
  }
}

/** The verdict on an image of a registry we may not read: never scanned, and never will be. */
function unreachable(policy: CompiledPolicy, registry: string): Verdict {
  const v = evaluate(policy, { known: false, state: 'never-scanned' });
  const why = `registry ${registry} is not one guix-recipes reads (configuration registries), so the image cannot be scanned`;
  const fix = (rs: Verdict['reasons']) =>
    rs.map((r) => (r.code === 'not-scanned' ? { ...r, message: why } : r));
  return { ...v, reasons: fix(v.reasons), warnings: fix(v.warnings) };
}
