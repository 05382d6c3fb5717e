/**
 * Commits in a policy's per-channel allow and deny lists: a full commit (40 hex digits) or a prefix
 * of at least 7, as `git` abbreviates them. Matching ignores case; recorded commits are lower case.
 */

/** The shortest prefix accepted: git's default abbreviation. */
export const MIN_COMMIT_PREFIX = 7;
const COMMIT_PATTERN_RE = /^[0-9a-f]{7,40}$/i;
const FULL_COMMIT_RE = /^[0-9a-f]{40}$/i;

/** A sentence saying what is wrong with `s` as a commit or prefix, or undefined when it is one. */
export function commitPatternError(s: string): string | undefined {
  return COMMIT_PATTERN_RE.test(s)
    ? undefined
    : `${JSON.stringify(s)} is not a commit (want 40 hex digits, or a prefix of at least ${MIN_COMMIT_PREFIX})`;
}

/** A sentence saying what is wrong with `s` as a full commit, or undefined when it is one. */
export function fullCommitError(s: string): string | undefined {
  return FULL_COMMIT_RE.test(s) ? undefined : `${JSON.stringify(s)} is not a commit (want 40 hex digits)`;
}

/** A set of commit patterns, precompiled: exact commits in a set, shorter prefixes in a list. */
export class CommitMatcher {
  private readonly exact = new Map<string, string>();
  private readonly prefixes: { prefix: string; pattern: string }[] = [];

  /** `patterns` as written (validated by commitPatternError). */
  constructor(patterns: readonly string[]) {
    for (const pattern of patterns) {
      const p = pattern.toLowerCase();
      if (p.length === 40) {
        if (!this.exact.has(p)) this.exact.set(p, pattern);
      } else this.prefixes.push({ prefix: p, pattern });
    }
  }

  get size(): number {
    return this.exact.size + this.prefixes.length;
  }

  /** The pattern (as written) that matches `commit`, or undefined. */
  match(commit: string): string | undefined {
    const c = commit.toLowerCase();
    const exact = this.exact.get(c);
    if (exact !== undefined) return exact;
    for (const { prefix, pattern } of this.prefixes) if (c.startsWith(prefix)) return pattern;
    return undefined;
  }
}
