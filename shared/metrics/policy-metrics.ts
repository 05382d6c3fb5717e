/**
 * Policy gauges, read from the verdict index at scrape time (shared/store/verdict-index.ts), so
 * every API process reports the same numbers:
 *   guix_recipes_policy_denied_images{policy}     images the policy denies now (its index)
 *   guix_recipes_policy_index_complete{policy}    1 when every known image has been judged under the
 *                                                 policy's current version, 0 while a re-evaluation runs
 */
import type { VerdictIndex } from '../store/verdict-index.js';
import type { MetricsRegistry } from './registry.js';

/** Register the policy gauges on `registry` and fill them from the index. Throws what the store throws. */
export async function recordPolicyGauges(
  registry: MetricsRegistry,
  index: VerdictIndex,
  opts: { signal?: AbortSignal } = {},
): Promise<void> {
  const denied = registry.gauge({
    name: 'guix_recipes_policy_denied_images',
    help: 'Known images each stored policy denies now (from the verdict index).',
    labels: ['policy'],
  });
  const complete = registry.gauge({
    name: 'guix_recipes_policy_index_complete',
    help: "1 when every known image has been judged under the policy's current version, else 0.",
    labels: ['policy'],
  });
  for (const c of await index.deniedCounts(opts)) {
    denied.set({ policy: c.policy.name }, c.denied);
    complete.set({ policy: c.policy.name }, c.complete ? 1 : 0);
  }
}
