/**
 * The checks the schema cannot express: values with a grammar of their own (package ranges, commits,
 * fingerprints, the policy name) and rules that contradict each other. Each check looks only at
 * values of the right type, so it runs beside the schema's checks and both report at once.
 */
import { commitPatternError, fullCommitError } from './commit-pattern.js';
import { fingerprintError } from './openpgp-fingerprint.js';
import { parsePackageRange } from './package-range.js';
import type { PathIssue } from './policy-issues.js';
import { POLICY_NAME_RE } from './policy-schema.js';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function obj(v: unknown, key: string): Record<string, unknown> | undefined {
  if (!isObject(v)) return undefined;
  const x = v[key];
  return isObject(x) ? x : undefined;
}

function strings(v: unknown): [number, string][] {
  return Array.isArray(v)
    ? v.flatMap((x, i): [number, string][] => (typeof x === 'string' ? [[i, x]] : []))
    : [];
}

/** Issues about the values of `doc` (any shape: wrong types are the schema's to report). */
export function semanticIssues(doc: unknown): PathIssue[] {
  const issues: PathIssue[] = [];
  if (!isObject(doc)) return issues;
  if (typeof doc.name === 'string' && !POLICY_NAME_RE.test(doc.name))
    issues.push({
      path: ['name'],
      message: `${JSON.stringify(doc.name)} is not a policy name (want lower-case letters, digits and -, at most 63, starting and ending with a letter or digit)`,
    });
  const rules = obj(doc, 'rules');

  const channels = obj(rules, 'channels');
  const allowed = channels?.allowed;
  if (Array.isArray(allowed)) {
    const firstByUrl = new Map<string, number>();
    allowed.forEach((entry, i) => {
      if (!isObject(entry)) return;
      const base = ['rules', 'channels', 'allowed', i];
      if (typeof entry.url === 'string') {
        const first = firstByUrl.get(entry.url);
        if (first !== undefined)
          issues.push({
            path: [...base, 'url'],
            message: `${JSON.stringify(entry.url)} is listed twice (first at rules.channels.allowed[${first}])`,
          });
        else firstByUrl.set(entry.url, i);
        if (entry.url.trim() !== entry.url)
          issues.push({ path: [...base, 'url'], message: 'has leading or trailing white space' });
      }
      const intro = obj(entry, 'introduction');
      if (typeof intro?.commit === 'string') {
        const err = fullCommitError(intro.commit);
        if (err) issues.push({ path: [...base, 'introduction', 'commit'], message: err });
      }
      if (typeof intro?.signer === 'string') {
        const err = fingerprintError(intro.signer);
        if (err) issues.push({ path: [...base, 'introduction', 'signer'], message: err });
      }
      const commits = obj(entry, 'commits');
      for (const list of ['allow', 'deny'] as const) {
        for (const [j, c] of strings(commits?.[list])) {
          const err = commitPatternError(c);
          if (err) issues.push({ path: [...base, 'commits', list, j], message: err });
        }
      }
    });
  }

  for (const [i, spec] of strings(obj(rules, 'packages')?.deny)) {
    const parsed = parsePackageRange(spec);
    if ('error' in parsed) issues.push({ path: ['rules', 'packages', 'deny', i], message: parsed.error });
  }

  const unscanned = obj(rules, 'unscanned');
  if (unscanned?.waitSeconds !== undefined && unscanned.action !== 'scan')
    issues.push({
      path: ['rules', 'unscanned', 'waitSeconds'],
      message: 'applies only to action: scan',
    });
  return issues;
}
