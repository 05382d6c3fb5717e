/**
 * The content hash of a policy document: SHA-256 over its canonical JSON (object keys sorted at
 * every level, no white space). Two documents that say the same thing in different layouts (YAML or
 * JSON, key order, comments) hash the same; any change to a value changes it. The store can use it as
 * the version of a stored policy, and verdicts name it.
 */
import { createHash } from 'node:crypto';
import type { PolicyDocument } from './policy-schema.js';

/** JSON with object keys sorted, recursively. Only for plain data (validated documents). */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** `sha256:<64 hex>` of the document's canonical JSON. */
export function policyDigest(doc: PolicyDocument): string {
  return `sha256:${createHash('sha256').update(canonicalJson(doc)).digest('hex')}`;
}
