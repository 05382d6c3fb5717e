// docs/policies.md and its example policy stay true: the example parses (the file and its copy in the
// document are the same policy), judges the fixture images as its comments say, and the document
// lists every reason code, every rule field, and the mistakes exactly as they are reported.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { compilePolicy } from '../../shared/policy/compile-policy.js';
import { evaluate } from '../../shared/policy/evaluate.js';
import { parsePolicyText } from '../../shared/policy/parse-policy.js';
import { policyDigest } from '../../shared/policy/policy-digest.js';
import { formatIssue, policyIssuesOf } from '../../shared/policy/policy-issues.js';
import { PolicyRulesSchema } from '../../shared/policy/policy-schema.js';
import { REASON_CODES } from '../../shared/policy/reason-codes.js';
import { FIXTURES, subjectOf } from './policy-fixtures.js';
import { RecipeError } from '../../shared/errors.js';

const DOC = readFileSync('docs/policies.md', 'utf8');
const EXAMPLE = readFileSync('docs/examples/policy.yaml', 'utf8');

/** The fenced blocks of the document that follow `after`. */
function blocksAfter(after: string): string[] {
  const from = DOC.indexOf(after);
  assert.ok(from >= 0, `docs/policies.md has no "${after}"`);
  return [...DOC.slice(from).matchAll(/```[a-z]*\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

void test('the example policy parses, and the copy in the document is the same policy', () => {
  const file = parsePolicyText(EXAMPLE, { source: 'docs/examples/policy.yaml' });
  const copy = parsePolicyText(blocksAfter('## Example')[0]!);
  assert.equal(policyDigest(copy), policyDigest(file));
});

void test('the example policy judges the fixture images', () => {
  const policy = compilePolicy(parsePolicyText(EXAMPLE));
  const outcome = Object.fromEntries(FIXTURES.map((f) => [f, evaluate(policy, subjectOf(f)).outcome]));
  assert.deepEqual(outcome, {
    layered: 'allow',
    'mixed-commits': 'deny', // a denied guix commit, and the guix-hpc channel
    'multi-output': 'allow',
    'no-provenance': 'deny',
    propagated: 'allow',
    'seed-python-numpy': 'deny', // python 3.8.2
    transformations: 'deny',
    'two-channels': 'allow',
    v3: 'deny', // python 3.8.2
  });
  assert.deepEqual(
    evaluate(policy, subjectOf('mixed-commits')).reasons.map((r) => r.code),
    ['commit-denied', 'channel-not-allowed'],
  );
});

void test('the reason codes table lists exactly the codes', () => {
  const section = DOC.slice(DOC.indexOf('### Reason codes'), DOC.indexOf('## Mistakes in a policy document'));
  const listed = [...section.matchAll(/^\| `([a-z-]+)` +\|/gm)].map((m) => m[1]);
  assert.deepEqual(listed.sort(), Object.keys(REASON_CODES).sort());
});

void test('every rule and every rule field is documented', () => {
  const rules = PolicyRulesSchema.properties as Record<string, { properties?: Record<string, unknown> }>;
  for (const [rule, schema] of Object.entries(rules)) {
    assert.ok(DOC.includes(`### \`${rule}\``), `rule ${rule}`);
    for (const field of Object.keys(schema.properties ?? {}))
      assert.ok(DOC.includes(`| \`${field}\``), `field ${rule}.${field}`);
  }
  for (const field of ['url', 'introduction', 'commits.allow', 'commits.deny'])
    assert.ok(DOC.includes(`| \`${field}\``), `channel field ${field}`);
});

void test('the mistakes shown are the ones reported', () => {
  const [bad, said] = blocksAfter('## Mistakes in a policy document');
  try {
    parsePolicyText(bad!, { source: 'policy.yaml' });
    assert.fail('accepted');
  } catch (err) {
    assert.ok(err instanceof RecipeError);
    const lines = policyIssuesOf(err).map((i) => `guix-recipes: ${formatIssue(i, 'policy.yaml')}\n`);
    assert.equal(lines.join(''), said);
  }
});
