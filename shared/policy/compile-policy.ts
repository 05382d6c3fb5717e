/**
 * A validated policy document, compiled once into what `evaluate` needs at request rate: defaults
 * applied, channels in a map by URL, commit lists in sets and prefix lists, package ranges parsed and
 * grouped by name, fingerprints normalised. Nothing is parsed or compiled per evaluation.
 *
 * Defaults (docs/policies.md): recipe required, provenance required and complete, any channel, channels
 * without introduction allowed, no package denied, transformations allowed, every platform must pass,
 * unscanned images denied (with action scan, a 60 s wait), mode enforce.
 */
import { RecipeError } from '../errors.js';
import { CommitMatcher } from './commit-pattern.js';
import { normaliseFingerprint } from './openpgp-fingerprint.js';
import { parsePackageRange, type PackageRange } from './package-range.js';
import { policyDigest } from './policy-digest.js';
import type { PolicyDocument } from './policy-schema.js';
import type { ChannelIntroduction, PolicyMode } from './verdict.js';

export interface CompiledChannelRule {
  url: string;
  /** The introduction required, as written, and its normalised parts for comparison. */
  introduction?: { written: ChannelIntroduction; commit: string; signer: string };
  /** Only these commits (absent: any). */
  allow?: CommitMatcher;
  /** Never these commits. */
  deny?: CommitMatcher;
}

export type UnscannedAction = 'deny' | 'allow' | 'scan';

export interface CompiledPolicy {
  readonly name: string;
  /** The stored version, or the document's content hash (policy-digest.ts). */
  readonly version: string;
  readonly mode: PolicyMode;
  readonly document: PolicyDocument;
  readonly recipeRequired: boolean;
  readonly provenanceRequired: boolean;
  readonly partialProvenanceAllowed: boolean;
  /** null: any channel URL. */
  readonly allowedChannels: ReadonlyMap<string, CompiledChannelRule> | null;
  readonly withoutIntroductionAllowed: boolean;
  /** Deny rules by package name. */
  readonly deniedPackages: ReadonlyMap<string, readonly PackageRange[]>;
  readonly transformationsAllowed: boolean;
  readonly platforms: 'all' | 'any';
  readonly unscanned: { action: UnscannedAction; waitSeconds: number };
}

/** Every default, in one place. */
export const POLICY_DEFAULTS = {
  mode: 'enforce',
  recipeRequired: true,
  provenanceRequired: true,
  partialProvenanceAllowed: false,
  withoutIntroductionAllowed: true,
  transformationsAllowed: true,
  platforms: 'all',
  unscannedAction: 'deny',
  waitSeconds: 60,
} as const;

function invalid(what: string): RecipeError {
  return new RecipeError('invalid-policy', `${what} (compile only validated documents: parse-policy.ts)`);
}

/**
 * Compile a document that parsePolicyText / parsePolicyValue accepted. `version` defaults to the
 * document's content hash.
 */
export function compilePolicy(doc: PolicyDocument, opts: { version?: string } = {}): CompiledPolicy {
  const rules = doc.rules ?? {};
  let allowedChannels: Map<string, CompiledChannelRule> | null = null;
  if (rules.channels?.allowed !== undefined) {
    allowedChannels = new Map();
    for (const entry of rules.channels.allowed) {
      const rule: CompiledChannelRule = { url: entry.url };
      if (entry.introduction) {
        const signer = normaliseFingerprint(entry.introduction.signer);
        if (signer === undefined) throw invalid(`bad signer for ${entry.url}`);
        rule.introduction = {
          written: { commit: entry.introduction.commit, signer: entry.introduction.signer },
          commit: entry.introduction.commit.toLowerCase(),
          signer,
        };
      }
      if (entry.commits?.allow !== undefined) rule.allow = new CommitMatcher(entry.commits.allow);
      if (entry.commits?.deny !== undefined && entry.commits.deny.length > 0)
        rule.deny = new CommitMatcher(entry.commits.deny);
      allowedChannels.set(entry.url, rule);
    }
  }
  const deniedPackages = new Map<string, PackageRange[]>();
  for (const spec of rules.packages?.deny ?? []) {
    const range = parsePackageRange(spec);
    if ('error' in range) throw invalid(range.error);
    const list = deniedPackages.get(range.name);
    if (list) list.push(range);
    else deniedPackages.set(range.name, [range]);
  }
  const compiled: CompiledPolicy = {
    name: doc.name,
    version: opts.version ?? policyDigest(doc),
    mode: doc.mode ?? POLICY_DEFAULTS.mode,
    document: doc,
    recipeRequired: rules.recipe?.required ?? POLICY_DEFAULTS.recipeRequired,
    provenanceRequired: rules.provenance?.required ?? POLICY_DEFAULTS.provenanceRequired,
    partialProvenanceAllowed: rules.provenance?.allowPartial ?? POLICY_DEFAULTS.partialProvenanceAllowed,
    allowedChannels,
    withoutIntroductionAllowed:
      rules.channels?.allowWithoutIntroduction ?? POLICY_DEFAULTS.withoutIntroductionAllowed,
    deniedPackages,
    transformationsAllowed: rules.transformations?.allowed ?? POLICY_DEFAULTS.transformationsAllowed,
    platforms: rules.platforms?.require ?? POLICY_DEFAULTS.platforms,
    unscanned: {
      action: rules.unscanned?.action ?? POLICY_DEFAULTS.unscannedAction,
      waitSeconds: rules.unscanned?.waitSeconds ?? POLICY_DEFAULTS.waitSeconds,
    },
  };
  return Object.freeze(compiled);
}
