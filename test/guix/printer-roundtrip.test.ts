/**
 * The printers' property: for any datum, both printers' output (and `write`'s) reads back to the same datum;
 * plus the printers' bounds on hostile nesting.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import fc from 'fast-check';

import { RecipeError } from '../../shared/errors.js';
import type { Datum } from '../../shared/guix/sexp/datum.js';
import { DottedList, Vector, sym } from '../../shared/guix/sexp/datum.js';
import { PRINT_MAX_DEPTH, prettyPrint } from '../../shared/guix/sexp/pretty-print.js';
import { readDatum } from '../../shared/guix/sexp/reader.js';
import { writeDatum } from '../../shared/guix/sexp/writer.js';
import { datumArbitrary } from './datum-arbitrary.js';

const printer = fc.constantFrom('classic' as const, 'modern' as const);
const width = fc.constantFrom(79, 79, 40, 10, 1, 200);
const prefix = fc.constantFrom('', '     ', '\t', '  ');

/** Nests `n` levels with `wrap` around a leaf. */
function nest(n: number, wrap: (x: Datum) => Datum): Datum {
  let d: Datum = sym('leaf');
  for (let i = 0; i < n; i++) d = wrap(d);
  return d;
}

/** Shapes of nesting, with the datum levels each wrap adds. */
const SHAPES: [string, (x: Datum) => Datum, number][] = [
  ['list', (x) => [x], 1],
  ['define', (x) => [sym('define'), x, sym('body')], 1],
  ['call', (x) => [sym('f'), x, 'a string argument that is long enough to break the line'], 1],
  ['vector', (x) => new Vector([x, sym('a')]), 1],
  ['quote', (x) => [sym('quote'), [x, sym('b')]], 2],
  ['dotted', (x) => new DottedList([sym('a')], new Vector([x])), 2],
  ['if', (x) => [sym('if'), x, sym('then'), sym('else')], 1],
  ['let', (x) => [sym('let'), sym('loop'), [x], sym('body')], 2],
];

void describe('printer round trips and bounds', () => {
  void it('both printers and write read back to the same datum', () => {
    fc.assert(
      fc.property(datumArbitrary, printer, width, prefix, (d, p, w, pre) => {
        const text = prettyPrint(d, { printer: p, width: w, perLinePrefix: pre });
        assert.ok(text.startsWith(pre) && text.endsWith('\n'));
        assert.deepEqual(readDatum(text), d);
        assert.deepEqual(readDatum(writeDatum(d)), d);
      }),
      { numRuns: 1500, seed: 8 },
    );
  });

  void it('prints the flat form when it fits, for both printers', () => {
    fc.assert(
      fc.property(datumArbitrary, printer, (d, p) => {
        const text = prettyPrint(d, { printer: p, width: 100_000 });
        // No line breaking at this width, except the classic 50-column rule.
        if (p === 'modern') assert.equal(text.split('\n').length, 2);
        assert.deepEqual(readDatum(text), d);
      }),
      { numRuns: 300, seed: 9 },
    );
  });

  for (const [name, wrap, levels] of SHAPES) {
    void it(`prints ${name} nesting of the reader's depth and refuses deeper (${PRINT_MAX_DEPTH})`, () => {
      for (const p of ['classic', 'modern'] as const) {
        // A datum as deep as the reader allows by default prints; a much deeper one is refused cleanly.
        const ok = nest(Math.floor(PRINT_MAX_DEPTH / levels), wrap);
        const text = prettyPrint(ok, { printer: p });
        assert.ok(text.length > PRINT_MAX_DEPTH);
        assert.deepEqual(readDatum(text), ok);
        const tooDeep = nest(Math.ceil((PRINT_MAX_DEPTH * 1.2) / levels), wrap);
        assert.throws(
          () => prettyPrint(tooDeep, { printer: p }),
          (e: unknown) => e instanceof RecipeError && e.code === 'size-limit',
        );
      }
    });
  }

  void it('abbreviates quote forms in both printers but not in write', () => {
    const d: Datum = [
      sym('a'),
      [sym('quote'), sym('x')],
      [sym('quasiquote'), [sym('unquote-splicing'), sym('y')]],
    ];
    assert.equal(prettyPrint(d), "(a 'x `,@y)\n");
    assert.equal(prettyPrint(d, { printer: 'modern' }), "(a 'x `,@y)\n");
    assert.equal(writeDatum(d), '(a (quote x) (quasiquote (unquote-splicing y)))');
    // Inside a vector or a dotted list the flat form is Guile's plain write.
    assert.equal(prettyPrint(new Vector([[sym('quote'), sym('x')]])), '#((quote x))\n');
    assert.equal(prettyPrint(new Vector([[sym('quote'), sym('x')]]), { printer: 'modern' }), "#('x)\n");
    // Guile 3.0.10 would print #'x here; we keep the datum.
    assert.equal(prettyPrint(new Vector([sym('quote'), sym('x')]), { printer: 'modern' }), '#(quote x)\n');
  });
});
