import assert from 'node:assert/strict';
import { test } from 'node:test';

import { isRecipeError } from '../../shared/errors.js';
import { entryTransformations } from '../../shared/guix/entry-transformations.js';
import { readDatum } from '../../shared/guix/sexp/reader.js';
import type { Datum } from '../../shared/guix/sexp/datum.js';

const of = (value: string): ReturnType<typeof entryTransformations> =>
  entryTransformations({ name: 'a', properties: readDatum(`((transformations . ${value}))`) as Datum[] });

void test('none, options, or any other datum as Guile writes it', () => {
  assert.deepEqual(entryTransformations({ name: 'a', properties: [] }), { kind: 'none' });
  assert.deepEqual(of('#f'), { kind: 'none' });
  assert.deepEqual(of('()'), { kind: 'options', options: [] });
  assert.deepEqual(of('((tune . "x") (with-input . "a=b"))'), {
    kind: 'options',
    options: [
      { option: 'tune', value: 'x' },
      { option: 'with-input', value: 'a=b' },
    ],
  });
  assert.deepEqual(of('"with-input=a=b"'), { kind: 'sexp', sexp: '"with-input=a=b"' });
  assert.deepEqual(of('((tune))'), { kind: 'sexp', sexp: '((tune))' });
  assert.deepEqual(of('((tune . "x") . "y")'), { kind: 'sexp', sexp: '((tune . "x") . "y")' });
  assert.deepEqual(of('(("tune" . "x"))'), { kind: 'sexp', sexp: '(("tune" . "x"))' });
});

void test('numbers inside, however deep, are written as Guile writes their values', () => {
  assert.deepEqual(of('((tune . #x10))'), { kind: 'sexp', sexp: '((tune . 16))' });
  assert.deepEqual(of('(#{a b}# "x" #:kw #vu8(1 2) 1.5e3 -0.0 #e1.5 #(2/4))'), {
    kind: 'sexp',
    sexp: '(#{a b}# "x" #:kw #vu8(1 2) 1500.0 -0.0 3/2 #(1/2))',
  });
  const deep = `${'('.repeat(900)}#x1${')'.repeat(900)}`;
  assert.deepEqual(of(deep), { kind: 'sexp', sexp: `${'('.repeat(900)}1${')'.repeat(900)}` });
});

void test('refused: a complex number, and a symbol Guile writes ambiguously', () => {
  for (const [value, words] of [
    ['1+2i', /holds a number we cannot print as Guile does: 1\+2i/],
    ['(x . 1@2)', /cannot print as Guile does: 1@2/],
    // Guile writes the symbol `#a\b` as #{#a\b}#, which reads back as another symbol.
    ['#{#a\\x5c;b}#', /cannot be printed back as Guile does/],
  ] as const)
    assert.throws(
      () => of(value),
      (e: unknown) => isRecipeError(e, 'invalid-manifest') && words.test(e.message),
      value,
    );
});
