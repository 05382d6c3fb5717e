/**
 * fast-check arbitraries for `Datum` values and for reader input, shared by the reader and printer tests.
 *
 * `datumArbitrary` yields only data that Guile itself can write and read back unchanged, so that
 * "write then read gives it back" is a fair property:
 *   - strings and names never hold unpaired surrogates (a Scheme string is code points);
 *   - symbol and keyword names hold no backslash (Guile writes it raw inside `#{...}#`, where its reader
 *     then takes it as an escape: Guile's own `write` does not round-trip those);
 *   - characters are not combining marks (Guile writes `#\◌́` and cannot read it back, checked on 3.0.8);
 *   - dotted lists are normalised (items non-empty, tail neither a list nor a dotted list), as the
 *     reader builds them;
 *   - numbers are Guile number tokens as the reader keeps them (their text as written).
 */
import fc from 'fast-check';

import type { Datum } from '../../shared/guix/sexp/datum.js';
import { Bytevector, Char, DottedList, Keyword, Num, Sym, Vector } from '../../shared/guix/sexp/datum.js';
import { symbolNeedsExtendedSyntax } from '../../shared/guix/sexp/writer.js';

/** Code points biased towards the interesting ones: ASCII, controls, escapes, non-BMP, line separators. */
export const codePointArbitrary: fc.Arbitrary<number> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0x20, max: 0x7e }) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 0x1f }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(0x7f, 0x85, 0xa0, 0xad, 0x2028, 0x2029, 0x200b, 0xfeff, 0x3bb, 0xe9),
  },
  { weight: 1, arbitrary: fc.integer({ min: 0x80, max: 0xd7ff }) },
  { weight: 1, arbitrary: fc.integer({ min: 0xe000, max: 0x10ffff }) },
);

/** Strings of any code points (no unpaired surrogates). */
export const schemeStringArbitrary: fc.Arbitrary<string> = fc
  .array(codePointArbitrary, { maxLength: 16 })
  .map((cps) => String.fromCodePoint(...cps));

const symbolChar: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...'abcxyz-+./:!?*<=>~^&%$_@019'.split('')) },
  { weight: 1, arbitrary: fc.constantFrom(...'#|\'`,"; ()[]{}\t\n'.split('')) },
  {
    weight: 1,
    arbitrary: codePointArbitrary.filter((c) => c !== 0x5c).map((c) => String.fromCodePoint(c)),
  },
);

/**
 * Symbol (and keyword) names: ordinary identifiers and names that need `#{...}#`; no backslash, and no
 * keyword-like name (`:x`, `x:`) holding odd characters: Guile writes those bare (`(write ': )` gives
 * `: `), so its `write` does not round-trip them. Nor a bare name that begins with `.`, `+` or `-` and
 * holds a non-ASCII character (`.\u3630`): Guile writes it bare, yet its `string->number` may take it
 * for a number (Unicode digits, or the low byte of a character), so the reader refuses such tokens.
 */
export const symbolNameArbitrary: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'manifest',
      'version',
      'packages',
      'quote',
      'a',
      '...',
      '+',
      '-',
      '->x',
      ':k',
      'k:',
    ),
  },
  {
    weight: 2,
    arbitrary: fc
      .array(symbolChar, { maxLength: 8 })
      .map((a) => a.join(''))
      .filter((name) => !/^:|:$/.test(name) || /^[\w!$%&*+\-./:<=>?@^~]*$/.test(name))
      .filter(
        (name) =>
          !/^[.+-]/.test(name) ||
          ![...name].some((c) => c.codePointAt(0)! > 0x7f) ||
          symbolNeedsExtendedSyntax(name),
      ),
  },
);

/** Number tokens the reader keeps as `Num` and Guile reads as numbers. */
export const numTextArbitrary: fc.Arbitrary<string> = fc.oneof(
  fc.integer().map(String),
  fc.bigInt({ min: -(2n ** 130n), max: 2n ** 130n }).map(String),
  fc
    .tuple(fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: 1, max: 1000 }))
    .map(([a, b]) => `${a}/${b}`),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => {
    const s = String(x).replace('e+', 'e');
    return /[.e]/.test(s) ? s : `${s}.0`;
  }),
  fc.constantFrom(
    '+inf.0',
    '-inf.0',
    '+nan.0',
    '-nan.0',
    '-0.0',
    '#x1F',
    '#b101',
    '#o17',
    '#e1.5',
    '#i1/2',
    '1e3',
    '.5',
    '+i',
    '1+2i',
    '1@2',
  ),
);

/** Characters a Guile `write` / `read` round trip preserves (no combining marks). */
export const charArbitrary: fc.Arbitrary<Char> = codePointArbitrary
  .filter((c) => !/\p{M}/u.test(String.fromCodePoint(c)))
  .map((c) => new Char(String.fromCodePoint(c)));

/** Atoms: every non-container Datum variant. */
export const atomArbitrary: fc.Arbitrary<Datum> = fc.oneof(
  { weight: 3, arbitrary: schemeStringArbitrary },
  { weight: 3, arbitrary: symbolNameArbitrary.map((n) => new Sym(n)) },
  { weight: 1, arbitrary: symbolNameArbitrary.map((n) => new Keyword(n)) },
  { weight: 2, arbitrary: numTextArbitrary.map((t) => new Num(t)) },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: charArbitrary },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 5 }).map((b) => new Bytevector(b)) },
);

/** Any datum (bounded depth and width). */
export const datumArbitrary: fc.Arbitrary<Datum> = fc.letrec<{ datum: Datum }>((tie) => ({
  datum: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 4, arbitrary: atomArbitrary },
    { weight: 2, arbitrary: fc.array(tie('datum'), { maxLength: 5 }) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.array(tie('datum'), { minLength: 1, maxLength: 3 }), atomArbitrary)
        .map(([items, tail]) => new DottedList(items, tail)),
    },
    { weight: 1, arbitrary: fc.array(tie('datum'), { maxLength: 4 }).map((a) => new Vector(a)) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom('quote', 'quasiquote', 'unquote', 'unquote-splicing'), tie('datum'))
        .map(([q, d]): Datum => [new Sym(q), d]),
    },
  ),
})).datum;

/** Fragments of reader syntax, valid and broken, for "never throws anything but RecipeError" tests. */
export const syntaxFragmentArbitrary: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '(',
    ')',
    '[',
    ']',
    ' ',
    '\n',
    '\r\n',
    '\t',
    '"',
    '\\',
    "'",
    '`',
    ',',
    ',@',
    '#',
    '#(',
    '#vu8(',
    '#u8(',
    '#;',
    '#|',
    '|#',
    '#\\',
    '#\\x',
    '#:',
    '#{',
    '}#',
    '#t',
    '#f',
    '#true',
    '#.',
    '#nil',
    '#!',
    ';',
    '.',
    ' . ',
    'a',
    'sym',
    '1',
    '-',
    '+',
    '1/2',
    '1e',
    '1e400',
    '+inf.0',
    '#x',
    '#e',
    '\\x',
    '\\x4',
    '\\x41;',
    '\\u',
    '\\U',
    '\\n',
    '\\\n',
    '|',
    '\0',
    '\uD800',
    '\uDC00',
    '😀',
    'λ',
    '\u0661',
    '.',
    '\u2028',
  ),
  fc.string({ maxLength: 3 }),
  fc.string({ unit: 'binary', maxLength: 2 }),
);

/** Random text built from syntax fragments. */
export const readerInputArbitrary: fc.Arbitrary<string> = fc
  .array(syntaxFragmentArbitrary, { maxLength: 30 })
  .map((parts) => parts.join(''));
