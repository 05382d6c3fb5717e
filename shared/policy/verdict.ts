/**
 * A verdict: allow, deny, or "needs a scan first", with every reason behind it. Each reason has a
 * stable code (reason-codes.ts), a sentence a person can act on, the platform it concerns (for an
 * index) and the recipe facts it rests on, typed per code below. The API serves this JSON as is and
 * the CLI's `gate --output json` prints it.
 */
import type { ReasonCode } from './reason-codes.js';
import type { UnscannedState } from './subject.js';

export type Outcome = 'allow' | 'deny' | 'needs-scan';
export type PolicyMode = 'enforce' | 'warn';

export interface ChannelIntroduction {
  commit: string;
  signer: string;
}

/** The facts behind each kind of reason. Package specs are `name@version[:output]`. */
export interface ReasonFacts {
  'not-scanned': { state: Exclude<UnscannedState, 'failed'> };
  'scan-failed': { state: 'failed'; error?: { code: string; message: string } };
  'no-recipe': { result: 'not-guix' | 'no-profile' | 'no-image'; reason: string; digest?: string };
  'no-provenance': { packages: string[] };
  'partial-provenance': { packages: string[] };
  'channel-not-allowed': { channel: string; url: string; commits: (string | null)[] };
  'no-introduction': { channel: string; url: string };
  'introduction-mismatch': {
    channel: string;
    url: string;
    recorded: ChannelIntroduction;
    expected: ChannelIntroduction;
  };
  'commit-denied': { channel: string; url: string; commit: string; rule: string };
  'commit-not-allowed': { channel: string; url: string; commit: string | null };
  'package-denied': {
    package: string;
    version: string;
    output: string;
    storePath: string;
    rule: string;
    /** The packages through which it is propagated, top-level first; [] for a top-level package. */
    via: string[];
  };
  'transformations-denied': {
    package: string;
    version: string;
    output: string;
    transformations: { option: string; value: string }[];
  };
}

export type Reason = {
  [C in ReasonCode]: {
    code: C;
    message: string;
    /** `os/arch[/variant]` of the index entry concerned; absent for a single image. */
    platform?: string;
    facts: ReasonFacts[C];
  };
}[ReasonCode];

export interface Verdict {
  outcome: Outcome;
  /** Why the image is denied (or needs a scan); [] when allowed. In policy order, per platform. */
  reasons: Reason[];
  /** What would deny it in enforce mode (warn mode), or what an allow overlooked; [] otherwise. */
  warnings: Reason[];
  /** The digests of the image manifests whose recipes were judged, in platform order. */
  recipeDigests: string[];
  policy: { name: string; version: string; mode: PolicyMode };
  /** With `needs-scan`: how long the caller may wait for a scan before answering. */
  scan?: { waitSeconds: number };
}
