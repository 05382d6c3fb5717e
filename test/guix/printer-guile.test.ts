/**
 * The classic printer against the real Guile 3.0.8 `pretty-print` (the same genwrite algorithm as
 * 3.0.9) on random data, all cases in one guile process. Guile 3.0.10+ is not installable here, so the
 * modern printer is checked by the byte-exact vectors and the round-trip properties instead.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import fc from 'fast-check';

import type { Datum } from '../../shared/guix/sexp/datum.js';
import { Bytevector, Char, DottedList, Keyword, Vector, num, sym } from '../../shared/guix/sexp/datum.js';
import { prettyPrint } from '../../shared/guix/sexp/pretty-print.js';
import { guileVersion, runGuile, schemeBuild, schemeString, splitCases } from './printer-guile-runner.js';

const HEADS = [
  'define',
  'define*',
  'define-public',
  'lambda',
  'lambda*',
  'let',
  'let*',
  'letrec',
  'letrec*',
  'if',
  'set!',
  'cond',
  'case',
  'and',
  'or',
  'begin',
  'do',
  'syntax-case',
  'syntax-rules',
  'with-syntax',
  'quote',
  'quasiquote',
  'unquote',
  'unquote-splicing',
  'list',
  'channel',
  'name',
  'a',
  'bb',
  'abcde',
  'abcdef',
  'specifications->manifest',
  'λ',
  'a b',
];

const text = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.string({ minLength: 20, maxLength: 70 }),
  fc.constantFrom('é', 'λλ', '😀😀', 'a\nb', 'q"\\', '\u2028', ''),
);

const leaf: fc.Arbitrary<Datum> = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...HEADS).map(sym) },
  { weight: 3, arbitrary: text },
  { weight: 2, arbitrary: fc.integer({ min: -100000, max: 10000000 }).map(num) },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constantFrom('k', 'long-keyword').map((k) => new Keyword(k)) },
  { weight: 1, arbitrary: fc.constantFrom('a', ' ', '\n', 'λ', '\u0000').map((c) => new Char(c)) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 20 }).map((b) => new Bytevector(b)) },
);

const { tree } = fc.letrec<{ tree: Datum }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc
      .tuple(fc.constantFrom(...HEADS).map(sym), fc.array(tie('tree'), { maxLength: 6 }))
      .map(([h, a]) => [h, ...a]),
    fc.array(tie('tree'), { maxLength: 6 }),
    fc.array(tie('tree'), { maxLength: 5 }).map((a) => new Vector(a)),
    fc
      .tuple(fc.array(tie('tree'), { minLength: 1, maxLength: 4 }), tie('tree'))
      .map(([a, t]) => (Array.isArray(t) || t instanceof DottedList ? a : new DottedList(a, t))),
  ),
}));

const printCase = fc.record({
  datum: tree,
  width: fc.constantFrom(79, 79, 60, 30, 12, 120),
  prefix: fc.constantFrom('', '', '     ', '  ', ';; '),
});

void describe('classic pretty-print vs real Guile 3.0.8', () => {
  void it('prints random data byte for byte as Guile does', () => {
    const version = guileVersion();
    assert.match(version, /^3\.0\.[0-9]$/, `the classic printer is Guile <= 3.0.9's; found ${version}`);
    const cases = fc.sample(printCase, { numRuns: 1500, seed: 42 });
    const body = cases
      .map(
        (c) =>
          `(pretty-print ${schemeBuild(c.datum)} #:width ${c.width} #:per-line-prefix ${schemeString(c.prefix)}) (mark)`,
      )
      .join('\n');
    const got = splitCases(runGuile(body));
    assert.equal(got.length, cases.length);
    let multiLine = 0;
    cases.forEach((c, i) => {
      const mine = prettyPrint(c.datum, { width: c.width, perLinePrefix: c.prefix });
      if (mine.split('\n').length > 2) multiLine++;
      assert.equal(mine, got[i], `case ${i} (width ${c.width}, prefix ${JSON.stringify(c.prefix)})`);
    });
    // The sample must exercise line breaking, not just flat forms.
    assert.ok(multiLine > cases.length / 3, `only ${multiLine} multi-line cases`);
  });

  void it('prints Guix-shaped forms as Guile does at every width', () => {
    const channel: Datum = [
      sym('channel'),
      [sym('name'), [sym('quote'), sym('guix')]],
      [sym('url'), 'https://git.guix.gnu.org/guix.git'],
      [sym('branch'), 'master'],
      [sym('commit'), '12dcbe5876edcf574d58033f8bcb46b99bed4700'],
      [
        sym('introduction'),
        [
          sym('make-channel-introduction'),
          '9edb3f66fd807b096b48283debdcddccfea34bad',
          [sym('openpgp-fingerprint'), 'BBB0 2DDF 2CEA F6A8 0D1D  E643 A2A0 6DF2 A33A 54FA'],
        ],
      ],
    ];
    const transform: Datum = [
      sym('define'),
      sym('transform1'),
      [
        sym('options->transformation'),
        [
          sym('quote'),
          [new DottedList([sym('with-source')], 'https://example.org/a/very/long/url/to/a/source.tar.gz')],
        ],
      ],
    ];
    const cases: { d: Datum; width: number; prefix: string }[] = [];
    for (let width = 1; width <= 130; width += 3) {
      for (const d of [channel, transform, [sym('list'), channel, channel]])
        cases.push({ d, width, prefix: '     ' });
    }
    const body = cases
      .map(
        (c) =>
          `(pretty-print ${schemeBuild(c.d)} #:width ${c.width} #:per-line-prefix ${schemeString(c.prefix)}) (mark)`,
      )
      .join('\n');
    const got = splitCases(runGuile(body));
    cases.forEach((c, i) => {
      assert.equal(prettyPrint(c.d, { width: c.width, perLinePrefix: c.prefix }), got[i], `width ${c.width}`);
    });
  });
});
