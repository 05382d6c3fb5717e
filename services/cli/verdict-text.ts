/**
 * A verdict for people, as `gate` prints it: one line on standard output with the outcome, and every
 * reason (then every warning) on its own line on standard error. Facts come from images, so every
 * piece goes through `printable`: a package name cannot forge a line or steer the terminal.
 */
import type { VerdictJson } from '../../shared/policy/verdict-schema.js';
import { printable } from './terminal-text.js';

type ReasonJson = VerdictJson['reasons'][number];

/** `deny: linux/arm64: package-denied: package python@3.8.2 is denied by "python@<3.10"` */
export function reasonLine(kind: 'deny' | 'warning' | 'needs-scan', r: ReasonJson): string {
  const where = r.platform === undefined ? '' : `${printable(r.platform)}: `;
  return `${kind}: ${where}${printable(r.code)}: ${printable(r.message)}\n`;
}

/** `deny IMAGE (policy NAME sha256:…, enforce)` */
export function outcomeLine(image: string, v: VerdictJson): string {
  const mode = v.policy.mode === 'warn' ? ', warn mode' : '';
  return `${v.outcome} ${printable(image)} (policy ${printable(v.policy.name)} ${printable(v.policy.version)}${mode})\n`;
}

/** The lines for standard error: reasons, then warnings. */
export function reasonLines(v: VerdictJson): string {
  const kind = v.outcome === 'needs-scan' ? 'needs-scan' : 'deny';
  return [
    ...v.reasons.map((r) => reasonLine(kind, r)),
    ...v.warnings.map((r) => reasonLine('warning', r)),
  ].join('');
}
