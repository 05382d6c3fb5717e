/**
 * An iterative reader for the datum syntax of Guile's default `read` (Guile 3.0.8, default read
 * options), producing the `Datum` values of ./datum.ts. Input is untrusted: nothing is evaluated,
 * nesting is handled with an explicit stack (no recursion on input depth), every size is bounded, and
 * every failure is one `RecipeError` ('parse-error', or 'size-limit' for the bounds) whose message
 * starts with `line L, column C:` and whose details are `{ line, column, offset }`.
 *
 * Positions: `line` and `column` are 1-based; columns count code points; a line ends at LF (so CRLF
 * counts once); `offset` is the UTF-16 index into the input string.
 *
 * Read as Guile does (verified against guile 3.0.8, see test/guix/guile-differential.test.ts):
 * lists `()` and `[]`, dotted tails (`(a . (b))` is `(a b)`), strings with exactly the default escapes
 * `\\ \" \( \| \0 \a \b \f \n \r \t \v \xHH \uHHHH \UHHHHHH` and backslash-LF continuation (the next
 * line's leading whitespace is kept), symbols, `#{...}#` symbols, keywords `#:k`, numbers (whatever
 * Guile's `string->number` reads, complex included), `#t #f #true #false` (any case), characters (names,
 * `#\xHH...`, octal `#\101`), vectors, `#vu8(...)`/`#u8(...)`, `' ` , ,@` and `#' #` #, #,@` (read as
 * two-element lists headed by `quote` ... `unsyntax-splicing`), and the comments `;`, `#;datum`, `#|...|#`.
 *
 * Numbers: `Num.text` is the token exactly as written (`#x1F`, `-nan.0`, `2/4`, `1e3` stay as is); it
 * is not normalised to Guile's `write` form, so writing `Num.text` back gives a token Guile reads as the
 * same number.
 *
 * Refused although Guile 3.0.8 accepts them (each is rare, and refusing is never a wrong reading):
 * - `#.` (read-time evaluation) and every `#` syntax not listed above: `#nil` (Elisp nil, neither `#f`
 *   nor `()`), `#!...!#` and `#!fold-case`, arrays and SRFI-4 vectors (`#2(`, `#s8(`, `#f32(`), `#*101`;
 * - a number-like token containing `#` (`1#` is 10.0 in Guile: R5RS digit placeholders), or non-ASCII
 *   characters that Guile may take as digits (Unicode digits after the first character: `1١` is 11;
 *   in places only a character's low byte: `+\u{36832}` is 2), and a non-ASCII character name (Guile
 *   reads `#\x١` as a newline);
 * - `#t`/`#f` glued to more characters (`#tru`, which Guile reads as `#t` then `ru`);
 * - a `.` that is not a list tail marker: `(. a)`, a `.` at top level or in a vector;
 * - `#:` followed by whitespace, or by a name that is not a symbol token;
 * - bytevector elements other than plain integers 0..255 (optionally `#x`/`#e` prefixed);
 * - raw NUL characters and unpaired UTF-16 surrogates anywhere (they cannot come from UTF-8 text).
 * Like Guile, a backslash before CR (CRLF continuation) in a string is an error, and `|` is an ordinary
 * symbol character: the default reader (no `r7rs-symbols` option, in every Guile 3 version) reads
 * `|a b|` as the two symbols `|a` and `b|`, so `|...|` is not a symbol syntax here either.
 */
import { RecipeError } from '../../errors.js';
import type { ErrorCode } from '../../errors.js';
import { Bytevector, Char, DottedList, Keyword, Num, Sym, Vector } from './datum.js';
import type { Datum } from './datum.js';

/** Bounds of one read; every one is checked before the work it limits is done. */
export interface ReaderOptions {
  /** Largest input, in UTF-8 bytes. Default 16 MiB. */
  maxBytes: number;
  /** Deepest nesting of lists, vectors, bytevectors, quote forms and `#;` comments. Default 1000. */
  maxDepth: number;
  /** Longest string, in code points after escapes. Default 1 MiB (1,048,576). */
  maxStringLength: number;
  /** Longest symbol, keyword, number, character name or `#{...}#` body, in UTF-16 units of source. Default 4096. */
  maxAtomLength: number;
  /** Most data built (atoms and containers, commented-out ones and quote wrappers included). Default 2,000,000. */
  maxDatums: number;
}

export const DEFAULT_READER_OPTIONS: Readonly<ReaderOptions> = Object.freeze({
  maxBytes: 16 * 1024 * 1024,
  maxDepth: 1000,
  maxStringLength: 1024 * 1024,
  maxAtomLength: 4096,
  maxDatums: 2_000_000,
});

/** Every top-level datum of `text`, in order (an empty or comment-only text gives []). */
export function readDatums(text: string, opts: Partial<ReaderOptions> = {}): Datum[] {
  return new Reader(text, opts).readAll(false);
}

/** The one datum of `text` (comments and whitespace around it allowed); none or several is an error. */
export function readDatum(text: string, opts: Partial<ReaderOptions> = {}): Datum {
  const reader = new Reader(text, opts);
  const out = reader.readAll(true);
  const first = out[0];
  if (first === undefined) return reader.fail('parse-error', text.length, 'expected one datum, found none');
  return first;
}

// Character codes.
const TAB = 9,
  LF = 10,
  FF = 12,
  CR = 13,
  SPACE = 32,
  DQUOTE = 34,
  HASH = 35,
  QUOTE = 39,
  LPAREN = 40,
  RPAREN = 41,
  COMMA = 44,
  DOT = 46,
  SEMI = 59,
  AT = 64,
  LBRACK = 91,
  BACKSLASH = 92,
  RBRACK = 93,
  BACKQUOTE = 96,
  LBRACE = 123,
  BAR = 124,
  RBRACE = 125;

/** Guile's token delimiters: its whitespace (not VT, not Unicode spaces), parentheses, brackets, `"` and `;`. */
function isDelimiter(c: number): boolean {
  return (
    c === SPACE ||
    c === LF ||
    c === TAB ||
    c === CR ||
    c === FF ||
    c === LPAREN ||
    c === RPAREN ||
    c === LBRACK ||
    c === RBRACK ||
    c === DQUOTE ||
    c === SEMI
  );
}

function isWhitespace(c: number): boolean {
  return c === SPACE || c === LF || c === TAB || c === CR || c === FF;
}

const enum Kind {
  List,
  Vector,
  Bytevector,
  Prefix,
  Comment,
}

/** One open construct on the explicit stack. */
class Frame {
  items: Datum[] = [];
  /** Lists only: 0 no dot yet, 1 dot read and tail awaited, 2 tail read. */
  dot = 0;
  tail: Datum | undefined = undefined;
  /** Bytevectors only. */
  bytes: number[] = NO_BYTES;
  constructor(
    readonly kind: Kind,
    readonly start: number,
    /** Lists: the closing character code; prefixes: the symbol name wrapped around the next datum. */
    readonly close: number,
    readonly name: string,
  ) {}
}

const NO_BYTES: number[] = [];
const NON_ASCII = /[\u0080-\uffff]/;
const UNICODE_NUMBER = /^\p{N}$/u;

/** Character names `#\name` (matched case-insensitively), as Guile 3.0.8 reads them. */
const CHAR_NAMES: ReadonlyMap<string, number> = (() => {
  const m = new Map<string, number>();
  const c0 =
    'nul soh stx etx eot enq ack bel bs ht lf vt ff cr so si dle dc1 dc2 dc3 dc4 nak syn etb can em sub esc fs gs rs us sp'.split(
      ' ',
    );
  c0.forEach((n, i) => m.set(n, i));
  const more: [string, number][] = [
    ['space', 32],
    ['newline', 10],
    ['null', 0],
    ['alarm', 7],
    ['backspace', 8],
    ['tab', 9],
    ['linefeed', 10],
    ['vtab', 11],
    ['page', 12],
    ['return', 13],
    ['escape', 27],
    ['delete', 127],
    ['del', 127],
    ['nl', 10],
    ['np', 12],
  ];
  for (const [n, v] of more) m.set(n, v);
  return m;
})();

const PREFIX_NAMES: Readonly<Record<string, string>> = {
  "'": 'quote',
  '`': 'quasiquote',
  ',': 'unquote',
  ',@': 'unquote-splicing',
  "#'": 'syntax',
  '#`': 'quasisyntax',
  '#,': 'unsyntax',
  '#,@': 'unsyntax-splicing',
};

// eslint-disable-next-line no-control-regex
const BAD_UNITS = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

class Reader {
  private pos = 0;
  private count = 0;
  /** Where the top-level datum being read started (for "more than one datum"). */
  private topStart = 0;
  private single = false;
  private readonly len: number;
  private readonly o: ReaderOptions;

  constructor(
    private readonly text: string,
    opts: Partial<ReaderOptions>,
  ) {
    this.o = { ...DEFAULT_READER_OPTIONS, ...opts };
    if (typeof text !== 'string') {
      this.text = '';
      this.fail('parse-error', 0, 'input is not a string');
    }
    this.len = text.length;
    // UTF-8 never takes fewer bytes than UTF-16 units, so a long string fails without measuring.
    if (text.length > this.o.maxBytes || Buffer.byteLength(text, 'utf8') > this.o.maxBytes)
      this.fail('size-limit', 0, `input is larger than ${this.o.maxBytes} bytes`);
    const bad = BAD_UNITS.exec(text);
    if (bad !== null)
      this.fail(
        'parse-error',
        bad.index,
        text.charCodeAt(bad.index) === 0 ? 'NUL character in input' : 'invalid UTF-16 (unpaired surrogate)',
      );
  }

  /** Throw the one error type, located at `offset`. */
  fail(code: ErrorCode, offset: number, what: string): never {
    const { line, column } = locate(this.text, offset);
    throw new RecipeError(code, `line ${line}, column ${column}: ${what}`, {
      details: { line, column, offset },
    });
  }

  readAll(single: boolean): Datum[] {
    const text = this.text;
    const out: Datum[] = [];
    const stack: Frame[] = [];
    this.single = single;
    for (;;) {
      this.skipAtmosphere();
      if (this.pos >= this.len) break;
      const start = this.pos;
      const c = text.charCodeAt(start);
      if (stack.length === 0) this.topStart = start;
      let value: Datum;
      switch (c) {
        case LPAREN:
        case LBRACK:
          this.push(stack, new Frame(Kind.List, start, c === LPAREN ? RPAREN : RBRACK, ''));
          this.pos++;
          continue;
        case RPAREN:
        case RBRACK: {
          const top = stack[stack.length - 1];
          this.pos++;
          if (top === undefined)
            this.fail('parse-error', start, `unexpected ${show(String.fromCharCode(c))}`);
          if (top.kind === Kind.Prefix || top.kind === Kind.Comment)
            this.fail(
              'parse-error',
              start,
              `expected a datum after ${show(top.name)}, found ${show(String.fromCharCode(c))}`,
            );
          if (top.close !== c) {
            const open = locate(text, top.start);
            this.fail(
              'parse-error',
              start,
              `${show(String.fromCharCode(c))} does not match the opening at line ${open.line}, column ${open.column}`,
            );
          }
          stack.pop();
          value = this.finish(top, start);
          break;
        }
        case DQUOTE:
          value = this.readString();
          break;
        case QUOTE:
        case BACKQUOTE:
        case COMMA: {
          const p = c === COMMA && text.charCodeAt(start + 1) === AT ? ',@' : String.fromCharCode(c);
          this.push(stack, new Frame(Kind.Prefix, start, 0, p));
          this.pos += p.length;
          continue;
        }
        case HASH: {
          const r = this.readHash(stack);
          if (r === undefined) continue;
          value = r;
          break;
        }
        default: {
          const tok = this.token(start);
          if (tok === '.') {
            const top = stack[stack.length - 1];
            if (top === undefined || top.kind !== Kind.List || top.items.length === 0 || top.dot !== 0)
              this.fail(
                'parse-error',
                start,
                'unexpected "." (only allowed before the last datum of a list)',
              );
            top.dot = 1;
            continue;
          }
          value = this.atom(tok, start);
        }
      }
      this.emit(stack, out, value, start);
    }
    const top = stack[stack.length - 1];
    if (top !== undefined) {
      const what =
        top.kind === Kind.Prefix || top.kind === Kind.Comment
          ? `${show(top.name)} is not followed by a datum`
          : `${show(top.kind === Kind.List ? String.fromCharCode(top.close === RPAREN ? LPAREN : LBRACK) : top.kind === Kind.Vector ? '#(' : '#vu8(')} is never closed`;
      this.fail('parse-error', top.start, `unexpected end of input: ${what}`);
    }
    return out;
  }

  private push(stack: Frame[], f: Frame): void {
    if (stack.length >= this.o.maxDepth)
      this.fail('size-limit', f.start, `nesting deeper than ${this.o.maxDepth}`);
    stack.push(f);
  }

  private counted(offset: number): void {
    if (++this.count > this.o.maxDatums)
      this.fail('size-limit', offset, `more than ${this.o.maxDatums} data`);
  }

  /** Hand a finished datum to the innermost open construct (or the top level). */
  private emit(stack: Frame[], out: Datum[], value: Datum, start: number): void {
    this.counted(start);
    for (;;) {
      const top = stack[stack.length - 1];
      if (top === undefined) {
        if (this.single && out.length > 0)
          this.fail('parse-error', this.topStart, 'expected one datum, found more');
        out.push(value);
        return;
      }
      switch (top.kind) {
        case Kind.Prefix:
          stack.pop();
          this.counted(top.start);
          value = [new Sym(PREFIX_NAMES[top.name] ?? top.name), value];
          continue;
        case Kind.Comment:
          stack.pop();
          return;
        case Kind.List:
          if (top.dot === 0) top.items.push(value);
          else if (top.dot === 1) {
            top.tail = value;
            top.dot = 2;
          } else this.fail('parse-error', start, 'expected ")" after the datum that follows "."');
          return;
        case Kind.Vector:
          top.items.push(value);
          return;
        case Kind.Bytevector:
          if (top.bytes === NO_BYTES) top.bytes = [];
          top.bytes.push(this.byteValue(value, start));
          return;
      }
    }
  }

  private finish(f: Frame, closeAt: number): Datum {
    switch (f.kind) {
      case Kind.Vector:
        return new Vector(f.items);
      case Kind.Bytevector:
        return new Bytevector(Uint8Array.from(f.bytes));
      default: {
        if (f.dot === 0) return f.items;
        if (f.dot === 1) this.fail('parse-error', closeAt, 'expected a datum after "."');
        // `(a . (b . c))` is `(a b . c)` and `(a . ())` is `(a)`, as in Guile.
        const tail = f.tail!;
        if (Array.isArray(tail)) return f.items.concat(tail as Datum[]);
        if (tail instanceof DottedList) return new DottedList(f.items.concat(tail.items), tail.tail);
        return new DottedList(f.items, tail);
      }
    }
  }

  /** Skip whitespace, `;` comments and (nested) `#| |#` comments. */
  private skipAtmosphere(): void {
    const text = this.text;
    const len = this.len;
    let i = this.pos;
    for (;;) {
      if (i >= len) break;
      const c = text.charCodeAt(i);
      if (isWhitespace(c)) i++;
      else if (c === SEMI) {
        const nl = text.indexOf('\n', i);
        i = nl < 0 ? len : nl + 1;
      } else if (c === HASH && text.charCodeAt(i + 1) === BAR) {
        const open = i;
        let depth = 1;
        i += 2;
        while (depth > 0) {
          if (i >= len) this.fail('parse-error', open, 'unterminated "#|" comment');
          const d = text.charCodeAt(i);
          if (d === BAR && text.charCodeAt(i + 1) === HASH) {
            depth--;
            i += 2;
          } else if (d === HASH && text.charCodeAt(i + 1) === BAR) {
            depth++;
            i += 2;
          } else i++;
        }
      } else break;
    }
    this.pos = i;
  }

  /** The bare token starting at `start` (up to a delimiter), bounded by maxAtomLength; advances pos. */
  private token(start: number): string {
    const text = this.text;
    const limit = Math.min(this.len, start + this.o.maxAtomLength + 1);
    let i = start;
    while (i < limit && !isDelimiter(text.charCodeAt(i))) i++;
    if (i - start > this.o.maxAtomLength)
      this.fail('size-limit', start, `token longer than ${this.o.maxAtomLength} characters`);
    this.pos = i;
    return text.slice(start, i);
  }

  /** A bare token: number or symbol. */
  private atom(tok: string, start: number): Datum {
    const n = classifyNumber(tok);
    if (n === NumClass.Number) return new Num(tok);
    if (n === NumClass.OutOfRange) this.fail('parse-error', start, `number out of range: ${show(tok)}`);
    return new Sym(this.symbolName(tok, start));
  }

  private symbolName(tok: string, start: number): string {
    if (tok.includes('#') && looksNumeric(tok))
      this.fail('parse-error', start, `number-like token with "#" is not supported: ${show(tok)}`);
    // Guile's string->number takes Unicode decimal digits after the first character (`1١` is 11,
    // `.١` is 0.1) and, in places, only the low byte of a character (`+\u{36832}` is 2). Refuse a
    // token that would be a number under any of these readings of its non-ASCII characters.
    if (NON_ASCII.test(tok)) {
      for (const reading of ['0', '1', 'low-byte']) {
        let f = '';
        let k = 0;
        for (const ch of tok) {
          const low =
            (ch.codePointAt(0)! & 0xff) < 0x80 ? String.fromCharCode(ch.codePointAt(0)! & 0xff) : ch;
          f +=
            k === 0 || !NON_ASCII.test(ch)
              ? ch
              : reading === 'low-byte'
                ? low
                : UNICODE_NUMBER.test(ch)
                  ? reading
                  : ch;
          k++;
        }
        if (classifyNumber(f) !== NumClass.NotNumber || (f.includes('#') && looksNumeric(f)))
          this.fail(
            'parse-error',
            start,
            `number-like token with non-ASCII characters is not supported: ${show(tok)}`,
          );
      }
    }
    return tok;
  }

  /** `#...` syntax at pos; returns a datum, or undefined when it opened a construct (or was a comment). */
  private readHash(stack: Frame[]): Datum | undefined {
    const text = this.text;
    const start = this.pos;
    const c = text.charCodeAt(start + 1);
    switch (c) {
      case LPAREN:
        this.push(stack, new Frame(Kind.Vector, start, RPAREN, ''));
        this.pos += 2;
        return undefined;
      case SEMI:
        this.push(stack, new Frame(Kind.Comment, start, 0, '#;'));
        this.pos += 2;
        return undefined;
      case QUOTE:
      case BACKQUOTE:
      case COMMA: {
        const p = c === COMMA && text.charCodeAt(start + 2) === AT ? '#,@' : '#' + String.fromCharCode(c);
        this.push(stack, new Frame(Kind.Prefix, start, 0, p));
        this.pos += p.length;
        return undefined;
      }
      case BACKSLASH:
        return this.readChar(start);
      case LBRACE:
        return new Sym(this.readExtendedSymbol(start + 2));
      case 58 /* : */: {
        const at = start + 2;
        if (text.charCodeAt(at) === HASH && text.charCodeAt(at + 1) === LBRACE)
          return new Keyword(this.readExtendedSymbol(at + 2));
        if (at >= this.len || isDelimiter(text.charCodeAt(at)))
          this.fail('parse-error', start, '"#:" must be followed directly by the keyword name');
        const tok = this.token(at);
        if (classifyNumber(tok) !== NumClass.NotNumber || /^[#'`,]/.test(tok))
          this.fail('parse-error', start, `keyword name is not a symbol: ${show(tok)}`);
        return new Keyword(this.symbolName(tok, at));
      }
      case 118 /* v */:
      case 117 /* u */: {
        const p = c === 118 ? '#vu8(' : '#u8(';
        if (!text.startsWith(p, start))
          this.fail('parse-error', start, `unknown "#" syntax ${show(this.peekToken(start))}`);
        this.push(stack, new Frame(Kind.Bytevector, start, RPAREN, ''));
        this.pos += p.length;
        return undefined;
      }
      case 116 /* t */:
      case 102 /* f */:
      case 84 /* T */:
      case 70 /* F */: {
        const tok = this.token(start + 1).toLowerCase();
        if (tok === 't' || tok === 'true') return true;
        if (tok === 'f' || tok === 'false') return false;
        return this.fail('parse-error', start, `unknown "#" syntax ${show('#' + tok)}`);
      }
      case DOT:
        return this.fail('parse-error', start, '"#." (read-time evaluation) is refused');
      default: {
        if (start + 1 < this.len && 'xXbBoOdDeEiI'.includes(String.fromCharCode(c))) {
          const tok = this.token(start);
          if (NON_ASCII.test(tok))
            this.fail(
              'parse-error',
              start,
              `number-like token with non-ASCII characters is not supported: ${show(tok)}`,
            );
          const n = classifyNumber(tok);
          if (n === NumClass.Number) return new Num(tok);
          if (n === NumClass.NotNumber && /^(?:#.)*[^#]+#/.test(tok))
            this.fail('parse-error', start, `number-like token with "#" is not supported: ${show(tok)}`);
          this.fail(
            'parse-error',
            start,
            n === NumClass.OutOfRange ? `number out of range: ${show(tok)}` : `invalid number ${show(tok)}`,
          );
        }
        if (start + 1 >= this.len) this.fail('parse-error', start, 'unexpected end of input after "#"');
        const what = text.startsWith('#nil', start)
          ? '"#nil" (Elisp nil) is not supported'
          : `unknown "#" syntax ${show(this.peekToken(start))}`;
        return this.fail('parse-error', start, what);
      }
    }
  }

  /** For messages: the bare text starting at `start`, shortened. */
  private peekToken(start: number): string {
    let i = start + 1;
    const limit = Math.min(this.len, start + 24);
    while (i < limit && !isDelimiter(this.text.charCodeAt(i))) i++;
    return this.text.slice(start, Math.max(i, start + 2));
  }

  /** `#\...` at `start`. */
  private readChar(start: number): Char {
    const text = this.text;
    const at = start + 2;
    if (at >= this.len) this.fail('parse-error', start, 'unexpected end of input after "#\\"');
    const first = text.codePointAt(at)!;
    const w = first > 0xffff ? 2 : 1;
    if (isDelimiter(first) || at + w >= this.len || isDelimiter(text.charCodeAt(at + w))) {
      this.pos = at + w;
      return new Char(String.fromCodePoint(first));
    }
    const tok = this.token(at);
    // Guile reads `#\x١` (a non-ASCII digit) as U+000A; names are ASCII, so refuse rather than guess.
    if (NON_ASCII.test(tok)) this.fail('parse-error', start, `non-ASCII character name ${show('#\\' + tok)}`);
    let cp = CHAR_NAMES.get(tok.toLowerCase());
    if (cp === undefined) {
      if (/^x[0-9a-fA-F]{1,8}$/.test(tok)) cp = parseInt(tok.slice(1), 16);
      else if (/^[0-7]{1,24}$/.test(tok)) cp = parseInt(tok, 8);
      else this.fail('parse-error', start, `unknown character name ${show('#\\' + tok)}`);
    }
    if (!isScalar(cp)) this.fail('parse-error', start, `character out of range: ${show('#\\' + tok)}`);
    return new Char(String.fromCodePoint(cp));
  }

  /** The body of `#{...}#` starting at `from` (just after `#{`): `\xHH;` escapes, `\c` is `c`. */
  private readExtendedSymbol(from: number): string {
    const text = this.text;
    const start = from - 2;
    const parts: string[] = [];
    let chunk = from;
    let i = from;
    for (;;) {
      if (i - from > this.o.maxAtomLength)
        this.fail('size-limit', start, `symbol longer than ${this.o.maxAtomLength} characters`);
      if (i >= this.len) this.fail('parse-error', start, 'unterminated "#{" symbol');
      const c = text.charCodeAt(i);
      if (c === RBRACE && text.charCodeAt(i + 1) === HASH) {
        parts.push(text.slice(chunk, i));
        this.pos = i + 2;
        return parts.join('');
      }
      if (c !== BACKSLASH) {
        i++;
        continue;
      }
      parts.push(text.slice(chunk, i));
      if (i + 1 >= this.len) this.fail('parse-error', start, 'unterminated "#{" symbol');
      if (text.charCodeAt(i + 1) === 120 /* x */) {
        const m = /^[0-9a-fA-F]{1,8};/.exec(text.slice(i + 2, i + 12));
        if (m === null) this.fail('parse-error', i, 'invalid "\\x...;" escape in "#{" symbol');
        const cp = parseInt(m[0].slice(0, -1), 16);
        if (!isScalar(cp)) this.fail('parse-error', i, 'character out of range in "#{" symbol');
        parts.push(String.fromCodePoint(cp));
        i += 2 + m[0].length;
      } else {
        const cp = text.codePointAt(i + 1)!;
        parts.push(String.fromCodePoint(cp));
        i += cp > 0xffff ? 3 : 2;
      }
      chunk = i;
    }
  }

  /** A string literal at pos, with Guile's default escapes. */
  private readString(): string {
    const text = this.text;
    const len = this.len;
    const open = this.pos;
    const max = this.o.maxStringLength;
    const parts: string[] = [];
    let i = open + 1;
    let chunk = i;
    let cps = 0;
    for (;;) {
      if (i >= len) this.fail('parse-error', open, 'unterminated string');
      const c = text.charCodeAt(i);
      if (c === DQUOTE) {
        parts.push(text.slice(chunk, i));
        this.pos = i + 1;
        return parts.length === 1 ? parts[0]! : parts.join('');
      }
      if (c !== BACKSLASH) {
        if ((c & 0xfc00) !== 0xdc00 && ++cps > max)
          this.fail('size-limit', open, `string longer than ${max} characters`);
        i++;
        continue;
      }
      parts.push(text.slice(chunk, i));
      const e = text.charCodeAt(i + 1);
      let add: string | undefined;
      let next = i + 2;
      switch (e) {
        case BACKSLASH:
          add = '\\';
          break;
        case DQUOTE:
          add = '"';
          break;
        case LPAREN:
          add = '(';
          break;
        case BAR:
          add = '|';
          break;
        case 48 /* 0 */:
          add = '\0';
          break;
        case 97 /* a */:
          add = '\x07';
          break;
        case 98 /* b */:
          add = '\b';
          break;
        case 102 /* f */:
          add = '\f';
          break;
        case 110 /* n */:
          add = '\n';
          break;
        case 114 /* r */:
          add = '\r';
          break;
        case 116 /* t */:
          add = '\t';
          break;
        case 118 /* v */:
          add = '\v';
          break;
        case LF:
          add = undefined; // continuation: nothing added, next line's leading whitespace kept
          break;
        case 120 /* x */:
        case 117 /* u */:
        case 85 /* U */: {
          const n = e === 120 ? 2 : e === 117 ? 4 : 6;
          const hex = text.slice(i + 2, i + 2 + n);
          if (!/^[0-9a-fA-F]*$/.test(hex) || hex.length < n)
            this.fail(
              'parse-error',
              i,
              `invalid escape ${show(text.slice(i, i + 2 + n))}: needs exactly ${n} hex digits`,
            );
          const cp = parseInt(hex, 16);
          if (!isScalar(cp))
            this.fail(
              'parse-error',
              i,
              `escape ${show(text.slice(i, i + 2 + n))} is not a Unicode scalar value`,
            );
          add = String.fromCodePoint(cp);
          next = i + 2 + n;
          break;
        }
        default:
          if (i + 1 >= len) this.fail('parse-error', open, 'unterminated string');
          this.fail(
            'parse-error',
            i,
            `unknown string escape ${show(String.fromCodePoint(text.codePointAt(i + 1)!))}`,
          );
      }
      if (add !== undefined) {
        parts.push(add);
        if (++cps > max) this.fail('size-limit', open, `string longer than ${max} characters`);
      }
      i = next;
      chunk = i;
    }
  }

  /** Value of one bytevector element: an exact integer 0..255 written as a plain integer. */
  private byteValue(d: Datum, at: number): number {
    const m = d instanceof Num ? /^((?:#[xXbBoOdDeE]){0,2})\+?([0-9a-fA-F]{1,12})$/.exec(d.text) : null;
    if (m !== null) {
      const pre = m[1]!.toLowerCase();
      const radix = pre.includes('#x') ? 16 : pre.includes('#b') ? 2 : pre.includes('#o') ? 8 : 10;
      const digits = m[2]!;
      const v = parseInt(digits, radix);
      if (digitsValid(digits, radix) && v <= 255) return v;
    }
    return this.fail('parse-error', at, 'bytevector elements must be integers from 0 to 255');
  }
}

function digitsValid(s: string, radix: number): boolean {
  for (let i = 0; i < s.length; i++) if (digitValue(s.charCodeAt(i)) >= radix) return false;
  return true;
}

function isScalar(cp: number): boolean {
  return cp >= 0 && cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff);
}

/** Line, column (1-based, code points) of a UTF-16 offset. */
function locate(text: string, offset: number): { line: number; column: number } {
  const end = Math.max(0, Math.min(offset, text.length));
  let line = 1;
  let lineStart = 0;
  for (let nl = text.indexOf('\n'); nl !== -1 && nl < end; nl = text.indexOf('\n', nl + 1)) {
    line++;
    lineStart = nl + 1;
  }
  let column = 1;
  for (let i = lineStart; i < end; i++) if ((text.charCodeAt(i) & 0xfc00) !== 0xdc00) column++;
  return { line, column };
}

/** Quote a piece of input for a one-line message: shortened, control and line-separator characters escaped. */
function show(s: string): string {
  const cut = s.length > 40 ? s.slice(0, 40) + '...' : s;
  // eslint-disable-next-line no-control-regex
  return `"${cut.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029"\\]|[\uD800-\uDFFF]/g, (ch) =>
    ch === '"' || ch === '\\' ? '\\' + ch : `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  )}"`;
}

// ---- numbers: what Guile's string->number accepts (R7RS syntax, Guile's limits) ----

const enum NumClass {
  NotNumber,
  Number,
  /** Guile raises out-of-range instead of reading a number or a symbol (decimal exponent beyond 308 or -324). */
  OutOfRange,
}

/** Starts like a number: a digit, or `+`/`-`/`.` followed by a digit, or `+.`/`-.` and a digit. */
function looksNumeric(t: string): boolean {
  let i = 0;
  if (t.charCodeAt(0) === 43 || t.charCodeAt(0) === 45) i++;
  if (t.charCodeAt(i) === DOT) i++;
  const c = t.charCodeAt(i);
  return c >= 48 && c <= 57;
}

function digitValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  if (l >= 97 && l <= 102) return l - 87;
  return 99;
}

/** Scan state shared by the number sub-parsers. */
interface NumScan {
  s: string;
  radix: number;
  exact: string;
  overflow: boolean;
}

function classifyNumber(tok: string): NumClass {
  let i = 0;
  let radix = 0;
  let exact = '';
  while (tok.charCodeAt(i) === HASH) {
    const p = (tok[i + 1] ?? '').toLowerCase();
    if ('xbod'.includes(p) && p !== '' && radix === 0)
      radix = p === 'x' ? 16 : p === 'b' ? 2 : p === 'o' ? 8 : 10;
    else if ((p === 'e' || p === 'i') && exact === '') exact = p;
    else return NumClass.NotNumber;
    i += 2;
  }
  const st: NumScan = { s: tok, radix: radix === 0 ? 10 : radix, exact, overflow: false };
  const ok = complex(st, i);
  if (st.overflow) return NumClass.OutOfRange;
  return ok ? NumClass.Number : NumClass.NotNumber;
}

/** Whole of `s` from `i` is a complex number. */
function complex(st: NumScan, i: number): boolean {
  const s = st.s;
  const n = s.length;
  if (i >= n) return false;
  const c0 = s.charCodeAt(i);
  const signed = c0 === 43 || c0 === 45;
  // `+i`, `-i`
  if (signed && i + 2 === n && (s.charCodeAt(i + 1) | 0x20) === 105) return true;
  const r1 = real(st, i);
  if (r1 < 0) return false;
  if (r1 === n) return true;
  const c = s.charCodeAt(r1);
  if (c === AT) {
    const r2 = real(st, r1 + 1);
    return r2 === n;
  }
  if ((c | 0x20) === 105 /* i */) return signed && r1 + 1 === n;
  if (c === 43 || c === 45) {
    if (r1 + 2 === n && (s.charCodeAt(r1 + 1) | 0x20) === 105) return true;
    const r2 = real(st, r1);
    return r2 > 0 && r2 + 1 === n && (s.charCodeAt(r2) | 0x20) === 105;
  }
  return false;
}

/** End of a real number starting at `i`, or -1. */
function real(st: NumScan, i: number): number {
  const s = st.s;
  const c = s.charCodeAt(i);
  if (c === 43 || c === 45) {
    // `+inf.0` takes exactly one 0, `+nan.0` any number of them (`+nan.000`); any case.
    const word = s.slice(i + 1, i + 5).toLowerCase();
    if ((word === 'inf.' || word === 'nan.') && s.charCodeAt(i + 5) === 48) {
      if (st.exact === 'e') return -1;
      let j = i + 6;
      if (word === 'nan.') while (s.charCodeAt(j) === 48) j++;
      return j;
    }
    i++;
  }
  return ureal(st, i);
}

/** End of an unsigned real (integer, rational, decimal) starting at `i`, or -1. */
function ureal(st: NumScan, i: number): number {
  const s = st.s;
  const n = s.length;
  const radix = st.radix;
  const d0 = i;
  while (i < n && digitValue(s.charCodeAt(i)) < radix) i++;
  const intDigits = i - d0;
  if (s.charCodeAt(i) === 47 /* / */ && intDigits > 0) {
    const f = i + 1;
    let j = f;
    let nonZero = false;
    while (j < n && digitValue(s.charCodeAt(j)) < radix) {
      if (s.charCodeAt(j) !== 48) nonZero = true;
      j++;
    }
    if (j === f || !nonZero) return -1;
    return j;
  }
  if (radix !== 10) return intDigits > 0 ? i : -1;
  if (s.charCodeAt(i) === DOT) {
    const f = i + 1;
    let j = f;
    while (j < n && isDigit(s.charCodeAt(j))) j++;
    if (intDigits + (j - f) === 0) return -1;
    i = j;
  } else if (intDigits === 0) return -1;
  // exponent
  if (i < n && 'esfdlESFDL'.includes(s[i]!)) {
    let j = i + 1;
    const negative = s.charCodeAt(j) === 45;
    if (negative || s.charCodeAt(j) === 43) j++;
    const e0 = j;
    while (j < n && isDigit(s.charCodeAt(j))) j++;
    if (j > e0) {
      // Guile raises out-of-range as soon as it has read such an exponent (even if the token then
      // turns out not to be a number): beyond 308, or below -324 (checked on 3.0.8).
      const digits = s.slice(e0, j).replace(/^0+/, '');
      if (digits.length > 3 || Number(digits) > (negative ? 324 : 308)) st.overflow = true;
      return j;
    }
  }
  return i;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
