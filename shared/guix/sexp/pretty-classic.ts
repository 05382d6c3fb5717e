/**
 * The classic Guile pretty-printer (Guile <= 3.0.9, Marc Feeley's "genwrite"), byte for byte: what
 * `(pretty-print obj port #:width W #:per-line-prefix P)` prints with the default max-expr-width 50.
 *
 * Its rules, in short: columns count characters after the prefix and the usable width is W - len(P);
 * a list or vector is written flat when its flat form is at most min(width left - closing parens
 * that follow, 49) characters; otherwise it is broken by the style of its head (call style for symbol
 * heads of at most 5 characters, "general" style with a 2-space body indent for longer ones, list
 * style for other heads, special styles for define/lambda/let/if/cond/case/and/or/begin/do/syntax-*).
 * The flat form abbreviates quote forms only inside proper lists (a vector or dotted list falls back
 * to Guile's plain `write`).
 */

import type { Datum } from './datum.js';
import { Sym, Vector } from './datum.js';
import type { Cursor } from './pretty-common.js';
import { Out, car, cdr, checkDepth, isNull, isPair, pairCursor, tailOf } from './pretty-common.js';
import { codePointLength, flatForm, readMacroPrefix } from './writer.js';

const MAX_EXPR_WIDTH = 50;
const MAX_CALL_HEAD_WIDTH = 5;
const INDENT_GENERAL = 2;

/** How a broken pair is laid out (genwrite's pp-pair procedures). */
type PpItem = (c: Cursor, col: number, extra: number, depth: number) => number;

/** The classic pretty-print of `d`: prefix first, newline last. */
export function prettyClassic(d: Datum, width: number, prefix: string): string {
  const out = new Out();
  const W = width - codePointLength(prefix);

  const put = (s: string, col: number): number => {
    out.put(s);
    return col + codePointLength(s);
  };
  const wr = (x: Datum, col: number): number =>
    put(flatForm(x, { abbreviate: 'proper-lists' }) as string, col);
  const spaces = (n: number, col: number): number => (n > 0 ? put(' '.repeat(n), col) : col);
  const indent = (to: number, col: number): number => {
    if (to < col) {
      out.put('\n');
      out.put(prefix);
      return spaces(to, 0);
    }
    return spaces(to - col, col);
  };

  const pr = (x: Datum, col: number, extra: number, ppPair: PpItem, depth: number): number => {
    const cursor = pairCursor(x);
    if (cursor === undefined && !(x instanceof Vector)) return wr(x, col);
    checkDepth(depth);
    const left = Math.min(W - col - extra + 1, MAX_EXPR_WIDTH);
    const flat = flatForm(x, { abbreviate: 'proper-lists', limit: left - 1 });
    if (flat !== undefined) return put(flat, col);
    if (cursor !== undefined) return ppPair(cursor, col, extra, depth + 1);
    const items = (x as Vector).items;
    const col1 = put('#', col);
    return items.length === 0
      ? put('()', col1)
      : ppList({ items, i: 0, tail: undefined }, col1, extra, ppExpr, depth + 1);
  };

  const ppExpr: PpItem = (c, col, extra, depth) => {
    const readMacro = c.i === 0 && c.tail === undefined ? readMacroPrefix(c.items) : undefined;
    if (readMacro !== undefined) return pr(car(cdr(c)), put(readMacro, col), extra, ppExpr, depth);
    const head = car(c);
    if (head instanceof Sym) {
      const style = STYLES.get(head.name);
      if (style !== undefined) return style(c, col, extra, depth);
      if (codePointLength(head.name) > MAX_CALL_HEAD_WIDTH) {
        return ppGeneral(c, col, extra, false, undefined, undefined, ppExpr, depth);
      }
      return ppCall(c, col, extra, ppExpr, depth);
    }
    return ppList(c, col, extra, ppExpr, depth);
  };

  // (head item1
  //       item2)
  const ppCall = (c: Cursor, col: number, extra: number, ppItem: PpItem, depth: number): number => {
    const col1 = wr(car(c), put('(', col));
    return ppDown(cdr(c), col1, col1 + 1, extra, ppItem, depth);
  };

  // (item1
  //  item2)
  const ppList = (c: Cursor, col: number, extra: number, ppItem: PpItem, depth: number): number => {
    const col1 = put('(', col);
    return ppDown(c, col1, col1, extra, ppItem, depth);
  };

  const ppDown = (
    l: Cursor,
    col1: number,
    col2: number,
    extra: number,
    ppItem: PpItem,
    depth: number,
  ): number => {
    let col = col1;
    for (;;) {
      if (isPair(l)) {
        const rest = cdr(l);
        const extra1 = isNull(rest) ? extra + 1 : 0;
        col = pr(car(l), indent(col2, col), extra1, ppItem, depth);
        l = rest;
      } else if (isNull(l)) {
        return put(')', col);
      } else {
        const dotCol = indent(col2, put('.', indent(col2, col)));
        return put(')', pr(tailOf(l), dotCol, extra + 1, ppItem, depth));
      }
    }
  };

  const ppGeneral = (
    c: Cursor,
    col: number,
    extra: number,
    named: boolean,
    pp1: PpItem | undefined,
    pp2: PpItem | undefined,
    pp3: PpItem,
    depth: number,
  ): number => {
    let rest = cdr(c);
    let col2 = wr(car(c), put('(', col));
    if (named && isPair(rest)) {
      col2 = wr(car(rest), put(' ', col2));
      rest = cdr(rest);
    }
    const col1 = col + INDENT_GENERAL;
    const col3 = col2 + 1;
    if (pp1 !== undefined && isPair(rest)) {
      const val = car(rest);
      rest = cdr(rest);
      col2 = pr(val, indent(col3, col2), isNull(rest) ? extra + 1 : 0, pp1, depth);
    }
    if (pp2 !== undefined && isPair(rest)) {
      const val = car(rest);
      rest = cdr(rest);
      col2 = pr(val, indent(col3, col2), isNull(rest) ? extra + 1 : 0, pp2, depth);
    }
    return ppDown(rest, col2, col1, extra, pp3, depth);
  };

  const ppExprList: PpItem = (c, col, extra, depth) => ppList(c, col, extra, ppExpr, depth);
  const ppLambda: PpItem = (c, col, extra, depth) =>
    ppGeneral(c, col, extra, false, ppExprList, undefined, ppExpr, depth);
  const ppIf: PpItem = (c, col, extra, depth) =>
    ppGeneral(c, col, extra, false, ppExpr, undefined, ppExpr, depth);
  const ppCond: PpItem = (c, col, extra, depth) => ppCall(c, col, extra, ppExprList, depth);
  const ppCase: PpItem = (c, col, extra, depth) =>
    ppGeneral(c, col, extra, false, ppExpr, undefined, ppExprList, depth);
  const ppAnd: PpItem = (c, col, extra, depth) => ppCall(c, col, extra, ppExpr, depth);
  const ppLet: PpItem = (c, col, extra, depth) => {
    const rest = cdr(c);
    const named = isPair(rest) && car(rest) instanceof Sym;
    return ppGeneral(c, col, extra, named, ppExprList, undefined, ppExpr, depth);
  };
  const ppBegin: PpItem = (c, col, extra, depth) =>
    ppGeneral(c, col, extra, false, undefined, undefined, ppExpr, depth);
  const ppDo: PpItem = (c, col, extra, depth) =>
    ppGeneral(c, col, extra, false, ppExprList, ppExprList, ppExpr, depth);
  const ppSyntaxCase: PpItem = (c, col, extra, depth) =>
    ppGeneral(c, col, extra, true, ppExprList, undefined, ppExpr, depth);

  const STYLES = new Map<string, PpItem>([
    ...[
      'lambda',
      'lambda*',
      'let*',
      'letrec',
      'define',
      'define*',
      'define-public',
      'define-syntax',
      'let-syntax',
      'letrec-syntax',
      'with-syntax',
      'syntax-rules',
    ].map((k) => [k, ppLambda] as const),
    ['if', ppIf],
    ['set!', ppIf],
    ['cond', ppCond],
    ['case', ppCase],
    ['and', ppAnd],
    ['or', ppAnd],
    ['let', ppLet],
    ['begin', ppBegin],
    ['do', ppDo],
    ['syntax-case', ppSyntaxCase],
  ]);

  out.put(prefix);
  pr(d, 0, 0, ppExpr, 0);
  out.put('\n');
  return out.text();
}
