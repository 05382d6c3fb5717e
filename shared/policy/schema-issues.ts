/**
 * TypeBox's validation errors, turned into issues a person can act on: the field path, and a
 * sentence that says what was expected and what was found ("must be true or false (got the string
 * "yes")"), instead of JSON Schema's vocabulary.
 */
import type { TSchema } from 'typebox';
import { Settings } from 'typebox/system';
import { Value } from 'typebox/value';
import type { FieldPath, PathIssue } from './policy-issues.js';

interface SchemaError {
  keyword: string;
  schemaPath: string;
  instancePath: string;
  params: Record<string, unknown>;
  message: string;
}

/** The path of a JSON pointer, numbers where the value at that point is an array. */
function pointerPath(pointer: string, root: unknown): (string | number)[] {
  if (pointer === '') return [];
  const out: (string | number)[] = [];
  let cur: unknown = root;
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (Array.isArray(cur) && /^(0|[1-9][0-9]*)$/.test(seg)) {
      out.push(Number(seg));
      cur = cur[Number(seg)];
    } else {
      out.push(seg);
      cur = isObject(cur) ? cur[seg] : undefined;
    }
  }
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function valueAt(root: unknown, path: FieldPath): unknown {
  let cur = root;
  for (const seg of path) {
    if (typeof seg === 'number') cur = Array.isArray(cur) ? cur[seg] : undefined;
    else cur = isObject(cur) ? cur[seg] : undefined;
  }
  return cur;
}

/** The schema that applies at `path` (objects by property, arrays by items), if any. */
interface SchemaNode {
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
}

function schemaAt(schema: TSchema, path: FieldPath): SchemaNode | undefined {
  let cur: SchemaNode | undefined = schema;
  for (const seg of path) {
    if (cur === undefined) return undefined;
    cur = typeof seg === 'number' ? cur.items : cur.properties?.[seg];
  }
  return cur;
}

const TYPE_WORDS: Record<string, string> = {
  object: 'a mapping (key: value)',
  array: 'a list',
  string: 'a string',
  boolean: 'true or false',
  integer: 'a whole number',
  number: 'a number',
  null: 'nothing',
};

/** How a found value is named in messages. */
export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v)}`;
  if (typeof v === 'number') return `the number ${v}`;
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return 'a list';
  return 'a mapping';
}

function quoteList(values: unknown): string {
  return Array.isArray(values) ? values.map((v) => String(v)).join(', ') : String(values);
}

function typeMessage(want: unknown, value: unknown): string {
  const wanted = TYPE_WORDS[String(want)] ?? String(want);
  // YAML reads `0123456` as a number and `yes` as a string: say how to write what was meant.
  const hint =
    want === 'string' && (typeof value === 'number' || typeof value === 'boolean') ? '; quote it' : '';
  return `must be ${wanted} (got ${describeValue(value)}${hint})`;
}

/** At most this many schema errors are collected (TypeBox stops at 8 by default). */
const MAX_SCHEMA_ERRORS = 100;

/**
 * TypeBox's errors, up to MAX_SCHEMA_ERRORS. Its cap is a process-wide setting: raised for this one
 * synchronous call only, so that every other user of TypeBox keeps its own.
 */
function allErrors(schema: TSchema, value: unknown): SchemaError[] {
  const previous = Settings.Get().maxErrors;
  Settings.Set({ maxErrors: MAX_SCHEMA_ERRORS });
  try {
    return Value.Errors(schema, value);
  } finally {
    Settings.Set({ maxErrors: previous });
  }
}

/** One issue per mistake `schema` finds in `value`, in TypeBox's order. */
export function schemaIssues(schema: TSchema, value: unknown): PathIssue[] {
  const errors = allErrors(schema, value);
  const issues: PathIssue[] = [];
  const seen = new Set<string>();
  const typeErrorAt = new Set<string>();
  for (const e of errors) if (e.keyword === 'type') typeErrorAt.add(e.instancePath);
  const add = (issue: PathIssue) => {
    const key = `${JSON.stringify(issue.path)}\u0000${issue.message}`;
    if (seen.has(key)) return;
    seen.add(key);
    issues.push(issue);
  };
  for (const e of errors) {
    // A value of the wrong type: that is the one thing to say about it.
    if (e.keyword !== 'type' && typeErrorAt.has(e.instancePath)) continue;
    const path = pointerPath(e.instancePath, value);
    const found = valueAt(value, path);
    switch (e.keyword) {
      case 'type':
        add({ path, message: typeMessage(e.params.type, found) });
        break;
      case 'additionalProperties': {
        const known = Object.keys(schemaAt(schema, path)?.properties ?? {});
        for (const name of (e.params.additionalProperties as string[] | undefined) ?? []) {
          add({
            path: [...path, name],
            at: 'key',
            message: `unknown field${known.length ? ` (known here: ${known.join(', ')})` : ''}`,
          });
        }
        break;
      }
      case 'boolean':
        // `additionalProperties: false` says it again per field; the case above already did.
        if (e.schemaPath.endsWith('/additionalProperties')) break;
        add({ path, message: e.message });
        break;
      case 'required':
        for (const name of (e.params.requiredProperties as string[] | undefined) ?? [])
          add({ path, message: `missing field ${JSON.stringify(name)}` });
        break;
      case 'const':
        add({
          path,
          message: `must be ${JSON.stringify(e.params.allowedValue)} (got ${describeValue(found)})`,
        });
        break;
      case 'enum':
        add({
          path,
          message: `must be one of ${quoteList(e.params.allowedValues)} (got ${describeValue(found)})`,
        });
        break;
      case 'minimum':
        add({ path, message: `must be at least ${String(e.params.limit)} (got ${describeValue(found)})` });
        break;
      case 'maximum':
        add({ path, message: `must be at most ${String(e.params.limit)} (got ${describeValue(found)})` });
        break;
      case 'minLength':
        add({
          path,
          message:
            e.params.limit === 1
              ? 'must not be empty'
              : `must have at least ${String(e.params.limit)} characters`,
        });
        break;
      case 'maxLength':
        add({ path, message: `is too long (more than ${String(e.params.limit)} characters)` });
        break;
      case 'maxItems':
        add({ path, message: `has too many items (more than ${String(e.params.limit)})` });
        break;
      case 'minItems':
        add({ path, message: `must have at least ${String(e.params.limit)} items` });
        break;
      default:
        add({ path, message: e.message });
    }
  }
  return issues;
}
