/**
 * The policy that applies when none is configured: allow exactly the images whose recipe is known and
 * carries provenance. It is the empty rule set, so every default of compile-policy.ts applies: a
 * recipe is required (every platform), provenance is required and complete, images not scanned yet
 * are denied; channels, commits, packages and transformations are not restricted.
 */
import { compilePolicy, type CompiledPolicy } from './compile-policy.js';
import { POLICY_API_VERSION, POLICY_KIND, type PolicyDocument } from './policy-schema.js';

export const DEFAULT_POLICY_NAME = 'default';

export const DEFAULT_POLICY_DOCUMENT: PolicyDocument = Object.freeze({
  apiVersion: POLICY_API_VERSION,
  kind: POLICY_KIND,
  name: DEFAULT_POLICY_NAME,
  description: 'allows exactly the images whose recipe is known and carries provenance',
});

let compiled: CompiledPolicy | undefined;

/** The default policy, compiled (once). */
export function defaultPolicy(): CompiledPolicy {
  compiled ??= compilePolicy(DEFAULT_POLICY_DOCUMENT);
  return compiled;
}
