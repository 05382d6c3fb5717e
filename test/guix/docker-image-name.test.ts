/**
 * The name `guix pack -f docker` gives an image, against Guile running Guix's own procedures
 * (`manifest->friendly-name` from guix/scripts/pack.scm, over a list of names; and
 * `canonicalize-repository-name` from guix/docker.scm, as they are there), for the documented
 * examples and for generated names. Fails (does not skip) when guile is missing.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  canonicalizeRepositoryName,
  defaultRepositoryName,
  friendlyName,
  imageTagFor,
} from '../../shared/guix/docker-image-name.js';
import { runGuile, schemeString, splitCases } from './printer-guile-runner.js';

const GUIX_PROCEDURES = String.raw`
(use-modules (ice-9 match) (srfi srfi-26))
(define (names->friendly-name names)
  (let loop ((names names))
    (define str (string-join names "-"))
    (if (< (string-length str) 40)
        str
        (match names
          ((_) str)
          ((names ... _) (loop names))))))
(define (canonicalize-repository-name name)
  (define min-length 2)
  (define padding-character #\a)
  (define max-length 255)
  (define ascii-letters
    (string->char-set "abcdefghijklmnopqrstuvwxyz"))
  (define separators
    (string->char-set "_-."))
  (define repo-char-set
    (char-set-union char-set:digit ascii-letters separators))
  (define normalized-name
    (string-map (lambda (chr)
                  (if (char-set-contains? repo-char-set chr)
                      chr
                      #\.))
                (string-trim (string-downcase name) separators)))
  (let ((l (string-length normalized-name)))
    (match l
      ((? (cut > <> max-length))
       (string-take normalized-name max-length))
      ((? (cut < <> min-length))
       (string-append normalized-name
                      (make-string (- min-length l) padding-character)))
      (_ normalized-name))))
(define (cps str)
  (string-join (map (lambda (c) (number->string (char->integer c))) (string->list str)) " "))
`;

/** Guile's answers: for each case, the canonical name of the joined names' friendly name. */
function guile(cases: string[][]): { friendly: string; canonical: string }[] {
  const body = cases
    .map(
      (names) =>
        `(let ((f (names->friendly-name (list ${names.map(schemeString).join(' ')}))))
           (display (cps f)) (newline) (display (cps (canonicalize-repository-name f))) (newline) (mark))`,
    )
    .join('\n');
  const fromCps = (line: string): string =>
    line === '' ? '' : String.fromCodePoint(...line.split(' ').map(Number));
  return splitCases(runGuile(GUIX_PROCEDURES + body)).map((c) => {
    const [f, n] = c.split('\n');
    return { friendly: fromCps(f ?? ''), canonical: fromCps(n ?? '') };
  });
}

void test('the documented examples', () => {
  assert.equal(canonicalizeRepositoryName('My App:1.0'), 'my.app.1.0');
  assert.equal(canonicalizeRepositoryName('registry.example.org/team/app'), 'registry.example.org.team.app');
  assert.equal(canonicalizeRepositoryName(''), 'aa');
  assert.equal(canonicalizeRepositoryName('-_x'), 'xa');
  assert.equal(canonicalizeRepositoryName(' foo-'), '.foo-');
  assert.equal(canonicalizeRepositoryName('x'.repeat(300)), 'x'.repeat(255));
  assert.equal(friendlyName(['python', 'python-numpy']), 'python-python-numpy');
  assert.equal(friendlyName([]), '');
  assert.equal(
    defaultRepositoryName(Array.from({ length: 12 }, (_, i) => `lib${i}`)),
    'lib0-lib1-lib2-lib3-lib4-lib5-lib6-lib7',
  );
});

void test('an --image-tag value gives back the name, also one starting with a dot', () => {
  for (const name of ['python-python-numpy', 'aa', '.foo-', '..-x', 'my.app.1.0'])
    assert.equal(canonicalizeRepositoryName(imageTagFor(name)!), name, name);
  assert.equal(imageTagFor('.foo'), '+foo');
  // Names Guix cannot write: upper case, slashes, a leading `-` or `_`, too short.
  for (const name of ['Foo', 'a/b', '-x', '_x', 'a', '']) assert.equal(imageTagFor(name), undefined, name);
});

void test('the same names as Guix, for the documented examples and generated names', () => {
  const special = [
    [''],
    ['My App:1.0'],
    ['registry.example.org/team/app'],
    ['-_x'],
    [' foo-'],
    ['\u0130stanbul', 'ÉCOLE', 'ß'],
    ['x٣y', '𝟘digit', 'ab'],
    Array.from({ length: 12 }, (_, i) => `lib${i}`),
    ['a-very-long-package-name-that-alone-is-over-forty-characters'],
    ['one', 'two-more-than-forty-characters-when-joined', 'three'],
    ['x'.repeat(300)],
  ];
  const generated = fc.sample(
    fc.array(
      fc.string({
        unit: fc.oneof(
          fc.constantFrom('a', 'Z', '0', '-', '_', '.', ' ', '/', ':', '@', 'É', 'ı', '\u0130', '٣'),
          fc.string({ minLength: 1, maxLength: 1, unit: 'grapheme' }),
        ),
        maxLength: 30,
      }),
      { maxLength: 6 },
    ),
    { numRuns: 300, seed: 15 },
  );
  const cases = [...special, ...generated];
  const answers = guile(cases);
  assert.equal(answers.length, cases.length);
  cases.forEach((names, i) => {
    const want = answers[i]!;
    assert.equal(friendlyName(names), want.friendly, JSON.stringify(names));
    assert.equal(defaultRepositoryName(names), want.canonical, JSON.stringify(names));
  });
});
