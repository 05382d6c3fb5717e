import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readManifest } from '../../shared/guix/manifest.js';
import type { ManifestEntry } from '../../shared/guix/manifest.js';
import { packageNameToNameVersion, storePathPackageName } from '../../shared/guix/package-name.js';
import { isRecipeError } from '../../shared/errors.js';
import { isSym } from '../../shared/guix/sexp/datum.js';

const H = (c: string) => `/gnu/store/${c.repeat(32)}`;

function entry(name: string, version: string, hashChar: string, ...fields: string[]): string {
  return `("${name}" "${version}" "out" "${H(hashChar)}-${name}-${version}" ${fields.join(' ')})`;
}

function v4(...entries: string[]): string {
  return `(manifest (version 4) (packages (${entries.join(' ')})))`;
}

function throwsCode(fn: () => unknown, code: string, message?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isRecipeError(err), `expected a RecipeError, got ${String(err)}`);
    assert.equal(err.code, code);
    if (message) assert.match(err.message, message);
    return true;
  });
}

void test('v4: fields optional, defaults empty', () => {
  const m = readManifest(v4(entry('hello', '2.12.1', 'a')));
  assert.equal(m.version, 4);
  assert.deepEqual(m.minorVersion, []);
  assert.equal(m.entries.length, 1);
  const e = m.entries[0]!;
  assert.deepEqual(
    { name: e.name, version: e.version, output: e.output, item: e.item },
    { name: 'hello', version: '2.12.1', output: 'out', item: `${H('a')}-hello-2.12.1` },
  );
  assert.deepEqual(e.propagatedInputs, []);
  assert.deepEqual(e.searchPaths, []);
  assert.deepEqual(e.properties, []);
});

void test('v4: optional fields in any order, unknown fields ignored, first occurrence wins', () => {
  const text = v4(
    entry(
      'python',
      '3.11.11',
      'b',
      '(properties ((foo . "bar")))',
      '(frobnicate 1 2 3)',
      '(search-paths (("GUIX_PYTHONPATH" ("lib/python3.11/site-packages") ":" directory #f) ("SSL_CERT_FILE" ("etc/ssl/certs/ca-certificates.crt") #f regular "^x$")))',
      `(propagated-inputs (${entry('zlib', '1.3', 'c')}))`,
      '(properties ((ignored . "second")))',
    ),
  );
  const e = readManifest(text).entries[0]!;
  assert.equal(e.propagatedInputs.length, 1);
  assert.equal(e.propagatedInputs[0]!.name, 'zlib');
  assert.deepEqual(e.searchPaths, [
    {
      variable: 'GUIX_PYTHONPATH',
      files: ['lib/python3.11/site-packages'],
      separator: ':',
      fileType: 'directory',
      filePattern: null,
    },
    {
      variable: 'SSL_CERT_FILE',
      files: ['etc/ssl/certs/ca-certificates.crt'],
      separator: null,
      fileType: 'regular',
      filePattern: '^x$',
    },
  ]);
  assert.equal(e.properties.length, 1);
});

void test('v4: minor version numbers are accepted and kept', () => {
  const m = readManifest(`(manifest (version 4 1 7) (packages (${entry('a', '1', 'd')})))`);
  assert.equal(m.version, 4);
  assert.deepEqual(
    m.minorVersion.map((d) => (d as { text: string }).text),
    ['1', '7'],
  );
  assert.equal(m.entries.length, 1);
});

void test('v4: nested repeated resolves to the same entry, with its inputs and properties', () => {
  const six = entry('six', '1.16', 'e', '(properties ((x . "y")))');
  const text = v4(
    entry(
      'pandas',
      '2.2',
      'f',
      `(propagated-inputs (${entry('dateutil', '2.8', 'g', `(propagated-inputs (${six}))`)} (repeated "six" "1.16" "${H('e')}-six-1.16")))`,
    ),
  );
  const pandas = readManifest(text).entries[0]!;
  const dateutil = pandas.propagatedInputs[0]!;
  const six1 = dateutil.propagatedInputs[0]!;
  const six2 = pandas.propagatedInputs[1]!;
  assert.equal(six2, six1, 'repeated gives the very entry registered earlier');
  assert.equal(six2.properties.length, 1);
});

void test('v4: top-level repeated resolves to the propagated copy (its own properties are lost)', () => {
  const text = readFileSync('test/fixtures/guix-vectors/example3.profile-manifest', 'utf8');
  const m = readManifest(text);
  assert.deepEqual(
    m.entries.map((e) => `${e.name}:${e.output}`),
    ['glib:bin', 'python-pandas:out', 'python-numpy:out'],
  );
  const numpy = m.entries[2]!;
  assert.equal(numpy, m.entries[1]!.propagatedInputs[0]);
  assert.deepEqual(numpy.properties, []);
});

void test('v4: an entry is registered only after its inputs (a repeated reference to an ancestor fails)', () => {
  const text = v4(entry('a', '1', 'h', `(propagated-inputs ((repeated "a" "1" "${H('h')}-a-1")))`));
  throwsCode(() => readManifest(text), 'invalid-manifest', /invalid repeated entry in profile/);
});

void test('v4: unknown repeated reference is an error', () => {
  throwsCode(
    () => readManifest(v4(`(repeated "x" "1" "${H('i')}-x-1")`)),
    'invalid-manifest',
    /invalid repeated entry in profile/,
  );
});

void test('v4: repeated must match name, version and item', () => {
  const text = v4(entry('a', '1', 'j'), `(repeated "a" "2" "${H('j')}-a-1")`);
  throwsCode(() => readManifest(text), 'invalid-manifest', /invalid repeated entry/);
});

void test('v3: positional fields, spliced properties, full nested entries', () => {
  const m = readManifest(readFileSync('test/fixtures/guix-images/v3/profile-manifest', 'utf8'));
  assert.equal(m.version, 3);
  assert.deepEqual(
    m.entries.map((e) => e.name),
    ['python', 'python-numpy'],
  );
  const python = m.entries[0]!;
  assert.equal(python.properties.length, 1);
  const prov = python.properties[0] as readonly unknown[];
  assert.ok(isSym(prov[0] as never, 'provenance'));
  const numpy = m.entries[1]!;
  assert.equal(numpy.propagatedInputs[0]!.name, 'python-wrapper');
  assert.deepEqual(numpy.propagatedInputs[0]!.properties, []);
});

void test('v3: the guix pull profile with a source property', () => {
  const m = readManifest(readFileSync('test/fixtures/guix-vectors/v3-guix-pull.profile-manifest', 'utf8'));
  assert.equal(m.entries[0]!.name, 'guix');
  assert.ok(isSym((m.entries[0]!.properties[0] as readonly never[])[0], 'source'));
});

void test('v3: fields out of position are refused', () => {
  const text = `(manifest (version 3) (packages (("a" "1" "out" "${H('k')}-a-1" (search-paths ()) (propagated-inputs ())))))`;
  throwsCode(() => readManifest(text), 'invalid-manifest', /propagated-inputs/);
});

void test('v2: bare-path dependencies get name and version from the store file name', () => {
  const text = `(manifest (version 2) (packages (("python-numpy" "1.9.1" "out" "${H('l')}-python-numpy-1.9.1"
     (propagated-inputs ("${H('m')}-python-2.7.9" "${H('n')}-tzdata" "${H('p')}-font-x11-misc-7.5"))
     (search-paths ())
     (properties (provenance))))))`;
  const m = readManifest(text);
  assert.equal(m.version, 2);
  const e = m.entries[0]!;
  assert.deepEqual(e.properties, [], 'v2 properties are ignored');
  assert.deepEqual(
    e.propagatedInputs.map((d) => [d.name, d.version, d.output, d.item]),
    [
      ['python', '2.7.9', 'out', `${H('m')}-python-2.7.9`],
      ['tzdata', '', 'out', `${H('n')}-tzdata`],
      ['font-x11-misc', '7.5', 'out', `${H('p')}-font-x11-misc-7.5`],
    ],
  );
});

void test('v2: a dependency that is not a store path is refused', () => {
  const text = `(manifest (version 2) (packages (("a" "1" "out" "${H('q')}-a-1" (propagated-inputs ("not-a-path")) (search-paths ())))))`;
  throwsCode(() => readManifest(text), 'invalid-manifest', /store path/);
});

void test('package-name->name+version rules', () => {
  assert.deepEqual(packageNameToNameVersion('foo-0.9.1b'), { name: 'foo', version: '0.9.1b' });
  assert.deepEqual(packageNameToNameVersion('python2-foo-bar-1.0'), {
    name: 'python2-foo-bar',
    version: '1.0',
  });
  assert.deepEqual(packageNameToNameVersion('nodash'), { name: 'nodash', version: null });
  assert.deepEqual(
    packageNameToNameVersion('x-٣'),
    { name: 'x', version: '٣' },
    'any Unicode digit, as char-set:digit',
  );
  assert.equal(storePathPackageName(`${H('r')}-glib-2.78.0-bin`), 'glib-2.78.0-bin');
  assert.equal(storePathPackageName('/gnu/store/short-glib'), undefined);
});

void test('unsupported versions name the version', () => {
  for (const v of ['0', '1', '5', '99']) {
    throwsCode(
      () => readManifest(`(manifest (version ${v}) (packages ()))`),
      'unsupported-manifest-version',
      new RegExp(`^unsupported manifest format version ${v}$`),
    );
  }
  throwsCode(() => readManifest('(manifest (version "4") (packages ()))'), 'unsupported-manifest-version');
});

void test('wrong shapes are invalid-manifest with a clear message', () => {
  const cases = [
    '42',
    '(not-a-manifest)',
    '(manifest)',
    '(manifest (version 4))',
    '(manifest (version 4) (packages ()) (extra))',
    '(manifest (version 4) (packages . x))',
    '(manifest (version 4) (packages "x"))',
    '(manifest (version 4) (packages (42)))',
    '(manifest (version 4) (packages (("a" "1" "out"))))',
    `(manifest (version 4) (packages (("a" "1" "out" "/p" (propagated-inputs)))))`,
    `(manifest (version 4) (packages (("a" "1" "out" "/p" (propagated-inputs . "x")))))`,
    `(manifest (version 4) (packages (("a" "1" "out" "/p" (search-paths (("V" ("f") ":" "directory" #f)))))))`,
    `(manifest (version 4) (packages (("a" "1" "out" "/p" (propagated-inputs ((repeated "a")))))))`,
  ];
  for (const c of cases) throwsCode(() => readManifest(c), 'invalid-manifest');
});

void test('properties that are not a list read as none, as Guix reads them (it exports such a profile)', () => {
  const plain = readManifest(`(manifest (version 4) (packages (("a" "1" "out" "/p" (properties "x")))))`);
  assert.deepEqual(plain.entries[0]!.properties, []);
  const v3 = readManifest(
    `(manifest (version 3) (packages (("a" "1" "out" "/p" (propagated-inputs ()) (search-paths ()) (properties . 5)))))`,
  );
  assert.deepEqual(v3.entries[0]!.properties, []);
  // An improper alist keeps its proper part.
  const dotted = readManifest(
    `(manifest (version 4) (packages (("a" "1" "out" "/p" (properties ((transformations (without-tests . "a")) . 7))))))`,
  );
  assert.equal(dotted.entries[0]!.properties.length, 1);
});

void test('deep propagated-inputs nesting is decoded without recursion', () => {
  // 300 nested levels: 3 datum levels each, within the reader's depth bound.
  let inner = entry('leaf', '1', 's');
  for (let i = 0; i < 300; i++)
    inner = `("p${i}" "1" "out" "/gnu/store/x-p${i}" (propagated-inputs (${inner})))`;
  const m = readManifest(v4(inner), { maxDepth: 2000 });
  let e: ManifestEntry | undefined = m.entries[0];
  let depth = 0;
  while (e && e.propagatedInputs.length > 0) {
    e = e.propagatedInputs[0];
    depth++;
  }
  assert.equal(depth, 300);
  assert.equal(e?.name, 'leaf');
});

void test('header comments are skipped; the fixture manifests all decode', () => {
  for (const dir of ['seed-python-numpy', 'propagated', 'multi-output', 'transformations']) {
    const m = readManifest(readFileSync(`test/fixtures/guix-images/${dir}/profile-manifest`, 'utf8'));
    assert.ok(m.entries.length > 0, dir);
  }
});
