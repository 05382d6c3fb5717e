/**
 * The verdict: a pure function of a compiled policy and what is known about one image. No I/O, no
 * clock, no randomness: the same policy and the same recipes always give the same verdict, so every
 * known image can be judged again whenever a policy or a recipe changes, without a scan.
 *
 * Order of reasons (deterministic): platforms in the image's order; within one, the rules in this
 * order: recipe, provenance, channels (in the recipe's channel order: URL, introduction, commits),
 * packages (depth-first, pre-order over the profile, propagated inputs included), transformations.
 *
 * Cost: linear in the recipe (each profile entry visited once; `repeated` entries are not expanded
 * again) and in the number of commits; every matcher was built by compilePolicy.
 */
import type { RecipeDependency, RecipePackage, Recipe } from '../guix/recipe.js';
import type { CompiledPolicy } from './compile-policy.js';
import { normaliseFingerprint } from './openpgp-fingerprint.js';
import { versionMatches } from './package-range.js';
import type { PlatformFacts, Subject } from './subject.js';
import type { ChannelIntroduction, Reason, ReasonFacts, Verdict } from './verdict.js';

type ReasonOf<C extends keyof ReasonFacts> = Extract<Reason, { code: C }>;

function reason<C extends keyof ReasonFacts>(
  code: C,
  message: string,
  facts: ReasonFacts[C],
  platform: string | undefined,
): ReasonOf<C> {
  return (
    platform === undefined ? { code, message, facts } : { code, message, platform, facts }
  ) as ReasonOf<C>;
}

function spec(p: { name: string; version: string; output: string }): string {
  return `${p.name}@${p.version}${p.output === 'out' ? '' : `:${p.output}`}`;
}

/** At most `n` items named in a message; the facts carry them all. */
function someOf(items: string[], n = 5): string {
  return items.length <= n
    ? items.join(', ')
    : `${items.slice(0, n).join(', ')} and ${items.length - n} more`;
}

/** `a -> b -> c`; a long chain (hostile nesting) keeps its two ends: the facts carry it whole. */
function chain(via: string[]): string {
  return via.length <= 6 ? via.join(' -> ') : [...via.slice(0, 3), '…', ...via.slice(-2)].join(' -> ');
}

const REBUILD_HINT = "rebuild it with 'guix pack --save-provenance'";
/** The same for a Guix system's recipe, whose provenance `guix system image` saves. */
const SYSTEM_REBUILD_HINT = "rebuild it with 'guix system image --save-provenance'";

/** One channel as the recipe records it, merged by URL over the export and every package's provenance. */
interface ChannelFact {
  name: string;
  url: string;
  /** The commits recorded, first seen first; null: a provenance that records `(commit #f)`. */
  commits: (string | null)[];
  /** null: recorded without one (or only in packages' provenance, which do not carry it). */
  introduction: ChannelIntroduction | null;
}

function channelFacts(recipe: Recipe): ChannelFact[] {
  const byUrl = new Map<string, ChannelFact & { seen: Set<string | null> }>();
  const add = (name: string, url: string, commit: string | null, intro: ChannelIntroduction | null) => {
    let fact = byUrl.get(url);
    if (fact === undefined) {
      fact = { name, url, commits: [], introduction: intro, seen: new Set<string | null>() };
      byUrl.set(url, fact);
    }
    if (!fact.seen.has(commit)) {
      fact.seen.add(commit);
      fact.commits.push(commit);
    }
  };
  for (const c of recipe.channels) for (const commit of c.commits) add(c.name, c.url, commit, c.introduction);
  // A hostile manifest can give one channel name two URLs: the export keeps the first, the packages
  // still record the other. Both are judged.
  for (const p of recipe.packages) for (const ref of p.channels) add(ref.name, ref.url, ref.commit, null);
  return [...byUrl.values()].map(({ name, url, commits, introduction }) => ({
    name,
    url,
    commits,
    introduction,
  }));
}

function sameIntroduction(recorded: ChannelIntroduction, want: { commit: string; signer: string }): boolean {
  return (
    recorded.commit.toLowerCase() === want.commit && normaliseFingerprint(recorded.signer) === want.signer
  );
}

function judgeChannels(policy: CompiledPolicy, recipe: Recipe, platform: string | undefined, out: Reason[]) {
  const allowed = policy.allowedChannels;
  for (const ch of channelFacts(recipe)) {
    const who = `channel ${ch.name} (${ch.url})`;
    let rule;
    if (allowed !== null) {
      rule = allowed.get(ch.url);
      if (rule === undefined) {
        out.push(
          reason(
            'channel-not-allowed',
            `${who} is not among the channels the policy allows`,
            { channel: ch.name, url: ch.url, commits: ch.commits },
            platform,
          ),
        );
        continue;
      }
    }
    if (ch.introduction === null) {
      if (rule?.introduction !== undefined || !policy.withoutIntroductionAllowed)
        out.push(
          reason(
            'no-introduction',
            `${who} is recorded without an introduction, so its commits cannot be authenticated`,
            { channel: ch.name, url: ch.url },
            platform,
          ),
        );
    } else if (rule?.introduction !== undefined && !sameIntroduction(ch.introduction, rule.introduction)) {
      const want = rule.introduction.written;
      out.push(
        reason(
          'introduction-mismatch',
          `${who} is introduced by commit ${ch.introduction.commit} signed by ${ch.introduction.signer}; the policy requires commit ${want.commit} signed by ${want.signer}`,
          { channel: ch.name, url: ch.url, recorded: ch.introduction, expected: want },
          platform,
        ),
      );
    }
    if (rule === undefined || (rule.deny === undefined && rule.allow === undefined)) continue;
    for (const commit of ch.commits) {
      if (commit === null) {
        // No commit to compare: no deny rule matches it, and no allow rule can admit it.
        if (rule.allow !== undefined)
          out.push(
            reason(
              'commit-not-allowed',
              `${who} is recorded without a commit, so it cannot be among the commits the policy allows`,
              { channel: ch.name, url: ch.url, commit },
              platform,
            ),
          );
        continue;
      }
      const denied = rule.deny?.match(commit);
      if (denied !== undefined)
        out.push(
          reason(
            'commit-denied',
            `${who} is at commit ${commit}, which the policy denies (${denied})`,
            { channel: ch.name, url: ch.url, commit, rule: denied },
            platform,
          ),
        );
      else if (rule.allow !== undefined && rule.allow.match(commit) === undefined)
        out.push(
          reason(
            'commit-not-allowed',
            `${who} is at commit ${commit}, which is not among the commits the policy allows`,
            { channel: ch.name, url: ch.url, commit },
            platform,
          ),
        );
    }
  }
}

interface Visit {
  entry: RecipePackage | RecipeDependency;
  parent: Visit | undefined;
}

function viaOf(v: Visit): string[] {
  const via: string[] = [];
  for (let p = v.parent; p !== undefined; p = p.parent) via.push(spec(p.entry));
  return via.reverse();
}

function judgePackages(policy: CompiledPolicy, recipe: Recipe, platform: string | undefined, out: Reason[]) {
  const denied = policy.deniedPackages;
  if (denied.size === 0) return;
  const reported = new Set<string>();
  // Depth-first, pre-order, iteratively (a hostile profile may nest deeply).
  const stack: Visit[] = [];
  for (let i = recipe.packages.length - 1; i >= 0; i--)
    stack.push({ entry: recipe.packages[i]!, parent: undefined });
  while (stack.length > 0) {
    const v = stack.pop()!;
    const e = v.entry;
    const rules = denied.get(e.name);
    if (rules !== undefined) {
      const rule = rules.find((r) => versionMatches(r.constraint, e.version));
      const key = `${e.storePath}\u0000${e.name}\u0000${e.version}\u0000${e.output}`;
      if (rule !== undefined && !reported.has(key)) {
        reported.add(key);
        const via = viaOf(v);
        out.push(
          reason(
            'package-denied',
            `package ${spec(e)} is denied by ${JSON.stringify(rule.spec)}${via.length ? ` (propagated via ${chain(via)})` : ''}`,
            {
              package: e.name,
              version: e.version,
              output: e.output,
              storePath: e.storePath,
              rule: rule.spec,
              via,
            },
            platform,
          ),
        );
      }
    }
    const kids = e.propagated;
    for (let i = kids.length - 1; i >= 0; i--) stack.push({ entry: kids[i]!, parent: v });
  }
}

function judgeRecipe(policy: CompiledPolicy, recipe: Recipe, platform: string | undefined): Reason[] {
  const out: Reason[] = [];
  // A system's packages carry the system's channels: the same judgement covers both kinds.
  const hint = recipe.kind === 'system' ? SYSTEM_REBUILD_HINT : REBUILD_HINT;
  if (policy.provenanceRequired) {
    if (recipe.channels.length === 0) {
      out.push(
        reason(
          'no-provenance',
          `${recipe.kind === 'system' && !recipe.system.savedProvenance ? 'this Guix system image was built without --save-provenance' : 'the recipe records no provenance'}, so the channels it was built from are unknown; ${hint}`,
          { packages: recipe.packagesWithoutProvenance },
          platform,
        ),
      );
    } else if (!policy.partialProvenanceAllowed && recipe.packagesWithoutProvenance.length > 0) {
      const pkgs = recipe.packagesWithoutProvenance;
      out.push(
        reason(
          'partial-provenance',
          `${pkgs.length} package${pkgs.length === 1 ? '' : 's'} carr${pkgs.length === 1 ? 'ies' : 'y'} no provenance (${someOf(pkgs)}); ${hint}`,
          { packages: pkgs },
          platform,
        ),
      );
    }
  }
  if (policy.allowedChannels !== null || !policy.withoutIntroductionAllowed)
    judgeChannels(policy, recipe, platform, out);
  judgePackages(policy, recipe, platform, out);
  if (!policy.transformationsAllowed) {
    for (const p of recipe.packages) {
      if (p.transformations.length === 0) continue;
      const list = p.transformations.map((t) => `${t.option}=${t.value}`).join(', ');
      out.push(
        reason(
          'transformations-denied',
          `package ${spec(p)} is built with transformations (${list}), which the policy does not allow`,
          { package: p.name, version: p.version, output: p.output, transformations: p.transformations },
          platform,
        ),
      );
    }
  }
  return out;
}

function judgePlatform(policy: CompiledPolicy, p: PlatformFacts): Reason[] {
  if (p.kind === 'recipe') return judgeRecipe(policy, p.recipe, p.platform);
  if (!policy.recipeRequired) return [];
  const what = p.kind === 'not-guix' ? 'not a Guix image' : 'a Guix image without profile';
  return [
    reason(
      'no-recipe',
      `no Guix recipe: ${what} (${p.reason}); build it with 'guix pack -f docker --save-provenance'`,
      { result: p.kind, reason: p.reason, ...(p.digest === undefined ? {} : { digest: p.digest }) },
      p.platform,
    ),
  ];
}

/** Judge `subject` under `policy`. Pure and deterministic. */
export function evaluate(policy: CompiledPolicy, subject: Subject): Verdict {
  const head = { policy: { name: policy.name, version: policy.version, mode: policy.mode } };
  let reasons: Reason[];
  let warnings: Reason[] = [];
  const recipeDigests: string[] = [];

  if (!subject.known) {
    const r =
      subject.state === 'failed'
        ? reason(
            'scan-failed',
            `the image's last scan failed${subject.error ? ` (${subject.error.code}: ${subject.error.message})` : ''}; retry the scan`,
            { state: 'failed', ...(subject.error ? { error: subject.error } : {}) },
            undefined,
          )
        : reason(
            'not-scanned',
            subject.state === 'never-scanned'
              ? 'the image has not been scanned; scan it first'
              : `the image's scan is ${subject.state}; wait for it`,
            { state: subject.state },
            undefined,
          );
    switch (policy.unscanned.action) {
      case 'allow':
        return { outcome: 'allow', reasons: [], warnings: [r], recipeDigests, ...head };
      case 'scan':
        return {
          outcome: 'needs-scan',
          reasons: [r],
          warnings: [],
          recipeDigests,
          ...head,
          scan: { waitSeconds: policy.unscanned.waitSeconds },
        };
      case 'deny':
        reasons = [r];
        break;
    }
  } else {
    for (const p of subject.platforms)
      if (p.kind === 'recipe' && p.digest !== undefined) recipeDigests.push(p.digest);
    if (subject.platforms.length === 0) {
      reasons = policy.recipeRequired
        ? [
            reason(
              'no-recipe',
              'no Guix recipe: the index lists no image',
              { result: 'no-image', reason: 'the index lists no image' },
              undefined,
            ),
          ]
        : [];
    } else {
      const perPlatform = subject.platforms.map((p) => judgePlatform(policy, p));
      if (policy.platforms === 'any' && perPlatform.some((rs) => rs.length === 0)) {
        reasons = [];
        warnings = perPlatform.flat();
      } else reasons = perPlatform.flat();
    }
  }

  if (reasons.length === 0) return { outcome: 'allow', reasons, warnings, recipeDigests, ...head };
  if (policy.mode === 'warn')
    return { outcome: 'allow', reasons: [], warnings: [...reasons, ...warnings], recipeDigests, ...head };
  return { outcome: 'deny', reasons, warnings, recipeDigests, ...head };
}
