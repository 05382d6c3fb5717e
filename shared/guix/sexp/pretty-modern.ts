/**
 * The rewritten Guile pretty-printer (Guile >= 3.0.10; 3.0.11 prints the same), byte for byte: what
 * `(pretty-print obj port #:width W #:per-line-prefix P)` prints there.
 *
 * Its rules, in short: columns are the real port column, prefix included; a pair is written flat when
 * its flat form fits in (W - len(P)) - column characters (max-expr-width is ignored and closing parens
 * are not counted); otherwise define/lambda/let-likes put their first parameter after the head and the
 * body at +2, `if` aligns its branches under the test, cond/begin put the body at +2, symbol heads of
 * at most 5 characters use call style and everything else list style (items one column in).
 *
 * One deliberate deviation: Guile 3.0.10 prints a two-element vector whose first item is the symbol
 * `quote` (or quasiquote, unquote, unquote-splicing) as `#'x`, which reads back as a different datum;
 * we print `#(quote x)` there so that output always reads back as the datum printed.
 */

import type { Datum } from './datum.js';
import { Sym, Vector } from './datum.js';
import type { Cursor } from './pretty-common.js';
import {
  Out,
  car,
  cdr,
  checkDepth,
  isNull,
  isPair,
  pairCursor,
  restLength,
  tailOf,
} from './pretty-common.js';
import { codePointLength, flatForm, readMacroPrefix } from './writer.js';

const MAX_CALL_HEAD_WIDTH = 5;
const INDENT_GENERAL = 2;

type PpItem = (c: Cursor, depth: number) => void;

/** Where Guile's port column goes after writing `s` from column `col`. */
function advance(col: number, s: string): number {
  for (const ch of s) {
    switch (ch) {
      case '\n':
      case '\r':
        col = 0;
        break;
      case '\t':
        col = col + 8 - (col % 8);
        break;
      case '\b':
        if (col > 0) col--;
        break;
      case '\u0007':
        break;
      default:
        col++;
    }
  }
  return col;
}

/** The modern pretty-print of `d`: prefix first, newline last. */
export function prettyModern(d: Datum, width: number, prefix: string): string {
  const out = new Out();
  const maxColumn = width - codePointLength(prefix);
  let column = 0;

  const put = (s: string): void => {
    out.put(s);
    column = advance(column, s);
  };
  const wr = (x: Datum): void => put(flatForm(x, { abbreviate: 'proper-lists' }) as string);
  const spaces = (n: number): void => {
    if (n > 0) put(' '.repeat(n));
  };
  const indent = (to: number): void => {
    if (to < column) {
      put('\n');
      put(prefix);
      spaces(to - codePointLength(prefix));
    } else {
      spaces(to - column);
    }
  };

  const pr = (x: Datum, ppPair: PpItem, depth: number, inVector = false): void => {
    checkDepth(depth);
    if (x instanceof Vector) {
      put('#');
      if (x.items.length === 0) put('()');
      else pr(x.items, ppPair, depth, true);
      return;
    }
    const c = pairCursor(x);
    if (c === undefined) return wr(x);
    const readMacro = !inVector && c.tail === undefined ? readMacroPrefix(c.items) : undefined;
    if (readMacro !== undefined) {
      put(readMacro);
      return pr(car(cdr(c)), ppPair, depth + 1);
    }
    const room = maxColumn - column;
    const flat = inVector
      ? vectorItemsFlat(c.items, room)
      : flatForm(x, { abbreviate: 'proper-lists', limit: room });
    if (flat !== undefined) return put(flat);
    ppPair(c, depth + 1);
  };

  const ppExpr: PpItem = (c, depth) => {
    const head = car(c);
    if (head instanceof Sym) {
      const style = styleOf(head.name, c);
      if (style !== undefined) return style(c, depth);
      if (codePointLength(head.name) > MAX_CALL_HEAD_WIDTH) return ppList(c, ppExpr, depth);
      return ppCall(c, ppExpr, depth);
    }
    ppList(c, ppExpr, depth);
  };

  /** `(head`, then the parameters after it, each printed by its own style, then the body at +2. */
  const ppHeadParams = (c: Cursor, params: readonly PpItem[], depth: number): void => {
    const bodyCol = column + INDENT_GENERAL;
    put('(');
    wr(car(c));
    let rest = cdr(c);
    for (const ppParam of params) {
      put(' ');
      pr(car(rest), ppParam, depth);
      rest = cdr(rest);
    }
    ppDown(rest, bodyCol, ppExpr, depth);
  };

  const ppIf: PpItem = (c, depth) => {
    put('(');
    wr(car(c));
    put(' ');
    const bodyCol = column;
    const rest = cdr(c);
    pr(car(rest), ppExpr, depth);
    ppDown(cdr(rest), bodyCol, ppExpr, depth);
  };

  const ppCall = (c: Cursor, ppItem: PpItem, depth: number): void => {
    put('(');
    wr(car(c));
    ppDown(cdr(c), column + 1, ppItem, depth);
  };

  const ppList = (c: Cursor, ppItem: PpItem, depth: number): void => {
    put('(');
    ppDown(c, column, ppItem, depth);
  };

  const ppDown = (l: Cursor, itemIndent: number, ppItem: PpItem, depth: number): void => {
    for (;;) {
      if (isNull(l)) return put(')');
      if (isPair(l)) {
        indent(itemIndent);
        pr(car(l), ppItem, depth);
        l = cdr(l);
      } else {
        indent(itemIndent);
        put('.');
        indent(itemIndent);
        pr(tailOf(l), ppItem, depth);
        return put(')');
      }
    }
  };

  const ppExprList: PpItem = (c, depth) => ppList(c, ppExpr, depth);

  /** At least `n` pairs after the head (the rest may end in any tail). */
  const hasArgs = (c: Cursor, n: number): boolean => restLength(c) - 1 >= n;

  const styleOf = (name: string, c: Cursor): PpItem | undefined => {
    switch (name) {
      case 'lambda':
      case 'lambda*':
      case 'define':
      case 'define*':
      case 'define-public':
      case 'define-syntax':
      case 'let*':
      case 'letrec':
      case 'letrec*':
      case 'let-syntax':
      case 'letrec-syntax':
        return hasArgs(c, 2) ? (x, depth) => ppHeadParams(x, [ppExprList], depth) : undefined;
      case 'let':
        if (hasArgs(c, 3) && car(cdr(c)) instanceof Sym) {
          return (x, depth) => ppHeadParams(x, [ppExpr, ppExprList], depth);
        }
        return hasArgs(c, 2) ? (x, depth) => ppHeadParams(x, [ppExprList], depth) : undefined;
      case 'if': {
        const n = restLength(c) - 1;
        return c.tail === undefined && (n === 2 || n === 3) ? ppIf : undefined;
      }
      case 'cond':
      case 'begin':
        return (x, depth) => ppHeadParams(x, [], depth);
      case 'case':
        return hasArgs(c, 1) ? (x, depth) => ppHeadParams(x, [ppExpr], depth) : undefined;
      case 'do':
        return hasArgs(c, 2) ? (x, depth) => ppHeadParams(x, [ppExprList, ppExprList], depth) : undefined;
      case 'syntax-rules':
        return hasArgs(c, 1) ? (x, depth) => ppHeadParams(x, [ppExprList], depth) : undefined;
      case 'syntax-case':
        return hasArgs(c, 2) ? (x, depth) => ppHeadParams(x, [ppExpr, ppExprList], depth) : undefined;
      default:
        return undefined;
    }
  };

  put(prefix);
  pr(d, ppExpr, 0);
  put('\n');
  return out.text();
}

/**
 * The flat form Guile 3.0.10 gives a vector's items: the list of them through its `wr` (quote forms
 * abbreviated inside), except that the items themselves are never taken for a quote form.
 */
function vectorItemsFlat(items: readonly Datum[], limit: number): string | undefined {
  if (readMacroPrefix(items) === undefined) return flatForm(items, { abbreviate: 'proper-lists', limit });
  const text = `(${(items[0] as Sym).name} ${flatForm(items[1] as Datum, { abbreviate: 'proper-lists' }) as string})`;
  return codePointLength(text) <= limit ? text : undefined;
}
