import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import fc from 'fast-check';

import { readReal, writeFlonum, writeNumber } from '../../shared/guix/sexp/guile-number.js';
import { numTextArbitrary } from './datum-arbitrary.js';
import { runGuile, schemeString, splitCases } from './printer-guile-runner.js';

/** Guile's `write` of `(string->number TEXT)` for each text, in one process. */
function guileWrites(texts: readonly string[]): string[] {
  const out = splitCases(
    runGuile(texts.map((t) => `(write (string->number ${schemeString(t)})) (mark)`).join('\n')),
  );
  assert.equal(out.length, texts.length);
  return out;
}

void describe('numbers as Guile writes them', () => {
  void it('canonicalises every spelling', () => {
    const cases: [string, string][] = [
      ['42', '42'],
      ['#x2A', '42'],
      ['#X2a', '42'],
      ['+5', '5'],
      ['-0', '0'],
      ['007', '7'],
      ['2/4', '1/2'],
      ['#x-1a/2', '-13'],
      ['#b1/10', '1/2'],
      ['#e1.5', '3/2'],
      ['#e1.5e2', '150'],
      ['#e1e-3', '1/1000'],
      ['#E.5', '1/2'],
      ['#e1s2', '100'],
      ['1e3', '1000.0'],
      ['1E3', '1000.0'],
      ['1s2', '100.0'],
      ['1l2', '100.0'],
      ['5.', '5.0'],
      ['.5e1', '5.0'],
      ['#i3', '3.0'],
      ['#i-0', '-0.0'],
      ['#i1/3', '0.3333333333333333'],
      ['#i#x10', '16.0'],
      ['-0.0e5', '-0.0'],
      ['1e7', '1.0e7'],
      ['1e6', '1000000.0'],
      ['12345e3', '12345000.0'],
      ['12345e4', '1.2345e8'],
      ['0.001', '0.001'],
      ['0.0001', '1.0e-4'],
      ['123456789012345678901.0', '1.2345678901234568e20'],
      ['-nan.0', '+nan.0'],
      ['+nan.000', '+nan.0'],
      ['-inf.0', '-inf.0'],
    ];
    for (const [text, want] of cases) assert.equal(writeNumber(text), want, text);
    assert.deepEqual(
      guileWrites(cases.map(([t]) => t)),
      cases.map(([, w]) => w),
    );
  });

  void it('says nothing of complex numbers and huge inexact fractions', () => {
    for (const t of ['1+2i', '+i', '1@2', '-2.5i', `#i${2n ** 60n}/3`, 'abc', '1/0', '#e+inf.0', '#x1.5'])
      assert.equal(writeNumber(t), undefined, t);
    assert.deepEqual(readReal('#x10'), { exact: true, num: 16n, den: 1n });
  });

  void it('equals real Guile on random number texts and random doubles', () => {
    const texts = fc
      .sample(numTextArbitrary, { numRuns: 600, seed: 14 })
      .filter((t) => readReal(t) !== undefined);
    const buf = new DataView(new ArrayBuffer(8));
    const rand = fc.sample(fc.tuple(fc.integer(), fc.integer(), fc.integer({ min: 1, max: 17 })), {
      numRuns: 2000,
      seed: 41,
    });
    const doubles = rand.map(([hi, lo, digits], i) => {
      if (i % 2 === 0) {
        buf.setInt32(0, hi);
        buf.setInt32(4, lo);
        return buf.getFloat64(0);
      }
      return Number(((Math.abs(hi) / 2 ** 31) * 10 ** ((lo % 40) - 20)).toPrecision(digits));
    });
    const finite = doubles.filter((x) => Number.isFinite(x));
    const all = [...texts, ...finite.map((x) => x.toExponential())];
    assert.ok(texts.length > 400 && finite.length > 1800, `${texts.length} texts, ${finite.length} doubles`);
    const guile = guileWrites(all);
    all.forEach((t, i) => assert.equal(writeNumber(t), guile[i], t));
    finite.forEach((x, i) => assert.equal(writeFlonum(x), guile[texts.length + i], String(x)));
  });
});
