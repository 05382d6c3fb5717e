import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import fc from 'fast-check';

import { RecipeError } from '../../shared/errors.js';
import type { Datum } from '../../shared/guix/sexp/datum.js';
import {
  Bytevector,
  Char,
  DottedList,
  Keyword,
  Num,
  Sym,
  Vector,
  integerValue,
  isSym,
} from '../../shared/guix/sexp/datum.js';
import { DEFAULT_READER_OPTIONS, readDatum, readDatums } from '../../shared/guix/sexp/reader.js';
import type { ReaderOptions } from '../../shared/guix/sexp/reader.js';
import { writeDatum } from '../../shared/guix/sexp/writer.js';
import { datumArbitrary, readerInputArbitrary } from './datum-arbitrary.js';

const s = (name: string): Sym => new Sym(name);
const n = (text: string): Num => new Num(text);

const IMAGES = 'test/fixtures/guix-images';
const VECTORS = 'test/fixtures/guix-vectors';

/** Every profile manifest fixture: [label, text]. */
function manifestFixtures(): [string, string][] {
  const out: [string, string][] = [];
  for (const dir of readdirSync(IMAGES, { withFileTypes: true }))
    if (dir.isDirectory())
      out.push([dir.name, readFileSync(join(IMAGES, dir.name, 'profile-manifest'), 'utf8')]);
  for (const f of readdirSync(VECTORS))
    if (f.endsWith('profile-manifest')) out.push([f, readFileSync(join(VECTORS, f), 'utf8')]);
  return out;
}

/** The error `fn` throws, asserted to be a RecipeError of `code` with a consistent position. */
function errorOf(fn: () => unknown, code: 'parse-error' | 'size-limit' = 'parse-error'): RecipeError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof RecipeError, `expected a RecipeError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    const d = e.details as { line: number; column: number; offset: number };
    assert.ok(
      Number.isInteger(d.line) && d.line >= 1 && Number.isInteger(d.column) && d.column >= 1,
      e.message,
    );
    assert.ok(Number.isInteger(d.offset) && d.offset >= 0);
    assert.ok(e.message.startsWith(`line ${d.line}, column ${d.column}: `), e.message);
    assert.ok(!/[\n\r\u2028\u2029]/.test(e.message), 'one-line message');
    return e;
  }
  assert.fail('expected an error');
}

/** Manifest entries (the list under `packages`), after checking the (manifest (version N) (packages L)) shell. */
function entriesOf(m: Datum): readonly Datum[] {
  assert.ok(Array.isArray(m));
  const [head, version, packages] = m as readonly Datum[];
  assert.ok(isSym(head, 'manifest'));
  assert.ok(Array.isArray(version) && isSym(version[0], 'version'));
  assert.ok(Array.isArray(packages) && isSym(packages[0], 'packages') && packages.length === 2);
  const list = packages[1];
  assert.ok(Array.isArray(list));
  return list as readonly Datum[];
}

void describe('sexp reader: real profile manifests', () => {
  void it('reads every fixture as (manifest (version 3|4) (packages (ENTRY ...)))', () => {
    const fixtures = manifestFixtures();
    assert.ok(fixtures.length >= 13);
    for (const [label, text] of fixtures) {
      const m = readDatum(text);
      const version = integerValue((m as Datum[])[1] && ((m as Datum[])[1] as Datum[])[1]);
      assert.ok(version === 3 || version === 4, `${label}: version ${String(version)}`);
      const entries = entriesOf(m);
      assert.ok(entries.length >= 1, label);
      for (const e of entries) {
        assert.ok(Array.isArray(e), label);
        // An entry is ("name" "version" "output" "/gnu/store/..." FIELD...) or (repeated ...).
        const [name] = e as readonly Datum[];
        assert.ok(typeof name === 'string' || isSym(name, 'repeated'), label);
      }
    }
  });

  void it('seed-python-numpy: two entries, their fields, search path and provenance', () => {
    const m = readDatum(readFileSync(join(IMAGES, 'seed-python-numpy/profile-manifest'), 'utf8'));
    const entries = entriesOf(m);
    assert.equal(entries.length, 2);
    const [python, numpy] = entries as Datum[][];
    assert.deepEqual(python!.slice(0, 4), [
      'python',
      '3.8.2',
      'out',
      '/gnu/store/lbcpy6c9gryrkwf52hbssggqnh9jnifa-python-3.8.2',
    ]);
    assert.deepEqual(numpy!.slice(0, 3), ['python-numpy', '1.17.3', 'out']);
    assert.deepEqual(numpy![4], [
      s('search-paths'),
      [['GUIX_PYTHONPATH', ['lib/python3.10/site-packages'], ':', s('directory'), false]],
    ]);
    const props = numpy![5] as Datum[];
    assert.ok(isSym(props[0], 'properties'));
    const provenance = (props[1] as Datum[])[0] as Datum[];
    const repo = provenance[1] as Datum[];
    assert.deepEqual(repo.slice(0, 5), [
      s('repository'),
      [s('version'), n('0')],
      [s('url'), 'https://git.savannah.gnu.org/git/guix.git'],
      [s('branch'), 'master'],
      [s('commit'), 'fb32a38db1d3a6d9bc970e14df5be95e59a8ab02'],
    ]);
  });

  void it('transformations: a dotted pair whose dot is alone on its line', () => {
    const text = readFileSync(join(IMAGES, 'transformations/profile-manifest'), 'utf8');
    assert.match(text, /\n\s+\.\n/);
    const entries = entriesOf(readDatum(text));
    const props = (
      (entries[0] as Datum[]).find((f) => Array.isArray(f) && isSym(f[0], 'properties')) as Datum[]
    )[1];
    const transformations = (props as Datum[]).find(
      (p) => Array.isArray(p) && isSym(p[0], 'transformations'),
    );
    assert.deepEqual(transformations, [
      s('transformations'),
      new DottedList([s('with-c-toolchain')], 'python=gcc-toolchain@10.5.0'),
    ]);
  });

  void it('example3: a top-level repeated entry; v3-guix-pull: version 3 with empty fields', () => {
    const e3 = entriesOf(readDatum(readFileSync(join(VECTORS, 'example3.profile-manifest'), 'utf8')));
    assert.equal(e3.length, 3);
    assert.deepEqual(e3[2], [
      s('repeated'),
      'python-numpy',
      '1.26.2',
      '/gnu/store/v1d7qs6whlr85sbmhdr7acl1pmnnyx0z-python-numpy-1.26.2',
    ]);
    const v3 = readDatum(readFileSync(join(VECTORS, 'v3-guix-pull.profile-manifest'), 'utf8'));
    assert.deepEqual((v3 as Datum[])[1], [s('version'), n('3')]);
    const [guix] = entriesOf(v3) as Datum[][];
    assert.deepEqual(guix!.slice(4, 6), [
      [s('propagated-inputs'), []],
      [s('search-paths'), []],
    ]);
  });

  void it('reads ~1 MB of manifest text quickly', () => {
    const one = readFileSync(join(IMAGES, 'layered/profile-manifest'), 'utf8');
    const big = one.repeat(Math.ceil((1024 * 1024) / one.length));
    readDatums(big); // warm up
    const t0 = performance.now();
    const data = readDatums(big);
    const ms = performance.now() - t0;
    assert.equal(data.length, Math.ceil((1024 * 1024) / one.length));
    assert.ok(ms < 500, `took ${ms.toFixed(0)} ms`);
  });
});

void describe('sexp reader: strings', () => {
  const ok: [string, string][] = [
    [String.raw`"\\ \" \n \t \r"`, '\\ " \n \t \r'],
    [String.raw`"\a\b\f\v\0"`, '\x07\b\f\v\0'],
    [String.raw`"\|\("`, '|('],
    [String.raw`"hex\x41;z"`, 'hexA;z'], // Guile's default reader: two hex digits, the ';' stays
    [String.raw`"\x1b\x7f\xff\x00"`, '\x1b\x7f\xff\x00'],
    [String.raw`"\u2028\u00e9"`, '\u2028é'],
    [String.raw`"\U01F600\U000041"`, '😀A'],
    ['"a\\\n   b"', 'a   b'], // continuation keeps the next line's leading whitespace
    ['"a\r\nb"', 'a\r\nb'],
    ['"λ😀 é"', 'λ😀 é'],
    ['""', ''],
  ];
  for (const [text, want] of ok)
    void it(`reads ${JSON.stringify(text)}`, () => {
      assert.equal(readDatum(text), want);
    });

  const bad: [string, number][] = [
    [String.raw`"\q"`, 2],
    [String.raw`"\x4"`, 2],
    [String.raw`"\x4G"`, 2],
    [String.raw`"\u004"`, 2],
    [String.raw`"\U0041"`, 2],
    [String.raw`"\uD800"`, 2],
    [String.raw`"\U110000"`, 2],
    [String.raw`"\ "`, 2],
    [String.raw`"\)"`, 2],
    ['"a\\\r\nb"', 3], // Guile refuses backslash-CR too
    ['"abc', 1],
    ['(a "b)', 4],
  ];
  for (const [text, column] of bad)
    void it(`refuses ${JSON.stringify(text)} at column ${column}`, () => {
      const e = errorOf(() => readDatums(text));
      assert.equal((e.details as { column: number }).column, column, e.message);
    });
});

void describe('sexp reader: lists, dotted pairs, vectors', () => {
  void it('reads lists, brackets, dotted tails (normalised as Guile does)', () => {
    assert.deepEqual(readDatums('() (a) [a b] (a [b (c)])'), [
      [],
      [s('a')],
      [s('a'), s('b')],
      [s('a'), [s('b'), [s('c')]]],
    ]);
    assert.deepEqual(readDatum('(a . b)'), new DottedList([s('a')], s('b')));
    assert.deepEqual(readDatum('(a b . "c")'), new DottedList([s('a'), s('b')], 'c'));
    assert.deepEqual(readDatum('(a\n.\n1)'), new DottedList([s('a')], n('1')));
    assert.deepEqual(readDatum('(a . ;c\n #;x #|y|# b)'), new DottedList([s('a')], s('b')));
    assert.deepEqual(readDatum('(a . (b c))'), [s('a'), s('b'), s('c')]);
    assert.deepEqual(readDatum('(a . (b . c))'), new DottedList([s('a'), s('b')], s('c')));
    assert.deepEqual(readDatum('(a . ())'), [s('a')]);
    assert.deepEqual(readDatum('(a . #(b))'), new DottedList([s('a')], new Vector([s('b')])));
    assert.deepEqual(readDatum('(a .b ..)'), [s('a'), s('.b'), s('..')]);
  });

  for (const text of ['(. a)', '(a .)', '(a . b c)', '(a . b . c)', '.', '#(a . b)', "(a . 'b c)", '(a . )'])
    void it(`refuses ${JSON.stringify(text)}`, () => {
      errorOf(() => readDatums(text));
    });

  void it('reads vectors and bytevectors', () => {
    assert.deepEqual(readDatum('#(1 "a" #(b))'), new Vector([n('1'), 'a', new Vector([s('b')])]));
    assert.deepEqual(
      readDatum('#vu8(0 1 #xff 255 ;c\n #;7 #|x|# 00017)'),
      new Bytevector(Uint8Array.from([0, 1, 255, 255, 17])),
    );
    assert.deepEqual(readDatum('#u8()'), new Bytevector(new Uint8Array()));
    for (const bad of [
      '#vu8(256)',
      '#vu8(-1)',
      '#vu8(a)',
      '#vu8(1.0)',
      '#vu8 (1)',
      '#vu8[1]',
      '#(1]',
      '#vu8(1 . 2)',
    ])
      errorOf(() => readDatums(bad));
  });

  void it('reads quote forms as two-element lists', () => {
    assert.deepEqual(readDatums("'x `(a ,b ,@c) ' y #'z"), [
      [s('quote'), s('x')],
      [s('quasiquote'), [s('a'), [s('unquote'), s('b')], [s('unquote-splicing'), s('c')]]],
      [s('quote'), s('y')],
      [s('syntax'), s('z')],
    ]);
    assert.deepEqual(readDatum("''a"), [s('quote'), [s('quote'), s('a')]]);
    for (const bad of ["'", "(')", "(a ')", '`', ',@']) errorOf(() => readDatums(bad));
  });
});

void describe('sexp reader: atoms', () => {
  void it('keeps numbers as written, and reads number-like symbols as symbols', () => {
    const nums = [
      '4',
      '-12',
      '+5',
      '12345678901234567890123',
      '1/2',
      '2/4',
      '-0.0',
      '3.5',
      '.5',
      '1.',
      '1e3',
      '1E-3',
      '+inf.0',
      '-nan.0',
      '#x1F',
      '#e1.5',
      '#i1/2',
      '#x#e10',
      '1+2i',
      '+i',
      '1@2',
    ];
    assert.deepEqual(readDatums(nums.join(' ')), nums.map(n));
    const syms = [
      '1+',
      '1/0',
      '-',
      '+',
      '...',
      '.5a',
      '1/2/3',
      '-a',
      '+.a',
      'inf.0',
      '+nan.1',
      '1e',
      '1.2.3',
      'a#b',
      '|a',
      'b|',
      'kw:',
    ];
    assert.deepEqual(readDatums(syms.join(' ')), syms.map(s));
    assert.equal(integerValue(readDatum('12345678901234')), 12345678901234);
    // Guile takes Unicode digits after the first character (`1١` is 11) and sometimes a character's low
    // byte (`+\u{36832}` is 2): such tokens are refused; `١` and `->λ` are symbols.
    assert.deepEqual(readDatums('\u0661 a\u0661 ->λ .0λ'), [s('\u0661'), s('a\u0661'), s('->λ'), s('.0λ')]);
    for (const t of ['1\u0661', '+\u0661', '+\u{36832}', '#e4#', '.\u0661', '#x\u0661', '#\\x\u0661'])
      errorOf(() => readDatums(t));
  });

  for (const bad of [
    '1e400',
    '1e-309 1e-325',
    '1e400abc',
    '1#',
    '#x1.5',
    '#e+inf.0',
    '#e1/0',
    '#b2',
    '#xg',
    '#e',
    '#xx1',
  ])
    void it(`refuses the number ${JSON.stringify(bad)}`, () => {
      errorOf(() => readDatums(bad));
    });

  void it('reads booleans, characters, keywords and #{...}# symbols', () => {
    assert.deepEqual(readDatums('#t #f #true #false #T #FALSE'), [true, false, true, false, true, false]);
    const chars = readDatums(
      '#\\a #\\A #\\space #\\newline #\\x41 #\\x #\\( #\\) #\\  #\\λ #\\😀 #\\nul #\\DEL #\\esc #\\101 #\\0 #\\x41;',
    );
    assert.deepEqual(
      chars,
      ['a', 'A', ' ', '\n', 'A', 'x', '(', ')', ' ', 'λ', '😀', '\0', '\x7f', '\x1b', 'A', '0', 'A'].map(
        (c) => new Char(c),
      ),
    );
    assert.deepEqual(readDatums('#:kw #:a:b #:1a #:#{a b}#'), [
      new Keyword('kw'),
      new Keyword('a:b'),
      new Keyword('1a'),
      new Keyword('a b'),
    ]);
    assert.deepEqual(readDatums(String.raw`#{a b}# #{}# #{a\x41;b}# #{a}b}# #{a\}#b}# #{.}#`), [
      s('a b'),
      s(''),
      s('aAb'),
      s('a}b'),
      s('a}#b'),
      s('.'),
    ]);
    assert.deepEqual(readDatums("manifest Version a'b a,b"), [
      s('manifest'),
      s('Version'),
      s("a'b"),
      s('a,b'),
    ]);
    for (const bad of [
      '#tru',
      '#true1',
      '#\\ab',
      '#\\X41',
      '#\\xD800',
      '#\\x110000',
      '#\\',
      '#:',
      '#: a',
      '#:1',
      '#{a',
      String.raw`#{a\x41}#`,
    ])
      errorOf(() => readDatums(bad));
  });
});

void describe('sexp reader: comments and whitespace', () => {
  void it('skips ; and nested #| |# comments, and #; data', () => {
    assert.deepEqual(readDatums(';; header\n\n(a ; x\n b) ; end'), [[s('a'), s('b')]]);
    assert.deepEqual(readDatums('#| a #| nested |# still |# x #||# y'), [s('x'), s('y')]);
    assert.deepEqual(readDatums('#;(a (b)) c #;#;d e f (g #;h)'), [s('c'), s('f'), [s('g')]]);
    assert.deepEqual(readDatums('a\fb\tc\r\nd'), [s('a'), s('b'), s('c'), s('d')]);
    assert.deepEqual(readDatums('a\vb'), [s('a\vb')]); // VT is not whitespace for Guile
    assert.deepEqual(readDatums(''), []);
    assert.deepEqual(readDatums(' ;; only a comment\n#| and |#'), []);
  });

  for (const bad of ['#|', '#| #| |#', '(a #;)', '(a #;', '#;'])
    void it(`refuses ${JSON.stringify(bad)}`, () => {
      errorOf(() => readDatums(bad));
    });
});

void describe('sexp reader: errors and positions', () => {
  void it('readDatum wants exactly one datum', () => {
    assert.deepEqual(readDatum(' ;c\n (a) #;b ;d\n'), [s('a')]);
    assert.match(errorOf(() => readDatum('')).message, /^line 1, column 1: expected one datum, found none/);
    assert.match(errorOf(() => readDatum('; c\n')).message, /^line 2, column 1: /);
    assert.match(
      errorOf(() => readDatum('(a)\n (b)')).message,
      /^line 2, column 2: expected one datum, found more/,
    );
  });

  void it('reports line and column in code points, CRLF counting as one line end', () => {
    const e = errorOf(() => readDatums('(a\r\n  "é😀" ]'));
    assert.deepEqual(e.details, { line: 2, column: 8, offset: 12 });
    const f = errorOf(() => readDatums('😀😀 #nil'));
    assert.deepEqual(f.details, { line: 1, column: 4, offset: 5 });
  });

  void it('refuses unbalanced parentheses in both directions', () => {
    assert.match(
      errorOf(() => readDatums('(a (b)')).message,
      /^line 1, column 1: unexpected end of input: "\(" is never closed/,
    );
    assert.match(errorOf(() => readDatums('(a))')).message, /^line 1, column 4: unexpected "\)"/);
    assert.match(
      errorOf(() => readDatums('\n(a]')).message,
      /^line 2, column 3: "]" does not match the opening at line 2, column 1/,
    );
    errorOf(() => readDatums('#(a'));
    errorOf(() => readDatums(']'));
  });

  void it('refuses evaluation and unknown # syntax', () => {
    assert.match(
      errorOf(() => readDatums('(a #.(system "x"))')).message,
      /column 4: "#\." \(read-time evaluation\) is refused/,
    );
    for (const bad of [
      '#nil',
      '#!fold-case',
      '#! x !#',
      '#s8(1)',
      '#f32(1)',
      '#2(a)',
      '#*101',
      '#<foo>',
      '#&x',
      '#',
      '#[1]',
      '#y',
      '#@1(a)',
      '#0',
    ])
      errorOf(() => readDatums(bad));
  });

  void it('refuses NUL characters and unpaired surrogates', () => {
    assert.deepEqual(errorOf(() => readDatums('(a "b\0c")')).details, { line: 1, column: 6, offset: 5 });
    errorOf(() => readDatums('a\0'));
    errorOf(() => readDatums('"\uD800"'));
    errorOf(() => readDatums('x \uDC00'));
  });
});

void describe('sexp reader: bounds', () => {
  void it('has the documented defaults', () => {
    assert.deepEqual({ ...DEFAULT_READER_OPTIONS }, {
      maxBytes: 16 * 1024 * 1024,
      maxDepth: 1000,
      maxStringLength: 1024 * 1024,
      maxAtomLength: 4096,
      maxDatums: 2_000_000,
    } satisfies ReaderOptions);
  });

  void it('a million nested lists: a clean size-limit error, fast, no stack overflow', () => {
    const t0 = performance.now();
    const e = errorOf(() => readDatums('('.repeat(1_000_000)), 'size-limit');
    assert.deepEqual(e.details, { line: 1, column: 1001, offset: 1000 });
    assert.ok(performance.now() - t0 < 1000);
    // Quote forms and #; nest too.
    errorOf(() => readDatums("'".repeat(1_000_000) + 'x'), 'size-limit');
    errorOf(() => readDatums('#;'.repeat(1_000_000) + 'x'), 'size-limit');
    // Just inside the bound is fine, and deep data is built without recursion.
    const deep = readDatum('('.repeat(1000) + ')'.repeat(1000));
    let d: Datum = deep;
    let depth = 0;
    while (Array.isArray(d) && d.length > 0) {
      d = (d as Datum[])[0]!;
      depth++;
    }
    assert.equal(depth, 999);
    assert.ok(readDatum('['.repeat(20_000) + ']'.repeat(20_000), { maxDepth: 20_000 }));
  });

  void it('a 64 MiB string: size-limit, fast (input bound, then string bound)', () => {
    const big = '"' + 'a'.repeat(64 * 1024 * 1024) + '"';
    let t0 = performance.now();
    assert.match(errorOf(() => readDatum(big), 'size-limit').message, /larger than 16777216 bytes/);
    assert.ok(performance.now() - t0 < 1000);
    t0 = performance.now();
    const e = errorOf(() => readDatum(big, { maxBytes: 128 * 1024 * 1024 }), 'size-limit');
    assert.match(e.message, /^line 1, column 1: string longer than 1048576 characters/);
    assert.ok(performance.now() - t0 < 2000);
  });

  void it('counts input bytes in UTF-8 and strings in code points', () => {
    errorOf(() => readDatum('"éé"', { maxBytes: 5 }), 'size-limit');
    assert.equal(readDatum('"éé"', { maxBytes: 6 }), 'éé');
    assert.equal(readDatum('"😀😀"', { maxStringLength: 2 }), '😀😀');
    errorOf(() => readDatum('"😀😀😀"', { maxStringLength: 2 }), 'size-limit');
    errorOf(() => readDatum(String.raw`"ab\n"`, { maxStringLength: 2 }), 'size-limit');
  });

  void it('bounds atoms and the number of data', () => {
    assert.ok(readDatum('a'.repeat(4096)));
    errorOf(() => readDatum('a'.repeat(4097)), 'size-limit');
    errorOf(() => readDatum('#{' + 'a'.repeat(5000) + '}#'), 'size-limit');
    errorOf(() => readDatum('#:' + 'a'.repeat(5000)), 'size-limit');
    errorOf(() => readDatum('1'.repeat(5000)), 'size-limit');
    assert.equal((readDatum('(1 2 3)', { maxDatums: 4 }) as Datum[]).length, 3);
    errorOf(() => readDatum('(1 2 3)', { maxDatums: 3 }), 'size-limit');
    errorOf(() => readDatums('#;(1 2) 3', { maxDatums: 3 }), 'size-limit');
  });
});

void describe('sexp reader: properties', () => {
  void it('throws nothing but RecipeError on arbitrary text', () => {
    const check = (text: string): void => {
      try {
        readDatums(text);
      } catch (e) {
        if (!(e instanceof RecipeError) || (e.code !== 'parse-error' && e.code !== 'size-limit')) throw e;
        const d = e.details as { line: number; column: number; offset: number };
        if (!e.message.startsWith(`line ${d.line}, column ${d.column}: `) || /[\n\r]/.test(e.message))
          throw e;
        if (!(d.offset >= 0 && d.offset <= text.length)) throw e;
      }
    };
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 40 }), check), { numRuns: 3000 });
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), check), { numRuns: 2000 });
    fc.assert(fc.property(readerInputArbitrary, check), { numRuns: 5000 });
    fc.assert(
      fc.property(readerInputArbitrary, (t) => {
        try {
          readDatums(t, { maxDepth: 3, maxAtomLength: 3, maxStringLength: 2, maxDatums: 5 });
        } catch (e) {
          if (!(e instanceof RecipeError)) throw e;
        }
      }),
      { numRuns: 2000 },
    );
  });

  void it('writing then reading any datum gives it back (writeDatum -> readDatum)', () => {
    fc.assert(
      fc.property(datumArbitrary, (d) => {
        assert.deepStrictEqual(readDatum(writeDatum(d)), d);
      }),
      { numRuns: 3000 },
    );
  });

  void it('reads a hand-written rendering of every datum kind back (independent of the writer)', () => {
    const text = `(#t #f "a\\"b\\\\c\\x01\\u2028" sym #{x y}# #:k #\\space #\\x3bb 12 -1/2 #vu8(1 2) #(a) (a . b) 'q)`;
    assert.deepEqual(readDatum(text), [
      true,
      false,
      'a"b\\c\x01\u2028',
      s('sym'),
      s('x y'),
      new Keyword('k'),
      new Char(' '),
      new Char('λ'),
      n('12'),
      n('-1/2'),
      new Bytevector(Uint8Array.from([1, 2])),
      new Vector([s('a')]),
      new DottedList([s('a')], s('b')),
      [s('quote'), s('q')],
    ]);
  });
});
