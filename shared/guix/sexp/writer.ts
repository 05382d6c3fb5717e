/**
 * Guile 3.0's `write`, byte for byte, for every Datum variant (verified against Guile 3.0.8 with the
 * default print and read options).
 *
 * What Guile does, and so what this does:
 *   - strings: `\"`, `\\`, `\n`, `\a \b \t \v \f \r` for the C0 controls 7..13; space and every
 *     character of Unicode category L, M, N, P or S raw; anything else `\xHH` when <= U+00FF,
 *     `\uHHHH` when <= U+FFFF, else `\UHHHHHH` (lowercase hex, no terminator);
 *   - symbols: bare when Guile would read them back as the same symbol, else `#{...}#` (Guile 3
 *     does NOT use `|...|` unless `(print-enable 'r7rs-symbols)`), with `\xH;` escapes inside for
 *     characters that are neither identifier characters nor space separators;
 *   - keywords `#:` + the symbol form of the name; characters by name (`#\nul`, `#\space`,
 *     `#\delete`...), raw when graphic (combining marks after U+25CC), else in octal (`#\200`);
 *   - numbers as their text, `#t`/`#f`, `()`, `(a b . c)`, `#(...)`, `#vu8(...)`;
 *   - quote forms are NOT abbreviated: `(quote x)` stays `(quote x)`. Only the pretty-printers
 *     abbreviate (see `flatForm`).
 *
 * Known, deliberate fidelity limits: Guile's own `write` is not injective for extended symbols that
 * contain a backslash (Guile writes it raw inside `#{...}#`, and its reader then treats it as an
 * escape); we print exactly what Guile prints. Unicode categories are those of Unicode 14.0, what the
 * libunistring 1.0 of the Guile that printed our reference exports knows (unicode-14.ts), not Node's.
 *
 * Everything here is iterative: any nesting depth prints without growing the call stack.
 */

import type { Datum } from './datum.js';
import { Bytevector, Char, DottedList, Keyword, Num, Sym, Vector } from './datum.js';
import { categorySet, inCategories, isAssigned } from './unicode-14.js';
import type { CategorySet } from './unicode-14.js';

/** Guile's `write` of `d` (quote forms written in full). */
export function writeDatum(d: Datum): string {
  return flatForm(d, { abbreviate: 'never' }) as string;
}

/** Options of `flatForm`. */
export interface FlatFormOptions {
  /**
   * Where `(quote x)` and friends become `'x`: `never` (Guile's `write`), `proper-lists` (the classic
   * printer's `wr`: only while every enclosing container is a proper list; inside a vector or a dotted
   * list Guile's `write` takes over), `always` (everywhere, e.g. inside vectors too).
   */
  abbreviate: 'never' | 'proper-lists' | 'always';
  /** Give up (return undefined) once the text would exceed this many characters (code points). */
  limit?: number;
}

/**
 * The one-line form of `d`. With `limit`, returns undefined once the output length (counted in Scheme
 * characters, i.e. code points) exceeds `limit`, without building the rest. Iterative, and lazy in
 * the width of lists, so a small limit costs little whatever the size of `d`.
 */
export function flatForm(d: Datum, opts: FlatFormOptions): string | undefined {
  const limit = opts.limit ?? Infinity;
  const always = opts.abbreviate === 'always';
  const parts: string[] = [];
  let length = 0;
  const emit = (s: string): boolean => {
    parts.push(s);
    length += codePointLength(s);
    return length <= limit;
  };
  // Open sequences: the items still to write, then the tail (for dotted lists) and the closer.
  interface Frame {
    items: readonly Datum[];
    i: number;
    tail: Datum | undefined;
    ab: boolean;
  }
  const frames: Frame[] = [];
  let next: Datum | undefined = d;
  let ab = opts.abbreviate !== 'never';
  for (;;) {
    if (next !== undefined) {
      const x: Datum = next;
      next = undefined;
      if (Array.isArray(x)) {
        const items = x as readonly Datum[];
        const prefix = ab ? readMacroPrefix(items) : undefined;
        if (items.length === 0) {
          if (!emit('()')) return undefined;
        } else if (prefix !== undefined) {
          if (!emit(prefix)) return undefined;
          next = items[1];
          continue;
        } else {
          if (!emit('(')) return undefined;
          frames.push({ items, i: 0, tail: undefined, ab });
        }
      } else if (x instanceof DottedList) {
        const { items, tail } = normalizeDotted(x);
        if (items.length === 0) {
          next = tail ?? [];
          continue;
        }
        if (!emit('(')) return undefined;
        frames.push({ items, i: 0, tail, ab: always && ab });
      } else if (x instanceof Vector) {
        if (!emit('#(')) return undefined;
        frames.push({ items: x.items, i: 0, tail: undefined, ab: always && ab });
      } else if (!emit(writeAtom(x))) {
        return undefined;
      }
    }
    const top = frames.at(-1);
    if (top === undefined) break;
    if (top.i < top.items.length) {
      if (top.i > 0 && !emit(' ')) return undefined;
      next = top.items[top.i++];
      ab = top.ab;
    } else if (top.tail !== undefined) {
      if (!emit(' . ')) return undefined;
      next = top.tail;
      ab = top.ab;
      top.tail = undefined;
    } else {
      if (!emit(')')) return undefined;
      frames.pop();
    }
  }
  return parts.join('');
}

/** `'`, `` ` ``, `,` or `,@` when `l` is a two-element quote form, else undefined. */
export function readMacroPrefix(l: readonly Datum[]): string | undefined {
  if (l.length !== 2) return undefined;
  const head = l[0];
  if (!(head instanceof Sym)) return undefined;
  switch (head.name) {
    case 'quote':
      return "'";
    case 'quasiquote':
      return '`';
    case 'unquote':
      return ',';
    case 'unquote-splicing':
      return ',@';
    default:
      return undefined;
  }
}

/**
 * A dotted list as Guile's pairs would hold it: a tail that is itself a list is spliced in, since
 * `(a . (b c))` is the list `(a b c)`. The returned tail is undefined for a proper list.
 */
export function normalizeDotted(x: DottedList): { items: Datum[]; tail: Datum | undefined } {
  const items: Datum[] = [...x.items];
  let tail: Datum = x.tail;
  for (;;) {
    if (Array.isArray(tail)) {
      items.push(...(tail as readonly Datum[]));
      return { items, tail: undefined };
    }
    if (tail instanceof DottedList) {
      items.push(...tail.items);
      tail = tail.tail;
      continue;
    }
    return { items, tail };
  }
}

/** `write` of a datum that is neither a list, a dotted list nor a vector. */
export function writeAtom(x: Datum): string {
  if (typeof x === 'string') return writeString(x);
  if (typeof x === 'boolean') return x ? '#t' : '#f';
  if (x instanceof Sym) return writeSymbol(x.name);
  if (x instanceof Keyword) return '#:' + writeSymbol(x.name);
  if (x instanceof Num) return x.text;
  if (x instanceof Char) return writeChar(x.value);
  if (x instanceof Bytevector) return '#vu8(' + Array.from(x.bytes).join(' ') + ')';
  throw new TypeError('writeAtom: not an atom');
}

// Guile's character classes, from Unicode 14.0 categories (what its libunistring 1.0 knows; see
// unicode-14.ts): printed raw in strings (plus space), symbol-initial, symbol-subsequent, and raw inside
// `#{...}#`.
const GRAPHIC = categorySet(
  ...(['Lu', 'Ll', 'Lt', 'Lm', 'Lo', 'Mn', 'Mc', 'Me', 'Nd', 'Nl', 'No'] as const),
  ...(['Pc', 'Pd', 'Ps', 'Pe', 'Pi', 'Pf', 'Po', 'Sm', 'Sc', 'Sk', 'So'] as const),
);
const INITIAL_CATEGORIES = [
  ...(['Lu', 'Ll', 'Lt', 'Lm', 'Lo', 'Mn', 'Nl', 'No', 'Pd', 'Pc', 'Po'] as const),
  ...(['Sc', 'Sm', 'Sk', 'So', 'Co'] as const),
];
const INITIAL = categorySet(...INITIAL_CATEGORIES);
const SUBSEQUENT = categorySet(...INITIAL_CATEGORIES, 'Nd', 'Mc', 'Me');
const EXTENDED_RAW = categorySet(...INITIAL_CATEGORIES, 'Nd', 'Mc', 'Me', 'Zs');

/** Whether the first code point of `ch` is in `set`. */
const isIn = (ch: string, set: CategorySet): boolean => inCategories(ch.codePointAt(0) as number, set);

const STRING_C0_ESCAPES: Record<number, string> = {
  7: '\\a',
  8: '\\b',
  9: '\\t',
  10: '\\n',
  11: '\\v',
  12: '\\f',
  13: '\\r',
};

function hex(cp: number, width: number): string {
  return cp.toString(16).padStart(width, '0');
}

/** Guile's `write` of a string. */
export function writeString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (cp >= 7 && cp <= 13) out += STRING_C0_ESCAPES[cp] as string;
    else if (ch === ' ' || (cp > 0x7f && inCategories(cp, GRAPHIC)) || (cp > 0x20 && cp < 0x7f)) out += ch;
    else if (cp <= 0xff) out += '\\x' + hex(cp, 2);
    else if (cp <= 0xffff) out += '\\u' + hex(cp, 4);
    else out += '\\U' + hex(cp, 6);
  }
  return out + '"';
}

// Radix-10 number syntax of Guile's `string->number`, for symbols that begin with `+`, `-` or `.`
// (any symbol beginning with a digit or `#` is written in extended form anyway).
const UINT = String.raw`\d+#*`;
const SUFFIX = String.raw`(?:[eEsSfFdDlL][+-]?\d+)?`;
const DECIMAL = String.raw`(?:\d+#*\.#*|\.\d+#*|\d+\.\d*#*|\d+#*)${SUFFIX}`;
const UREAL = String.raw`(?:${UINT}/${UINT}|${DECIMAL})`;
const INFNAN = String.raw`(?:[iI][nN][fF]\.0|[nN][aA][nN]\.0)`;
const REAL = String.raw`(?:[+-]?${UREAL}|[+-]${INFNAN})`;
const IMAG = String.raw`(?:[+-](?:${UREAL}|${INFNAN})?[iI])`;
const NUMBER = new RegExp(String.raw`^(?:${REAL}|${REAL}@${REAL}|${REAL}?${IMAG})$`);

/** Whether Guile reads `s` as a number (radix 10, no `#` prefixes). */
export function looksLikeNumber(s: string): boolean {
  if (!NUMBER.test(s)) return false;
  // Guile's string->number refuses a rational with a zero denominator (`+1/0`, `+1/0#`).
  return !/\/0+#*(?![\d#])/.test(s);
}

/** Whether Guile 3 writes the symbol named `name` as `#{...}#`. */
export function symbolNeedsExtendedSyntax(name: string): boolean {
  if (name.length === 0) return true;
  const first = String.fromCodePoint(name.codePointAt(0) as number);
  switch (first) {
    case "'":
    case '`':
    case ',':
    case '"':
    case ';':
    case '#':
      return true;
    case '.':
      if (name === '.') return true;
      if (looksLikeNumber(name)) return true;
      break;
    case '+':
    case '-':
      if (looksLikeNumber(name)) return true;
      break;
    default:
      break;
  }
  if (!isIn(first, INITIAL)) return true;
  // Guile stops here for keyword-like names (`:a`, `a:`): with the default keyword style they are
  // written bare whatever else they hold.
  if (first === ':' || name.endsWith(':')) return false;
  let skip = true;
  for (const ch of name) {
    if (skip) {
      skip = false;
      continue;
    }
    if (!isIn(ch, SUBSEQUENT) || ch === '"' || ch === ';' || ch === '#') return true;
  }
  return false;
}

/** Guile 3's `write` of a symbol name (also used after `#:` for keywords). */
export function writeSymbol(name: string): string {
  if (!symbolNeedsExtendedSyntax(name)) return name;
  let out = '#{';
  for (const ch of name) {
    if (isIn(ch, EXTENDED_RAW)) out += ch;
    else out += '\\x' + (ch.codePointAt(0) as number).toString(16) + ';';
  }
  return out + '}#';
}

const CHAR_NAMES: readonly string[] = [
  'nul',
  'soh',
  'stx',
  'etx',
  'eot',
  'enq',
  'ack',
  'alarm',
  'backspace',
  'tab',
  'newline',
  'vtab',
  'page',
  'return',
  'so',
  'si',
  'dle',
  'dc1',
  'dc2',
  'dc3',
  'dc4',
  'nak',
  'syn',
  'etb',
  'can',
  'em',
  'sub',
  'esc',
  'fs',
  'gs',
  'rs',
  'us',
  'space',
];

/** Guile's `write` of a character (the first code point of `value`). */
export function writeChar(value: string): string {
  const cp = value.codePointAt(0) ?? 0;
  const ch = String.fromCodePoint(cp);
  if (cp <= 32) return '#\\' + (CHAR_NAMES[cp] as string);
  if (cp === 0x7f) return '#\\delete';
  if (hasNonZeroCombiningClass(ch)) return '#\\\u25cc' + ch;
  if (inCategories(cp, GRAPHIC)) return '#\\' + ch;
  return '#\\' + cp.toString(8);
}

// Canonical_Combining_Class != 0, detected through canonical reordering in NFD (JS exposes no ccc
// property; for a character assigned in Unicode 14.0 the class is the same in Node's newer data): a mark of class > 1 moves before U+0334 (class 1), one of class 1..229 moves before
// U+0301 (class 230). Characters that decompose are judged by the first code point of their NFD.
const TIBETAN_CCC0_DECOMPOSING = new Set([0x0f73, 0x0f75, 0x0f81]);

function hasNonZeroCombiningClass(ch: string): boolean {
  const cp = ch.codePointAt(0) as number;
  // Unassigned in Unicode 14.0 means class 0 for Guile's libunistring, whatever Node's newer data says.
  if (cp < 0x300 || TIBETAN_CCC0_DECOMPOSING.has(cp) || !isAssigned(cp)) return false;
  const nfd = ch.normalize('NFD');
  const base = String.fromCodePoint(nfd.codePointAt(0) as number);
  const a = ('a' + base + '\u0334').normalize('NFD');
  if (a !== 'a' + base.normalize('NFD') + '\u0334') return true;
  const b = ('a\u0301' + base).normalize('NFD');
  return b !== 'a\u0301' + base.normalize('NFD');
}

/** Number of Scheme characters (code points) in `s`. */
export function codePointLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}
