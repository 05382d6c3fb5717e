import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

import { exportManifest } from '../../shared/guix/export-manifest.js';
import { packageNameToNameVersion } from '../../shared/guix/package-name.js';
import { Char, sym } from '../../shared/guix/sexp/datum.js';
import type { Datum } from '../../shared/guix/sexp/datum.js';
import { prettyPrint } from '../../shared/guix/sexp/pretty-print.js';
import {
  GENERAL_CATEGORIES,
  generalCategory,
  isAssigned,
  UNICODE_VERSION,
} from '../../shared/guix/sexp/unicode-14.js';
import { writeDatum, writeString, writeSymbol } from '../../shared/guix/sexp/writer.js';
import { generateCategoryRuns, generatedSection, TARGET } from '../../tools/generate-unicode-categories.js';
import { runGuile, splitCases } from './printer-guile-runner.js';

/** Guile's own category runs: `START CATEGORY` lines (hex), surrogates skipped. */
function guileCategoryRuns(): [number, string][] {
  const out = runGuile(`(let loop ((cp 0) (prev #f))
  (when (<= cp #x10ffff)
    (if (and (>= cp #xd800) (<= cp #xdfff))
        (loop (+ cp 1) prev)
        (let ((c (char-general-category (integer->char cp))))
          (unless (eq? c prev) (display (number->string cp 16)) (display " ") (display c) (newline))
          (loop (+ cp 1) c)))))`);
  return out
    .trim()
    .split('\n')
    .map((l) => {
      const [start, cat] = l.split(' ');
      return [parseInt(start!, 16), cat!];
    });
}

// U+1FAE8 SHAKING FACE, assigned in Unicode 15.0: a symbol (So) for Node, unassigned for Unicode 14.0.
const SHAKING_FACE = '\u{1FAE8}';

void describe('the Unicode 14.0 table (what libunistring 1.0 tells Guile 3.0.8)', () => {
  void it('is exactly what the generator derives from the Unicode 14.0.0 data package', async () => {
    const text = readFileSync(TARGET, 'utf8');
    const { start, end } = generatedSection(text);
    assert.equal(text.slice(start, end), await generateCategoryRuns());
    assert.equal(UNICODE_VERSION, '14.0.0');
  });

  void it("agrees with the real Guile's char-general-category on every code point", () => {
    const runs = guileCategoryRuns();
    // Which Unicode the local libunistring knows: 1.0 (Unicode 14.0) leaves U+1FAE8 unassigned.
    const shaking = runs.findLast(([s]) => s <= 0x1fae8)![1];
    let compared = 0;
    const disagree: number[] = [];
    runs.forEach(([start, cat], i) => {
      const end = i + 1 < runs.length ? runs[i + 1]![0] : 0x110000;
      for (let cp = start; cp < end; cp++) {
        if (cp >= 0xd800 && cp <= 0xdfff) continue;
        compared++;
        if (generalCategory(cp) !== cat) disagree.push(cp);
      }
    });
    assert.equal(compared, 0x110000 - 0x800, 'every code point but the surrogates');
    if (shaking === 'Cn') {
      assert.deepEqual(disagree.slice(0, 20), [], 'this Guile links libunistring 1.0: no difference at all');
    } else {
      // Another libunistring (newer Unicode): it may only differ where Unicode 14.0 assigned nothing.
      assert.deepEqual(
        disagree.filter((cp) => isAssigned(cp)).slice(0, 20),
        [],
        'characters assigned in 14.0 keep their category',
      );
    }
  });

  void it("gives Guile's char-set:digit exactly: the Nd category (package-name->name+version)", () => {
    const digits = runGuile(
      '(for-each (lambda (c) (display (char->integer c)) (newline)) (char-set->list char-set:digit))',
    )
      .trim()
      .split('\n')
      .map(Number);
    const nd: number[] = [];
    for (let cp = 0; cp <= 0x10ffff; cp++) if (generalCategory(cp) === 'Nd') nd.push(cp);
    assert.deepEqual(digits, nd);
    assert.deepEqual(packageNameToNameVersion('foo-\u{1E4F0}2'), { name: 'foo-\u{1E4F0}2', version: null });
    assert.deepEqual(packageNameToNameVersion('foo-\u0966'), { name: 'foo', version: '\u0966' });
  });

  void it('answers every category and the edges of the code space', () => {
    const seen = new Set<string>();
    for (let cp = 0; cp <= 0x10ffff; cp += 1) seen.add(generalCategory(cp));
    assert.deepEqual([...seen].sort(), [...GENERAL_CATEGORIES].sort());
    assert.equal(generalCategory(0), 'Cc');
    assert.equal(generalCategory(0x41), 'Lu');
    assert.equal(generalCategory(0x2029), 'Zp');
    assert.equal(generalCategory(0xd800), 'Cs');
    assert.equal(generalCategory(0x10ffff), 'Cn');
    assert.equal(generalCategory(0x10fffd), 'Co');
    assert.equal(generalCategory(-1), 'Cn');
    assert.equal(generalCategory(0x110000), 'Cn');
  });
});

void describe('printing by Unicode 14.0, not by Node', () => {
  void it('escapes a character assigned after Unicode 14.0, which Node calls graphic', () => {
    assert.ok(/\p{So}/u.test(SHAKING_FACE), "Node's own tables are newer");
    assert.equal(generalCategory(0x1fae8), 'Cn');
    assert.equal(writeString(`a${SHAKING_FACE}b`), '"a\\U01fae8b"');
    assert.equal(writeDatum(new Char(SHAKING_FACE)), '#\\375350');
    assert.equal(writeSymbol(`a${SHAKING_FACE}`), `#{a\\x1fae8;}#`);
    // Assigned in 14.0 (U+1FAE0 MELTING FACE): raw.
    assert.equal(writeString('\u{1FAE0}'), '"\u{1FAE0}"');
    // The real Guile (libunistring 1.0 here) agrees.
    const guile = splitCases(
      runGuile(
        `(write (string #\\a (integer->char #x1fae8) #\\b)) (mark) (write (integer->char #x1fae8)) (mark)
         (write (string->symbol (string #\\a (integer->char #x1fae8)))) (mark) (write (string (integer->char #x1fae0))) (mark)`,
      ),
    );
    assert.deepEqual(guile, ['"a\\U01fae8b"', '#\\375350', `#{a\\x1fae8;}#`, '"\u{1FAE0}"']);
  });

  void it('moves line breaks: the escaped form is longer', () => {
    // `(list "a" "ppp…X")` fits on one line when X is printed raw, not when it is escaped (`\U01fae8`).
    const name = (last: string): string => 'p'.repeat(32) + last;
    const form = (last: string): Datum => [sym('specifications->manifest'), [sym('list'), 'a', name(last)]];
    const melting = prettyPrint(form('\u{1FAE0}'), { printer: 'classic' });
    const shaking = prettyPrint(form(SHAKING_FACE), { printer: 'classic' });
    assert.equal(melting.split('\n').length, 3, '`(list ...)` on one line');
    assert.equal(shaking.split('\n').length, 4, '`(list ...)` broken');
    const guile = splitCases(
      runGuile(
        ['#x1fae0', '#x1fae8']
          .map(
            (cp) =>
              `(pretty-print (list 'specifications->manifest (list 'list "a" (string-append (make-string 32 #\\p) (string (integer->char ${cp})))))) (mark)`,
          )
          .join('\n'),
      ),
    );
    assert.deepEqual(guile, [melting, shaking]);
    const text = exportManifest(
      [
        { name: 'a', version: '1', output: 'out', transformations: [] },
        { name: name(SHAKING_FACE), version: '1', output: 'out', transformations: [] },
      ],
      { style: 'guix' },
    );
    assert.ok(text.endsWith(shaking));
  });
});
