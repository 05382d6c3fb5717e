/**
 * Version comparison as Guix does it. Guix's `version-compare` (Guix's `guix/utils.scm`) is GNU libc's
 * `strverscmp`, called through Guile's FFI:
 *
 *   (define version-compare
 *     (let ((strverscmp (let ((sym (or (dynamic-func "strverscmp" (dynamic-link)) ...)))
 *                         (pointer->procedure int sym (list '* '*)))))
 *       (lambda (a b) (let ((result (strverscmp (string->pointer a) (string->pointer b)))) ...))))
 *
 * The oracle below is that very code, run by the real Guile against this machine's glibc, on
 * generated versions; the vectors are the ordering documented in strverscmp(3) and versions as Guix
 * packages spell them. `version-prefix?` (what `name@version` means on Guix's command line) is
 * checked against Guix's own examples.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { compareVersions, isVersionPrefix, strverscmp } from '../../shared/policy/guix-version.js';
import { guileVersion, runGuile, schemeString } from '../guix/printer-guile-runner.js';

const sign = (n: number) => Math.sign(n);

void describe('strverscmp, as glibc documents it', () => {
  void it('orders digit runs with leading zeros as fractions (strverscmp(3))', () => {
    const order = ['000', '00', '01', '010', '09', '0', '1', '9', '10'];
    for (let i = 0; i < order.length; i++)
      for (let j = 0; j < order.length; j++)
        assert.equal(sign(strverscmp(order[i]!, order[j]!)), sign(i - j), `${order[i]} vs ${order[j]}`);
  });

  void it('compares Guix package versions numerically, not as text', () => {
    const older: [string, string][] = [
      ['3.9', '3.10'],
      ['3.10', '3.10.7'],
      ['3.8.2', '3.10.7'],
      ['2023.9.30', '2023.12.1'],
      ['1.0', '1.0-rc1'], // a longer string wins: strverscmp knows nothing of release candidates
      ['0.9.1', '0.9.1b'],
      ['1.2.3-4.abcdef0', '1.2.3-10.0123456'],
      ['2.78.0', '2.80.0'],
      ['', '0'],
    ];
    for (const [a, b] of older) {
      assert.equal(compareVersions(a, b), -1, `${a} < ${b}`);
      assert.equal(compareVersions(b, a), 1, `${b} > ${a}`);
    }
    assert.equal(compareVersions('3.10.7', '3.10.7'), 0);
  });

  void it('reads C strings: a NUL ends the string', () => {
    assert.equal(compareVersions('1.2\u00009', '1.2'), 0);
  });
});

void describe("version-prefix?, Guix's examples", () => {
  void it('matches whole components only', () => {
    assert.equal(isVersionPrefix('4.1', '4.16.2'), false);
    assert.equal(isVersionPrefix('4.1', '4.1.2'), true);
    assert.equal(isVersionPrefix('3.10', '3.10'), true);
    assert.equal(isVersionPrefix('3.10.7.1', '3.10.7'), false);
    assert.equal(isVersionPrefix('', '1.0'), true);
  });
});

void describe("against Guix's version-compare run by the real Guile", () => {
  void it('agrees on thousands of generated pairs', () => {
    guileVersion();
    const piece = fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(...'0123456789'.split('')) },
      { weight: 3, arbitrary: fc.constantFrom('.', '-', '0', '00') },
      { weight: 2, arbitrary: fc.constantFrom(...'abrcz~+_'.split('')) },
      { weight: 1, arbitrary: fc.constantFrom('é', 'λ', '\u00ff', '9\u0301') },
    );
    const version = fc.array(piece, { maxLength: 10 }).map((xs) => xs.join(''));
    // Pairs sharing a prefix reach the digit-run cases far more often than independent strings.
    const pair = fc.oneof(
      fc.tuple(version, version),
      fc.tuple(version, version, version).map(([p, a, b]) => [p + a, p + b] as [string, string]),
    );
    const cases = fc.sample(pair, { numRuns: 3000, seed: 19 });
    cases.push(['3.9', '3.10'], ['09', '0'], ['1.0-rc1', '1.0'], ['', ''], ['a', '']);
    const program = [
      '(use-modules (system foreign))',
      // Guix's definition, verbatim in substance.
      `(define version-compare
         (let ((strverscmp
                (let ((sym (or (dynamic-func "strverscmp" (dynamic-link))
                               (error "could not find strverscmp"))))
                  (pointer->procedure int sym (list '* '*)))))
           (lambda (a b)
             (let ((result (strverscmp (string->pointer a) (string->pointer b))))
               (cond ((positive? result) '>) ((negative? result) '<) (else '=))))))`,
      '(define cases (list',
      ...cases.map(([a, b]) => `(cons ${schemeString(a)} ${schemeString(b)})`),
      '))',
      '(for-each (lambda (c) (display (version-compare (car c) (cdr c))) (newline)) cases)',
    ].join('\n');
    const answers = runGuile(program).trim().split('\n');
    assert.equal(answers.length, cases.length);
    const symbol = { [-1]: '<', 0: '=', 1: '>' } as const;
    let disagreements = 0;
    cases.forEach(([a, b], i) => {
      const ours = symbol[compareVersions(a, b)];
      if (ours !== answers[i]) {
        disagreements++;
        assert.fail(`${JSON.stringify(a)} vs ${JSON.stringify(b)}: Guix says ${answers[i]}, we say ${ours}`);
      }
    });
    assert.equal(disagreements, 0);
  });
});
