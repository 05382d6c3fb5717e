/**
 * Differential tests of the reader against the real Guile (3.0.x, default read options): many inputs
 * go through ONE guile process, which reads each with `read` until EOF and prints a canonical form
 * (strings and symbols as code point lists, numbers through `number->string`); our reader's result is
 * put in the same form and compared. Our `Num` keeps its text, so its canonical form is Guile's
 * `number->string` of `string->number` of that text, computed in the same process.
 *
 * Rules checked for every input:
 *   - when we read it, Guile reads it too, to the same data;
 *   - when Guile reads it and we refuse it, the refusal is one of the documented ones (reader.ts header).
 * Fails (does not skip) when guile is missing: CI installs guile-3.0.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import fc from 'fast-check';

import { RecipeError } from '../../shared/errors.js';
import type { Datum } from '../../shared/guix/sexp/datum.js';
import { Bytevector, Char, DottedList, Keyword, Num, Sym, Vector } from '../../shared/guix/sexp/datum.js';
import { readDatums } from '../../shared/guix/sexp/reader.js';
import { writeDatum } from '../../shared/guix/sexp/writer.js';
import { datumArbitrary, readerInputArbitrary } from './datum-arbitrary.js';
import { guileVersion, runGuile } from './printer-guile-runner.js';

const GUILE_PROGRAM = String.raw`
(define (cps str)
  (apply string-append (map (lambda (c) (string-append " " (number->string (char->integer c)))) (string->list str))))
(define (joined xs) (apply string-append (map (lambda (x) (string-append " " x)) xs)))
(define (canon d)
  (cond ((string? d) (string-append "(s" (cps d) ")"))
        ((symbol? d) (string-append "(y" (cps (symbol->string d)) ")"))
        ((keyword? d) (string-append "(k" (cps (symbol->string (keyword->symbol d))) ")"))
        ((char? d) (string-append "(c " (number->string (char->integer d)) ")"))
        ((eq? d #t) "#t")
        ((eq? d #f) "#f")
        ((number? d) (string-append "(n " (number->string d) ")"))
        ((eq? d '()) "()")
        ((pair? d)
         (let loop ((x d) (acc '()))
           (cond ((pair? x) (loop (cdr x) (cons (canon (car x)) acc)))
                 ((eq? x '()) (string-append "(l" (joined (reverse acc)) ")"))
                 (else (string-append "(d" (joined (reverse acc)) " . " (canon x) ")")))))
        ((bytevector? d) (string-append "(b" (joined (map number->string (bytevector->u8-list d))) ")"))
        ((vector? d) (string-append "(v" (joined (map canon (vector->list d))) ")"))
        (else "(?)")))
(define (read-all str)
  (catch #t
    (lambda ()
      (let ((p (open-input-string str)))
        (let loop ((acc '()))
          (let ((d (read p)))
            (if (eof-object? d)
                (string-append "OK" (joined (map canon (reverse acc))))
                (loop (cons d acc)))))))
    (lambda _ "ERR")))
(define (->string c) (list->string (map integer->char c)))
(for-each (lambda (c) (display (read-all (->string c))) (newline)) cases)
(display "--nums--") (newline)
(for-each
  (lambda (c)
    (display (catch #t (lambda () (let ((v (string->number (->string c)))) (if v (number->string v) "#f")))
                    (lambda _ "ERR")))
    (newline))
  nums)
`;

type Outcome = { ok: true; data: Datum[] } | { ok: false; error: RecipeError };

function ours(text: string): Outcome {
  try {
    return { ok: true, data: readDatums(text) };
  } catch (e) {
    if (e instanceof RecipeError) return { ok: false, error: e };
    throw e;
  }
}

function numTexts(d: Datum, out: Set<string>): void {
  const todo: Datum[] = [d];
  while (todo.length > 0) {
    const x = todo.pop()!;
    if (x instanceof Num) out.add(x.text);
    else if (Array.isArray(x)) todo.push(...(x as Datum[]));
    else if (x instanceof Vector) todo.push(...x.items);
    else if (x instanceof DottedList) todo.push(...x.items, x.tail);
  }
}

const cps = (s: string): string => Array.from(s, (c) => ' ' + String(c.codePointAt(0))).join('');

/** Our datum in the canonical form the Guile program prints. */
function canon(d: Datum, nums: ReadonlyMap<string, string>): string {
  if (typeof d === 'string') return `(s${cps(d)})`;
  if (typeof d === 'boolean') return d ? '#t' : '#f';
  if (d instanceof Sym) return `(y${cps(d.name)})`;
  if (d instanceof Keyword) return `(k${cps(d.name)})`;
  if (d instanceof Char) return `(c ${String(d.value.codePointAt(0))})`;
  if (d instanceof Num) return `(n ${nums.get(d.text) ?? '?'})`;
  if (d instanceof Bytevector) return `(b${Array.from(d.bytes, (b) => ' ' + String(b)).join('')})`;
  if (d instanceof Vector) return `(v${d.items.map((x) => ' ' + canon(x, nums)).join('')})`;
  if (d instanceof DottedList)
    return `(d${d.items.map((x) => ' ' + canon(x, nums)).join('')} . ${canon(d.tail, nums)})`;
  return d.length === 0 ? '()' : `(l${d.map((x) => ' ' + canon(x, nums)).join('')})`;
}

/** Refusals documented in reader.ts for input Guile accepts. */
const DOCUMENTED_REFUSALS: RegExp[] = [
  /"#nil" \(Elisp nil\)/,
  /unknown "#" syntax "#[!sfuct0-9*@]/i, // #! directives, SRFI-4 and arrays, bitvectors, glued #t/#f
  /unexpected "\." \(only allowed/,
  /number-like token with "#"/,
  /"#:" must be followed directly/,
  /keyword name is not a symbol: "#/,
  /bytevector elements must be integers/,
  /NUL character in input/,
  /non-ASCII/,
];

interface Case {
  label: string;
  text: string;
  /** Both readers must accept it. */
  mustRead?: boolean;
}

/** Runs every case through both readers and checks the rules; returns how many both read. */
function compare(cases: readonly Case[]): { bothRead: number; weRefused: Case[] } {
  const mine = cases.map((c) => ours(c.text));
  const nums = new Set<string>();
  for (const m of mine) if (m.ok) for (const d of m.data) numTexts(d, nums);
  const numList = [...nums];
  const data = (xs: readonly string[]): string => xs.map((x) => `(${cps(x)})`).join('\n');
  const out = runGuile(
    `(define cases '(\n${data(cases.map((c) => c.text))}))\n(define nums '(\n${data(numList)}))\n${GUILE_PROGRAM}`,
  );
  const lines = out.split('\n');
  const sep = lines.indexOf('--nums--');
  assert.equal(sep, cases.length, 'one line per case from guile');
  const numCanon = new Map<string, string>();
  numList.forEach((t, i) => numCanon.set(t, lines[sep + 1 + i]!));
  let bothRead = 0;
  const weRefused: Case[] = [];
  cases.forEach((c, i) => {
    const g = lines[i]!;
    const m = mine[i]!;
    const where = `${c.label}: ${JSON.stringify(c.text.slice(0, 200))}`;
    if (m.ok) {
      for (const t of nums) assert.notEqual(numCanon.get(t), '#f', `guile does not read ${t} as a number`);
      assert.equal(`OK${m.data.map((d) => ' ' + canon(d, numCanon)).join('')}`, g, where);
      bothRead++;
    } else {
      assert.ok(!c.mustRead, `${where}: we refused: ${m.error.message}`);
      if (g !== 'ERR') {
        assert.ok(
          DOCUMENTED_REFUSALS.some((r) => r.test(m.error.message)),
          `${where}: guile reads it (${g.slice(0, 200)}) but we refused: ${m.error.message}`,
        );
        weRefused.push(c);
      }
    }
  });
  return { bothRead, weRefused };
}

const sample = <T>(arb: fc.Arbitrary<T>, numRuns: number, seed: number): T[] =>
  fc.sample(arb, { numRuns, seed });

/** No unpaired surrogates: Guile strings are code points, so such input cannot be given to it. */
const wellFormed = (t: string): boolean =>
  !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(t);

const CURATED_OK = [
  '(a . b)',
  '(a b . c)',
  '(a\n.\nb)',
  '(a . (b))',
  '(a . (b . c))',
  '(a . ())',
  '(a .b ..)',
  '[a (b) c]',
  "'x `(a ,b ,@c) #'d #`e #,f #,@g ' h",
  String.raw`"\\ \" \n \t \r \a \b \f \v \0 \| \("`,
  String.raw`"hex\x41;z"`,
  String.raw`"\x1b\xff\u2028\U01F600"`,
  '"a\\\n   b"',
  '"a\r\nb"',
  '#t #f #true #false #T #FALSE',
  '#\\a #\\A #\\space #\\newline #\\x41 #\\x #\\( #\\) #\\  #\\λ #\\nul #\\DEL #\\esc #\\101 #\\0 #\\00 #\\x41;',
  '#\\alarm #\\backspace #\\tab #\\linefeed #\\vtab #\\page #\\return #\\null #\\escape #\\delete #\\sp #\\nl #\\np',
  '#\\soh #\\stx #\\us #\\dc1 #\\bel #\\bs #\\ht #\\lf #\\vt #\\ff #\\cr #\\SPACE #\\377 #\\400 #\\20050',
  '#:kw #:a:b #:1a #:#{a b}# #:.',
  String.raw`#{a b}# #{}# #{a\x41;b}# #{a}b}# #{a\}#b}# #{.}# #{a\nb}#`,
  "manifest Version a'b a,b a`b a#b |a b| a|b ||",
  '1+ 1/0 0/0 - + ... .5a 1/2/3 -a +.a inf.0 +nan.1 1e 1.2.3 kw: 1_000 0x10 -1/-2 1/2.0',
  '4 -12 +5 12345678901234567890123 1/2 2/4 +1/2 -0.0 3.5 .5 1. 1e3 1E-3 1d3 1s3 1f3 1l3 .1e-5 -.5e2 1e308 1e-309 1e-324 0.001e-320',
  '+inf.0 -inf.0 +nan.0 -nan.0 #x1F #xff/a #x-1F #XAB #b101 #o17 #d10 #e1.5 #E1.5 #i1/2 #x#e10 #e#x10 #i#x10 #e-1.5e-3 #x+inf.0',
  '+i -i 1+i 1-2.5i 1@0 1@2 +5i +inf.0i 1/2+3/4i +nan.0+nan.0i 10e307 123456789e300',
  '#(1 "a" #(b)) #() #vu8(0 1 255 #xff 00017 +1) #u8() #vu8( 1 ;c\n 2 #;3 #|x|# 4)',
  ';; c\n(a ; x\n b) #| a #| b |# c |# #;(d e) f #;#;g h i',
  'a\fb\tc\r\nd a\vb',
  '(a . ;c\n #;x #|y|# b)',
  '(a #;b . c)',
  '+inf.00 +nan.01 +nan. +nan.000 -nan.0000 +NAN.0 +Inf.0 +nan.00i +nan.00+1i 1+nan.00i +inf.0+inf.00i',
  'a\u0661 \u0661 a1\u0661',
];

const CURATED_REFUSED = [
  '#nil',
  '(. a)',
  '.',
  '#tru',
  '#true1',
  '#!fold-case x',
  '#! c !# x',
  '#s8(1)',
  '#f32(1)',
  '#*101',
  '1#',
  '1##',
  '#: a',
  '#vu8(1/1)',
  '#vu8(#e1.0)',
  'a\0b',
  '1\u0661',
  '.\u0661',
  '#x\u0661',
  '#\\x\u0661',
  '+\u{36832}',
  '.\u0661#',
  '#e4#',
];

const CURATED_BOTH_FAIL = [
  '(a]',
  '(a .)',
  '(a . b c)',
  '(a . b . c)',
  '#(a . b)',
  '#.(+ 1 2)',
  String.raw`"\q"`,
  String.raw`"\x4"`,
  String.raw`"\U0041"`,
  String.raw`"\uD800"`,
  String.raw`"\U110000"`,
  '"a\\\r\nb"',
  '#\\ab',
  '#\\X41',
  '#\\18',
  '#\\xD800',
  '#\\U+41',
  '#:',
  '#:1',
  '#u8(256)',
  '#vu8(-1)',
  '#vu8(a)',
  '#<foo>',
  '#',
  '(',
  ')',
  '#|',
  '"abc',
  '#{a',
  '1e400',
  '1e-400',
  '1e-325',
  '1e400CW2',
  '#e1/0',
  '#x1.5',
  '#b2',
  '#e+inf.0',
  String.raw`#{a\x41b}#`,
  '(a #;)',
  "'",
  '#:`a',
  '#:#t',
];

void describe('reader vs real Guile (differential)', () => {
  void it('guile is installed (CI installs guile-3.0)', () => {
    assert.match(guileVersion(), /^3\.0\./);
  });

  void it('curated inputs, every fixture manifest, and written data: same data as Guile', () => {
    const cases: Case[] = [];
    for (const t of CURATED_OK) cases.push({ label: 'curated', text: t, mustRead: true });
    for (const t of CURATED_REFUSED) cases.push({ label: 'documented refusal', text: t });
    for (const t of CURATED_BOTH_FAIL) cases.push({ label: 'invalid', text: t });
    const images = 'test/fixtures/guix-images';
    for (const d of readdirSync(images, { withFileTypes: true }))
      if (d.isDirectory())
        cases.push({
          label: d.name,
          text: readFileSync(join(images, d.name, 'profile-manifest'), 'utf8'),
          mustRead: true,
        });
    for (const f of readdirSync('test/fixtures/guix-vectors'))
      if (f.endsWith('profile-manifest'))
        cases.push({
          label: f,
          text: readFileSync(join('test/fixtures/guix-vectors', f), 'utf8'),
          mustRead: true,
        });
    for (const d of sample(datumArbitrary, 400, 7))
      cases.push({ label: 'written datum', text: writeDatum(d), mustRead: true });
    const { weRefused } = compare(cases);
    // Every documented refusal is something Guile itself reads: the refusals are deliberate, not bugs.
    assert.deepEqual(
      weRefused.map((c) => c.text),
      CURATED_REFUSED,
    );
    // And the "invalid" ones are refused by Guile too (compare() checked we refuse what we must).
    for (const t of CURATED_BOTH_FAIL) assert.equal(ours(t).ok, false, t);
  });

  void it('random syntax soup: whatever we read, Guile reads the same way', () => {
    const texts = sample(readerInputArbitrary, 4000, 42).filter(wellFormed);
    const { bothRead } = compare(texts.map((t) => ({ label: 'soup', text: t })));
    assert.ok(bothRead > 400, `only ${bothRead} inputs read by both`);
  });

  void it('number-like tokens: numbers, symbols and errors exactly as Guile classifies them', () => {
    const ch = fc.constantFrom(
      ...'0123456789+-./@#eEiIxXbBoOdDsSlLfFnNaA\u0661'.split(''),
      '1',
      '0',
      'inf.0',
      'nan.0',
    );
    const tokens = sample(fc.array(ch, { minLength: 1, maxLength: 7 }), 6000, 3).map((a) => a.join(''));
    const cases = tokens.map((t) => ({ label: 'token', text: t }));
    const { bothRead } = compare(cases);
    const numbers = cases.filter((c) => {
      const o = ours(c.text);
      return o.ok && o.data[0] instanceof Num;
    }).length;
    assert.ok(bothRead > 1500 && numbers > 300, `${bothRead} read by both, ${numbers} numbers`);
  });

  void it('string escapes and characters: same as Guile', () => {
    const esc = fc.constantFrom(
      ...String.raw`\\ \" \n \t \r \a \b \f \v \0 \| \( \x \u \U \x4 \x41 \u00e9 \U01F600 \q \) \  \e ; x 1 A f F D8 00`.split(
        ' ',
      ),
      '\\\n',
      '\n',
      ' ',
      '\\\r\n',
    );
    const strings = sample(fc.array(esc, { maxLength: 6 }), 3000, 5).map((a) => `"${a.join('')}"`);
    const charTok = fc.constantFrom(
      ...'0 1 7 8 x X a A ( ) ; " \\ λ 😀 sp ace nul l del ete x4 1 e f 0'.split(' '),
      ' ',
    );
    const chars = sample(fc.array(charTok, { minLength: 1, maxLength: 4 }), 3000, 6).map(
      (a) => `#\\${a.join('')}`,
    );
    const { bothRead } = compare([...strings, ...chars].map((t) => ({ label: 'escape', text: t })));
    assert.ok(bothRead > 1000, `only ${bothRead} read by both`);
  });
});
