import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import fc from 'fast-check';

import type { Datum } from '../../shared/guix/sexp/datum.js';
import {
  Bytevector,
  Char,
  DottedList,
  Keyword,
  Sym,
  Vector,
  num,
  sym,
} from '../../shared/guix/sexp/datum.js';
import { flatForm, writeDatum } from '../../shared/guix/sexp/writer.js';
import { generalCategory } from '../../shared/guix/sexp/unicode-14.js';
import { guileVersion, runGuile, schemeBuild, splitCases } from './printer-guile-runner.js';

/** Code points Guile can hold in a string (no surrogates). */
const codePoint = fc.oneof(
  fc.integer({ min: 0, max: 0x7f }),
  fc.integer({ min: 0x80, max: 0x2ff }),
  fc.constantFrom(
    0x85,
    0xa0,
    0xad,
    0x300,
    0x301,
    0x334,
    0x2028,
    0x2029,
    0x200b,
    0x200e,
    0xfeff,
    0xe000,
    0xfffd,
    0x3000,
  ),
  fc.constantFrom(
    0x1f600,
    0xe0001,
    0x10ffff,
    0xf0000,
    0x110bd,
    0x378,
    0xffff,
    0xfffe,
    0x0f73,
    0x0e48,
    0x093c,
  ),
  fc.integer({ min: 0x100, max: 0xd7ff }),
  fc.integer({ min: 0xe000, max: 0x2ffff }),
);
const anyString = fc.array(codePoint, { maxLength: 12 }).map((cps) => String.fromCodePoint(...cps));

/** Characters that matter to Guile's symbol syntax, plus some unicode. */
const symbolChar = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(...'+-.0123456789#eEiIsSdDlLfF/@:;"\'`,|\\ ()[]{}anx\t\n'.split('')),
  },
  { weight: 1, arbitrary: codePoint.map((c) => String.fromCodePoint(c)) },
);
const anySymbolName = fc.array(symbolChar, { maxLength: 7 }).map((a) => a.join(''));

function codePointsOf(d: Datum, out: Set<number>): void {
  const text =
    typeof d === 'string'
      ? d
      : d instanceof Sym || d instanceof Keyword
        ? d.name
        : d instanceof Char
          ? d.value
          : undefined;
  if (text !== undefined) for (const c of text) out.add(c.codePointAt(0) as number);
  else if (Array.isArray(d)) for (const x of d as readonly Datum[]) codePointsOf(x, out);
  else if (d instanceof Vector) for (const x of d.items) codePointsOf(x, out);
  else if (d instanceof DottedList) [...d.items, d.tail].forEach((x) => codePointsOf(x, out));
}

/**
 * Asserts writeDatum equals Guile's `write` for every datum, in one guile process. Our categories are
 * Unicode 14.0's (unicode-14.ts); a Guile linked with another libunistring may disagree on a few code
 * points: cases holding one are left out (none are with libunistring 1.0, the reference), and must stay
 * rare.
 */
function assertSameAsGuile(data: readonly Datum[]): void {
  const cps = new Set<number>();
  data.forEach((d) => codePointsOf(d, cps));
  const cpList = [...cps];
  const cats = `(for-each (lambda (c) (display (char-general-category (integer->char c))) (display " ")) '(${cpList.join(' ')})) (mark)`;
  const body = cats + '\n' + data.map((d) => `(write ${schemeBuild(d)}) (mark)`).join('\n');
  const [catOut, ...got] = splitCases(runGuile(body));
  assert.equal(got.length, data.length, 'one guile output per case');
  const guileCats = (catOut ?? '').trim().split(' ');
  const disagree = new Set(cpList.filter((cp, i) => guileCats[i] !== generalCategory(cp)));
  let compared = 0;
  data.forEach((d, i) => {
    const mine = new Set<number>();
    codePointsOf(d, mine);
    if ([...mine].some((cp) => disagree.has(cp))) return;
    compared++;
    assert.equal(writeDatum(d), got[i], `case ${i}: ${JSON.stringify(got[i])}`);
  });
  assert.ok(compared >= data.length * 0.9, `only ${compared} of ${data.length} cases comparable`);
}

function sample<T>(arb: fc.Arbitrary<T>, n: number, seed: number): T[] {
  return fc.sample(arb, { numRuns: n, seed });
}

void describe('writeDatum (Guile 3.0 write)', () => {
  void it('writes the documented escapes literally', () => {
    assert.equal(writeDatum('a"b\\c\td\ne\r\x00\x07\x1b\x7f'), '"a\\"b\\\\c\\td\\ne\\r\\x00\\a\\x1b\\x7f"');
    assert.equal(
      writeDatum('\u0085\u00a0é\u2028\u200bλ😀\u{e0001}'),
      '"\\x85\\xa0é\\u2028\\u200bλ😀\\U0e0001"',
    );
    assert.equal(writeDatum(sym('a b')), '#{a b}#');
    assert.equal(writeDatum(sym('')), '#{}#');
    assert.equal(writeDatum(sym('1+')), '#{1+}#');
    assert.equal(writeDatum(sym('-1-')), '-1-');
    assert.equal(writeDatum(sym('+1/2')), '#{+1/2}#');
    assert.equal(writeDatum(sym('+1/0')), '+1/0');
    assert.equal(writeDatum(sym('a(b')), '#{a\\x28;b}#');
    assert.equal(writeDatum(sym('...')), '...');
    assert.equal(writeDatum(sym('.')), '#{.}#');
    assert.equal(writeDatum(new Keyword('a b')), '#:#{a b}#');
    assert.equal(writeDatum(new Char('\u0000')), '#\\nul');
    assert.equal(writeDatum(new Char('\u0080')), '#\\200');
    assert.equal(writeDatum(new Char('\u0301')), '#\\\u25cc\u0301');
    assert.equal(writeDatum([sym('quote'), sym('x')]), '(quote x)');
    assert.equal(flatForm([sym('quote'), sym('x')], { abbreviate: 'proper-lists' }), "'x");
    assert.equal(writeDatum(new DottedList([sym('a'), num(1)], [num(2)])), '(a 1 2)');
    assert.equal(
      writeDatum(new Vector([new Bytevector(new Uint8Array([1, 255])), true, false, []])),
      '#(#vu8(1 255) #t #f ())',
    );
  });

  void it('writes deep nesting without recursion', () => {
    let d: Datum = sym('x');
    for (let i = 0; i < 100_000; i++) d = [d];
    const text = writeDatum(d);
    assert.equal(text.length, 200_001);
  });

  void it('equals real Guile on random strings, symbols, keywords and characters', () => {
    guileVersion();
    const data: Datum[] = [
      ...sample(anyString, 400, 1),
      ...sample(anySymbolName, 1500, 2).map(sym),
      ...sample(anySymbolName, 100, 3).map((n) => new Keyword(n)),
      ...sample(codePoint, 600, 4).map((c) => new Char(String.fromCodePoint(c))),
    ];
    for (let c = 0; c < 0x3000; c++)
      if (c < 0xd800 || c > 0xdfff) data.push(new Char(String.fromCodePoint(c)));
    for (let c = 0; c < 0x3000; c += 37) data.push(String.fromCodePoint(c, c + 1, c + 2));
    assertSameAsGuile(data);
  });

  void it('equals real Guile on number-like symbols', () => {
    const parts = ['+', '-', '.', '1', '0', '#', '/', 'e', 'E', 's', '@', 'i', 'inf.0', 'nan.0', '2'];
    const arb = fc.array(fc.constantFrom(...parts), { minLength: 1, maxLength: 6 }).map((a) => a.join(''));
    const names = sample(arb, 2000, 5).filter(
      (n) => n.startsWith('+') || n.startsWith('-') || n.startsWith('.'),
    );
    // Guile's string->number raises on huge exponents; keep to ones it answers.
    assertSameAsGuile(names.filter((n) => !/[eEsSdDlLfF][+-]?\d{3,}/.test(n)).map(sym));
  });

  void it('equals real Guile on nested data', () => {
    const leaf: fc.Arbitrary<Datum> = fc.oneof(
      anyString,
      anySymbolName.map(sym),
      fc.boolean(),
      fc.integer().map(num),
      fc.uint8Array({ maxLength: 3 }).map((b) => new Bytevector(b)),
    );
    const { tree } = fc.letrec<{ tree: Datum }>((tie) => ({
      tree: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        leaf,
        fc.array(tie('tree'), { maxLength: 4 }),
        fc
          .tuple(fc.constantFrom('quote', 'quasiquote', 'unquote', 'unquote-splicing'), tie('tree'))
          .map(([q, x]) => [sym(q), x]),
        fc.array(tie('tree'), { maxLength: 3 }).map((a) => new Vector(a)),
        fc
          .tuple(fc.array(tie('tree'), { minLength: 1, maxLength: 3 }), leaf)
          .map(([a, t]) => new DottedList(a, t)),
      ),
    }));
    assertSameAsGuile(sample(tree, 300, 6));
  });
});
