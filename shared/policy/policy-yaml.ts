/**
 * A policy document's text (YAML, or JSON, which YAML 1.2 reads the same) read as plain data, with
 * the position of every field, by the maintained `yaml` package. Hostile text is expected, so:
 *
 * - the size is capped, and control characters (which YAML forbids anyway) are refused first;
 * - nesting is bounded BEFORE the document is composed: the `yaml` composer recurses per level, and
 *   a few thousand nested brackets exhaust it (it even ran out of memory at 5,000 levels). A pass of
 *   `yaml`'s own lexer, which is iterative, bounds the depth of every token by its indentation plus
 *   the block indicators (`-`, `?`) before it on its line plus the open flow brackets. That bound
 *   over-counts (an indentation of four columns per level counts four), so the limit is in columns
 *   and levels together, far above any real policy;
 * - aliases are counted by the same pass, and `toJS` caps their expansion (billion laughs);
 * - any explicit tag (`!!binary`, `!foo`, ...) is refused: a policy is plain data, and nothing in it
 *   is ever constructed or run; duplicate keys and multiple documents are refused.
 */
import { CST, isAlias, isMap, isScalar, isSeq, Lexer, LineCounter, parseDocument, visit } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import type { FieldPath, PathIssue, PolicyIssue } from './policy-issues.js';

export interface YamlLimits {
  /** Largest text, in UTF-8 bytes. */
  maxBytes: number;
  /** Largest nesting bound: columns of indentation + block indicators + open brackets. */
  maxNesting: number;
  /** Most aliases (`*name`) in a document. */
  maxAliases: number;
}

export const DEFAULT_YAML_LIMITS: YamlLimits = {
  maxBytes: 256 * 1024,
  maxNesting: 100,
  maxAliases: 64,
};

/** A document read from text: its value, and where each field is. */
export interface YamlSource {
  value: unknown;
  /** The 1-based line and column of the field at `path` (its key with `at: 'key'`). */
  locate(path: FieldPath, at?: 'key' | 'value'): { line: number; column: number };
}

/** Thrown with the issues found before a document could be read (parse-policy.ts reports them). */
export class YamlIssues extends Error {
  constructor(readonly issues: PolicyIssue[]) {
    super(issues[0]?.message ?? 'invalid YAML');
    this.name = 'YamlIssues';
  }
}

/** 1-based line and column of `offset` in `text` (columns count UTF-16 units, as `yaml` does). */
function positionAt(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

// Tabs, line feeds and carriage returns are the only C0 controls YAML allows; DEL and C1 are refused
// too (YAML allows them only escaped).
// eslint-disable-next-line no-control-regex
const CONTROL_RE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u0084\u0086-\u009f]/;

/** The lexer's markers, which stand for no source text. */
const MARKERS = new Set(['\x02', '\x18', '\x1f']);

/** The first place where the nesting bound or the alias count is exceeded, if any. */
function prescan(text: string, limits: YamlLimits): PolicyIssue | undefined {
  let offset = 0;
  let indent = 0;
  let lineStart = true;
  let indicators = 0;
  let flow = 0;
  let aliases = 0;
  let scalarNext = false;
  for (const token of new Lexer().lex(text)) {
    if (MARKERS.has(token)) {
      if (token === '\x1f') scalarNext = true;
      continue;
    }
    const at = offset;
    offset += token.length;
    if (scalarNext) {
      // A scalar's source; a multi-line one leaves us at the start of a line.
      scalarNext = false;
      if (token.includes('\n')) {
        lineStart = true;
        indent = 0;
        indicators = 0;
      } else lineStart = false;
      continue;
    }
    const type = CST.tokenType(token);
    if (type === 'newline') {
      lineStart = true;
      indent = 0;
      indicators = 0;
      continue;
    }
    if (type === 'space' && lineStart) {
      indent = token.length;
      lineStart = false;
      continue;
    }
    lineStart = false;
    if (type === 'seq-item-ind' || type === 'explicit-key-ind') indicators++;
    else if (type === 'flow-seq-start' || type === 'flow-map-start') flow++;
    else if ((type === 'flow-seq-end' || type === 'flow-map-end') && flow > 0) flow--;
    else if (type === 'alias' && ++aliases > limits.maxAliases)
      return {
        field: '',
        ...positionAt(text, at),
        message: `too many aliases (more than ${limits.maxAliases})`,
      };
    if (indent + indicators + flow > limits.maxNesting)
      return {
        field: '',
        ...positionAt(text, at),
        message: `nested too deeply (more than ${limits.maxNesting} levels and columns of indentation)`,
      };
  }
  return undefined;
}

/** `!!binary` for the core tags, as they were written. */
function shortTag(tag: string): string {
  return tag.startsWith('tag:yaml.org,2002:') ? `!!${tag.slice('tag:yaml.org,2002:'.length)}` : tag;
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

/** Read `text` as one YAML (or JSON) document of plain data. Throws YamlIssues. */
export function readYaml(text: string, limits: YamlLimits = DEFAULT_YAML_LIMITS): YamlSource {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > limits.maxBytes)
    throw new YamlIssues([
      { field: '', message: `the document is too large (${bytes} bytes; at most ${limits.maxBytes})` },
    ]);
  const control = CONTROL_RE.exec(text);
  if (control)
    throw new YamlIssues([
      {
        field: '',
        ...positionAt(text, control.index),
        message: `control character U+${control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} is not allowed`,
      },
    ]);
  const deep = prescan(text, limits);
  if (deep) throw new YamlIssues([deep]);

  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    schema: 'core',
    version: '1.2',
    merge: false,
    uniqueKeys: true,
    strict: true,
  });
  const pos = (offset: number) => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, column: p.col };
  };
  const issues: PolicyIssue[] = [];
  const keyAt = new Map<number, string>();
  visit(doc, {
    Node(_key, node) {
      if (node.tag !== undefined && node.range)
        issues.push({
          field: '',
          ...pos(node.range[0]),
          message: `tags are not allowed (${shortTag(node.tag)}): a policy is plain data`,
        });
    },
    Pair(_key, pair) {
      if (isScalar(pair.key) && pair.key.range) {
        const v = pair.key.value;
        keyAt.set(pair.key.range[0], typeof v === 'string' ? v : JSON.stringify(v));
      }
      if (pair.key !== null && !isScalar(pair.key) && !isAlias(pair.key)) {
        const range = (pair.key as YamlNode).range;
        issues.push({
          field: '',
          ...(range ? pos(range[0]) : {}),
          message: 'keys must be plain strings',
        });
      }
    },
  });
  for (const e of [...doc.errors, ...doc.warnings]) {
    const start = e.pos[0];
    const message =
      e.code === 'DUPLICATE_KEY'
        ? `duplicate key ${JSON.stringify(keyAt.get(start) ?? '')}`
        : e.code === 'MULTIPLE_DOCS'
          ? 'only one document is allowed'
          : firstLine(e.message);
    issues.push({ field: '', ...pos(start), message });
  }
  if (issues.length > 0) throw new YamlIssues(issues);

  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: limits.maxAliases });
  } catch (err) {
    throw new YamlIssues([
      { field: '', line: 1, column: 1, message: `the aliases expand too much (${(err as Error).message})` },
    ]);
  }
  return { value, locate: (path, at) => locate(doc, path, at ?? 'value', pos) };
}

function locate(
  doc: Document.Parsed,
  path: FieldPath,
  at: 'key' | 'value',
  pos: (offset: number) => { line: number; column: number },
): { line: number; column: number } {
  let node: unknown = doc.contents;
  let keyNode: YamlNode | undefined;
  let last: YamlNode | undefined = (doc.contents as YamlNode | null) ?? undefined;
  let complete = true;
  for (const seg of path) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.findLast((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (pair === undefined) {
        complete = false;
        break;
      }
      keyNode = pair.key as YamlNode;
      node = pair.value;
      last = (node as YamlNode | null) ?? keyNode;
    } else if (isSeq(node) && typeof seg === 'number' && node.items[seg] !== undefined) {
      keyNode = undefined;
      node = node.items[seg];
      last = node as YamlNode;
    } else {
      complete = false;
      break;
    }
  }
  const target = complete && at === 'key' && keyNode ? keyNode : last;
  const offset = target?.range?.[0];
  return offset === undefined ? { line: 1, column: 1 } : pos(offset);
}

/** Place path issues in the source. */
export function placeIssues(src: YamlSource, issues: PathIssue[], format: (p: FieldPath) => string) {
  return issues.map((i): PolicyIssue => ({
    field: format(i.path),
    ...src.locate(i.path, i.at),
    message: i.message,
  }));
}
