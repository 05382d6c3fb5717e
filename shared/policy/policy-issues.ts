/**
 * Mistakes in a policy document, and the one error that carries them. Each issue names the field
 * (`rules.packages.deny[1]`) and, for documents read from text, the line and column; the error's
 * message is the first issue, `details.issues` holds them all.
 */
import { RecipeError } from '../errors.js';

/** A path into a document: object keys and array indices. */
export type FieldPath = readonly (string | number)[];

export interface PolicyIssue {
  /** The field, e.g. `rules.packages.deny[1]`; '' for the document itself or a syntax error. */
  field: string;
  /** 1-based line and column in the source text, when the document was read from text. */
  line?: number;
  column?: number;
  /** What is wrong, for people. */
  message: string;
}

/** An issue before it is placed in the source: the field's path, and whether it is about the key. */
export interface PathIssue {
  path: FieldPath;
  /** `key` for a field that should not be there (points at its key), else its value. */
  at?: 'key' | 'value';
  message: string;
}

const IDENTIFIER_RE = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `rules.packages.deny[1]`; keys that are not identifiers are quoted: `rules["a b"]`. */
export function formatFieldPath(path: FieldPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (IDENTIFIER_RE.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** `policy.yaml:12:5: rules.packages.deny[1]: MESSAGE` (parts that are unknown left out). */
export function formatIssue(issue: PolicyIssue, source?: string): string {
  let where = source ?? '';
  if (issue.line !== undefined) where += `${where === '' ? 'line ' : ':'}${issue.line}:${issue.column ?? 1}`;
  const parts = [where, issue.field, issue.message].filter((p) => p !== '');
  return parts.join(': ');
}

/** At most this many issues are reported: past it, the document is not worth reading further. */
export const MAX_REPORTED_ISSUES = 50;

/** The `invalid-policy` error for `issues` (at least one), sorted by position. */
export function policyError(issues: PolicyIssue[], source?: string): RecipeError {
  const sorted = [...issues]
    .sort(
      (a, b) =>
        (a.line ?? 0) - (b.line ?? 0) ||
        (a.column ?? 0) - (b.column ?? 0) ||
        (a.field < b.field ? -1 : a.field > b.field ? 1 : 0),
    )
    .slice(0, MAX_REPORTED_ISSUES);
  const first = sorted[0] ?? { field: '', message: 'invalid policy' };
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  return new RecipeError('invalid-policy', `${formatIssue(first, source)}${more}`, {
    details: {
      ...(source === undefined ? {} : { source }),
      issues: sorted,
    },
  });
}

/** The issues an `invalid-policy` error carries (none for any other error). */
export function policyIssuesOf(err: RecipeError): PolicyIssue[] {
  const issues = err.details?.issues;
  return err.code === 'invalid-policy' && Array.isArray(issues) ? (issues as PolicyIssue[]) : [];
}
