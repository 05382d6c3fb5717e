/**
 * Policy documents in, validated PolicyDocuments out. Every mistake found is reported at once, each
 * naming the field and (for text) the line and column: `policy.yaml:12:5: rules.packages.deny[1]:
 * "python@<<3" is not a package range (want ...)`. Failures are RecipeError `invalid-policy`
 * (policy-issues.ts); nothing else is thrown for a bad document.
 */
import { formatFieldPath, policyError, type PathIssue } from './policy-issues.js';
import { PolicyDocumentSchema, type PolicyDocument } from './policy-schema.js';
import { semanticIssues } from './policy-semantics.js';
import { schemaIssues } from './schema-issues.js';
import { DEFAULT_YAML_LIMITS, placeIssues, readYaml, YamlIssues, type YamlLimits } from './policy-yaml.js';

export interface ParsePolicyOptions {
  /** How messages name the document, e.g. the file name. Default: none (messages start at the line). */
  source?: string;
  /** Caps on size, nesting and aliases. Default DEFAULT_YAML_LIMITS (256 KiB, 100, 64). */
  limits?: Partial<YamlLimits>;
}

function validate(value: unknown): PathIssue[] {
  if (value === null || value === undefined) return [{ path: [], message: 'the policy is empty' }];
  return [...schemaIssues(PolicyDocumentSchema, value), ...semanticIssues(value)];
}

/** Parse a policy document's text (YAML or JSON, UTF-8). Throws RecipeError `invalid-policy`. */
export function parsePolicyText(text: string | Uint8Array, opts: ParsePolicyOptions = {}): PolicyDocument {
  const limits = { ...DEFAULT_YAML_LIMITS, ...opts.limits };
  let str: string;
  if (typeof text === 'string') str = text;
  else {
    if (text.byteLength > limits.maxBytes)
      throw policyError(
        [
          {
            field: '',
            message: `the document is too large (${text.byteLength} bytes; at most ${limits.maxBytes})`,
          },
        ],
        opts.source,
      );
    try {
      str = new TextDecoder('utf-8', { fatal: true }).decode(text);
    } catch {
      throw policyError([{ field: '', message: 'the document is not valid UTF-8' }], opts.source);
    }
  }
  let src;
  try {
    src = readYaml(str, limits);
  } catch (err) {
    if (err instanceof YamlIssues) throw policyError(err.issues, opts.source);
    throw err;
  }
  const issues = validate(src.value);
  if (issues.length > 0) throw policyError(placeIssues(src, issues, formatFieldPath), opts.source);
  return src.value as PolicyDocument;
}

/**
 * Validate a policy document that is already data (an inline policy in a JSON request body).
 * Issues name fields, not lines. Throws RecipeError `invalid-policy`.
 */
export function parsePolicyValue(value: unknown, opts: { source?: string } = {}): PolicyDocument {
  const issues = validate(value);
  if (issues.length > 0)
    throw policyError(
      issues.map((i) => ({ field: formatFieldPath(i.path), message: i.message })),
      opts.source,
    );
  return value as PolicyDocument;
}
