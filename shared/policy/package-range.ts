/**
 * Package specifications of a policy's deny list: a name, optionally with a version or a range of
 * versions. Versions compare as Guix compares them (guix-version.ts):
 *
 *   NAME         every version
 *   NAME@V       the versions V is a version prefix of, as on Guix's command line
 *                ("python@3.10" is 3.10, 3.10.7, ...; not 3.100)
 *   NAME@<V      older than V            NAME@<=V   older than V, or V
 *   NAME@>V      newer than V            NAME@>=V   newer than V, or V
 *   NAME@A..B    from A to B, both included
 */
import { compareVersions, isVersionPrefix } from './guix-version.js';

export type VersionConstraint =
  | { kind: 'any' }
  | { kind: 'prefix'; version: string }
  | { kind: '<' | '<=' | '>' | '>='; version: string }
  | { kind: 'range'; from: string; to: string };

export interface PackageRange {
  /** The specification as written. */
  spec: string;
  name: string;
  constraint: VersionConstraint;
}

/** What every error about a specification says is wanted. */
export const PACKAGE_RANGE_FORMS = 'NAME, NAME@VERSION, NAME@<V, NAME@<=V, NAME@>V, NAME@>=V or NAME@A..B';

/** Package names as Guix spells them: letters, digits and `+ . _ -`, starting with a letter or digit. */
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9+._-]*$/;
/** A version: letters, digits and `+ . _ ~ -`, starting with a letter or digit. */
const VERSION_RE = /^[A-Za-z0-9][A-Za-z0-9+._~-]*$/;

function isVersion(v: string): boolean {
  return VERSION_RE.test(v) && !v.includes('..');
}

/**
 * Parse one specification. Returns the range, or a sentence saying what is wrong (the caller adds
 * where). The name is what precedes the last `@`, as Guix splits `name@version`.
 */
export function parsePackageRange(spec: string): PackageRange | { error: string } {
  const notRange = { error: `${JSON.stringify(spec)} is not a package range (want ${PACKAGE_RANGE_FORMS})` };
  const at = spec.lastIndexOf('@');
  const name = at === -1 ? spec : spec.slice(0, at);
  if (!NAME_RE.test(name)) return notRange;
  if (at === -1) return { spec, name, constraint: { kind: 'any' } };
  const rest = spec.slice(at + 1);
  const op = /^(<=|>=|<|>)/.exec(rest)?.[1] as '<' | '<=' | '>' | '>=' | undefined;
  if (op !== undefined) {
    const version = rest.slice(op.length);
    return isVersion(version) ? { spec, name, constraint: { kind: op, version } } : notRange;
  }
  const dots = rest.indexOf('..');
  if (dots !== -1) {
    const from = rest.slice(0, dots);
    const to = rest.slice(dots + 2);
    if (!isVersion(from) || !isVersion(to)) return notRange;
    if (compareVersions(from, to) > 0)
      return { error: `${JSON.stringify(spec)} is an empty range: ${from} is newer than ${to}` };
    return { spec, name, constraint: { kind: 'range', from, to } };
  }
  return isVersion(rest) ? { spec, name, constraint: { kind: 'prefix', version: rest } } : notRange;
}

/** Whether `version` satisfies the constraint. */
export function versionMatches(c: VersionConstraint, version: string): boolean {
  switch (c.kind) {
    case 'any':
      return true;
    case 'prefix':
      return isVersionPrefix(c.version, version);
    case '<':
      return compareVersions(version, c.version) < 0;
    case '<=':
      return compareVersions(version, c.version) <= 0;
    case '>':
      return compareVersions(version, c.version) > 0;
    case '>=':
      return compareVersions(version, c.version) >= 0;
    case 'range':
      return compareVersions(version, c.from) >= 0 && compareVersions(version, c.to) <= 0;
  }
}
