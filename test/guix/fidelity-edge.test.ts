/**
 * Fidelity edge cases: hand-made profile manifests whose exports the fixtures do not cover, each with the
 * exact text `guix package --export-channels` / `--export-manifest` prints, derived from Guix's own code
 * (guix/scripts/package.scm export-channels and export-manifest, guix/profiles.scm manifest->code and
 * sexp->manifest, guix/channels.scm sexp->channel and channel->code, guix/describe.scm
 * manifest-entry-provenance, guix/build/utils.scm package-name->name+version). Each case says how.
 * Layout: the classic printer (Guile <= 3.0.9); the layouts were checked against Guile 3.0.8's own
 * pretty-print of the same data.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildRecipe, renderChannels, renderManifest } from '../../shared/guix/build-recipe.js';
import type { ProfileRecipe as Recipe } from '../../shared/guix/recipe.js';
import { MANIFEST_HEADER } from '../../shared/guix/export-manifest.js';
import { CHANNELS_HEADER } from '../../shared/guix/export-channels.js';
import { exactInteger } from '../../shared/guix/exact-integer.js';
import { readDatum } from '../../shared/guix/sexp/reader.js';
import { isRecipeError } from '../../shared/errors.js';

const G1 = '1111111111111111111111111111111111111111';
const G2 = '2222222222222222222222222222222222222222';
const G3 = '3333333333333333333333333333333333333333';
const N1 = '4444444444444444444444444444444444444444';
const N2 = '5555555555555555555555555555555555555555';
const X1 = '6666666666666666666666666666666666666666';
const Y1 = '7777777777777777777777777777777777777777';
const Z1 = '8888888888888888888888888888888888888888';
const W1 = '9999999999999999999999999999999999999999';
const GUIX_URL = 'https://git.guix.gnu.org/guix.git';
const GUIX_FPR = 'BBB0 2DDF 2CEA F6A8 0D1D  E643 A2A0 6DF2 A33A 54FA';
const GUIX_INTRO = `(introduction (channel-introduction (version 0) (commit "9edb3f66fd807b096b48283debdcddccfea34bad") (signer "${GUIX_FPR}")))`;
const NOTE =
  '     ;; Note: these other commits were also used to install some of the packages in this profile:\n';

/** A provenance `repository` sexp as channel-instance->sexp writes it; `rest` is spliced after commit. */
function repo(url: string, commit: string, rest = '', branch = '"master"'): string {
  return `(repository (version 0) (url ${JSON.stringify(url)}) (branch ${branch}) (commit "${commit}") ${rest})`;
}

/** A v4 entry; the store item's hash is fake (v4 never parses it). */
function entry(name: string, version: string, output: string, ...fields: string[]): string {
  return `("${name}" "${version}" "${output}" "/gnu/store/${'0'.repeat(32)}-${name}-${version}${output === 'out' ? '' : `-${output}`}" ${fields.join(' ')})`;
}

function props(...alist: string[]): string {
  return `(properties (${alist.join(' ')}))`;
}

function prov(...repos: string[]): string {
  return `(provenance ${repos.join(' ')})`;
}

function v4(...entries: string[]): string {
  return `(manifest (version 4) (packages (${entries.join(' ')})))`;
}

function recipe(text: string): Recipe {
  // Through JSON, as the API stores it: the texts must re-render from the document alone.
  return JSON.parse(JSON.stringify(buildRecipe(text, { profile: null }))) as Recipe;
}

function channelsText(...blocks: string[]): string {
  return `${CHANNELS_HEADER}(list\n${blocks.join('')})\n`;
}

function manifestText(...forms: string[]): string {
  return MANIFEST_HEADER + forms.map((f) => `\n${f}\n`).join('');
}

function assertNoProvenance(r: Recipe): void {
  assert.equal(r.channels.length, 0);
  assert.equal(r.texts.channels, undefined);
  assert.throws(
    () => renderChannels(r),
    (e: unknown) => isRecipeError(e, 'no-provenance') && /no provenance information/.test(e.message),
  );
}

// --- channel->code -------------------------------------------------------------------------------

void test('channel->code: branch #f is printed, no introduction, extended symbol name, escaped URL', () => {
  // channel->code always emits `(branch ,(channel-branch channel))`, so #f prints as (branch #f); the
  // introduction is spliced in only when there is one. The name is `(name ',name)`: pretty-print
  // abbreviates the quote and writes a symbol with a space as #{...}#. The URL is a string written with
  // `write`: `"` and `\` are escaped. The 50-character rule breaks (commit "<40 hex>").
  const r = recipe(
    v4(
      entry(
        'hello',
        '2.12.1',
        'out',
        props(prov(repo('https://example.org/a"b\\c.git', G1, '(name #{my guix}#)', '#f'))),
      ),
    ),
  );
  assert.equal(
    r.texts.channels,
    channelsText(
      '     (channel\n' +
        "       (name '#{my guix}#)\n" +
        '       (url "https://example.org/a\\"b\\\\c.git")\n' +
        '       (branch #f)\n' +
        '       (commit\n' +
        `         "${G1}"))\n`,
    ),
  );
});

void test('channel->code: the signer is regrouped whatever its spacing and case', () => {
  // sexp->channel-introduction runs the signer through openpgp-fingerprint (keep the hex digits,
  // downcase, base16-decode) and channel->code prints it with openpgp-format-fingerprint: 10 upper-case
  // groups of 4, two spaces in the middle. The introduction commit is printed as recorded.
  const signer = 'bbb02ddf2CEAf6a8 0d1d-e643:a2a0\t6df2a33a54fa';
  const intro = `(introduction (channel-introduction (version 0) (commit "9edb3f66fd807b096b48283debdcddccfea34bad") (signer "${signer}") (future-field 1)))`;
  const r = recipe(
    v4(entry('hello', '2.12.1', 'out', props(prov(repo(GUIX_URL, G1, `(name guix) ${intro}`))))),
  );
  assert.equal(
    r.texts.channels,
    channelsText(
      '     (channel\n' +
        "       (name 'guix)\n" +
        `       (url "${GUIX_URL}")\n` +
        '       (branch "master")\n' +
        '       (commit\n' +
        `         "${G1}")\n` +
        '       (introduction\n' +
        '         (make-channel-introduction\n' +
        '           "9edb3f66fd807b096b48283debdcddccfea34bad"\n' +
        '           (openpgp-fingerprint\n' +
        `             "${GUIX_FPR}"))))\n`,
    ),
  );
});

void test('version fields match any spelling of the exact integer (match compares with equal?)', () => {
  // `('version 0)` and `('version 4 minor ...)` are literals in match patterns, compared with equal?:
  // Guile reads #x0, #e0.0 and 8/2 as exact integers, so they match; 0.0 is inexact and does not.
  for (const [text, value] of [
    ['0', 0n],
    ['-0', 0n],
    ['#x0', 0n],
    ['#e0.0', 0n],
    ['#e4e0', 4n],
    ['#e40e-1', 4n],
    ['8/2', 4n],
    ['#b100', 4n],
    ['#x#e4', 4n],
    ['#e#x4', 4n],
    ['04', 4n],
  ] as const) {
    assert.equal(exactInteger(readDatum(text)), value, text);
  }
  for (const text of ['0.0', '0.', '#i0', '4.0', '1/2', '#e4.5', '"4"', 'four']) {
    assert.equal(exactInteger(readDatum(text)), undefined, text);
  }
  const spelled = (manifestVersion: string, repoVersion: string): Recipe =>
    recipe(
      `(manifest (version ${manifestVersion}) (packages (${entry(
        'hello',
        '2.12.1',
        'out',
        props(prov(repo(GUIX_URL, G1, '(name guix)').replace('(version 0)', `(version ${repoVersion})`))),
      )})))`,
    );
  assert.equal(spelled('#x4', '#x0').manifestVersion, 4);
  assert.equal(spelled('8/2 1', '#e0.0').channels[0]?.commit, G1);
  // 0.0 is not equal? to 0: the repository does not parse, the entry has no provenance.
  assertNoProvenance(spelled('4', '0.0'));
});

// --- export-channels -----------------------------------------------------------------------------

void test('export-channels: several channels with several commits each, first seen exported, Note per group', () => {
  // channels = delete-duplicates(append-map manifest-entry-provenance entries, channel=?):
  //   G1 guix, N1 nonguix, G2 guix, N2 nonguix, G3 guix (d's G1 and e's G2/N1 already seen).
  // channel-names in first-appearance order: guix, nonguix. vhash-foldq* with cons gives each name's
  // channels oldest first: the first is printed, the others are the Note lines (written with ~s).
  const nonguix = (c: string) => repo('https://gitlab.com/nonguix/nonguix', c, '(name nonguix)');
  const guix = (c: string) => repo(GUIX_URL, c, '(name guix)');
  const r = recipe(
    v4(
      entry('a', '1', 'out', props(prov(guix(G1), nonguix(N1)))),
      entry('b', '1', 'out', props(prov(guix(G2), nonguix(N2)))),
      entry('c', '1', 'out', props(prov(guix(G3)))),
      entry('d', '1', 'out', props(prov(guix(G1)))),
      entry('e', '1', 'out', props(prov(guix(G2), nonguix(N1)))),
    ),
  );
  assert.equal(
    r.texts.channels,
    channelsText(
      NOTE +
        `     ;;   "${G2}"\n` +
        `     ;;   "${G3}"\n` +
        '     (channel\n' +
        "       (name 'guix)\n" +
        `       (url "${GUIX_URL}")\n` +
        '       (branch "master")\n' +
        '       (commit\n' +
        `         "${G1}"))\n`,
      NOTE +
        `     ;;   "${N2}"\n` +
        '     (channel\n' +
        "       (name 'nonguix)\n" +
        '       (url "https://gitlab.com/nonguix/nonguix")\n' +
        '       (branch "master")\n' +
        '       (commit\n' +
        `         "${N1}"))\n`,
    ),
  );
  assert.deepEqual(
    r.channels.map((c) => [c.name, c.commits]),
    [
      ['guix', [G1, G2, G3]],
      ['nonguix', [N1, N2]],
    ],
  );
});

void test('export-channels: channel=? compares commits only, so a commit seen under another name is dropped', () => {
  // channel=? is (string=? commit-a commit-b): the `other` and `third` channels recorded at G1 are
  // duplicates of the guix channel at G1 and vanish entirely (no group, no Note). The later guix at G1
  // with another URL is dropped as well: the first URL stays.
  const r = recipe(
    v4(
      entry('a', '1', 'out', props(prov(repo(GUIX_URL, G1, '(name guix)')))),
      entry(
        'b',
        '1',
        'out',
        props(
          prov(
            repo('https://example.org/other.git', G1, '(name other)'),
            repo('https://example.org/third.git', G1, '(name third)'),
          ),
        ),
      ),
      entry('c', '1', 'out', props(prov(repo('https://example.org/mirror/guix.git', G1, '(name guix)')))),
    ),
  );
  assert.equal(
    r.texts.channels,
    channelsText(
      '     (channel\n' +
        "       (name 'guix)\n" +
        `       (url "${GUIX_URL}")\n` +
        '       (branch "master")\n' +
        '       (commit\n' +
        `         "${G1}"))\n`,
    ),
  );
  assert.deepEqual(r.packagesWithoutProvenance, []);
});

void test('export-channels: an unparseable main drops the whole entry, even with a good extra', () => {
  // manifest-entry-provenance: (match (sexp->channel main 'guix) (#f '()) ...): extras are only looked
  // at when main parses. sexp->channel is positional: url before branch before commit.
  const badMain = `(repository (version 0) (branch "master") (url "${GUIX_URL}") (commit "${G2}"))`;
  const r = recipe(
    v4(
      entry(
        'a',
        '1',
        'out',
        props(prov(badMain, repo('https://gitlab.com/nonguix/nonguix', N1, '(name nonguix)'))),
      ),
      entry('b', '1', 'out', props(prov(repo(GUIX_URL, G1)))),
    ),
  );
  assert.equal(
    r.texts.channels,
    channelsText(
      '     (channel\n' +
        "       (name 'guix)\n" +
        `       (url "${GUIX_URL}")\n` +
        '       (branch "master")\n' +
        '       (commit\n' +
        `         "${G1}"))\n`,
    ),
  );
  assert.deepEqual(r.packagesWithoutProvenance, ['a@1']);
});

void test('export-channels: fallback names restart at channel1 in every entry and merge across entries', () => {
  // The counter is local to each manifest-entry-provenance call and only moves when an extra parses.
  // a: X -> channel1, Y -> channel2; b: Z -> channel1; c: garbage skipped, W -> channel1. Grouping is
  // by name, so Z and W become Note lines of channel1, which is printed with X's URL and commit.
  const unnamedGuix = (c: string) => repo(GUIX_URL, c); // main without name: fallback 'guix
  const r = recipe(
    v4(
      entry(
        'a',
        '1',
        'out',
        props(
          prov(unnamedGuix(G1), repo('https://example.org/x.git', X1), repo('https://example.org/y.git', Y1)),
        ),
      ),
      entry('b', '1', 'out', props(prov(unnamedGuix(G1), repo('https://example.org/z.git', Z1)))),
      entry(
        'c',
        '1',
        'out',
        props(
          prov(unnamedGuix(G1), '(repository garbage)', repo('https://example.org/w.git', W1, '', '"main"')),
        ),
      ),
    ),
  );
  assert.equal(
    r.texts.channels,
    channelsText(
      '     (channel\n' +
        "       (name 'guix)\n" +
        `       (url "${GUIX_URL}")\n` +
        '       (branch "master")\n' +
        '       (commit\n' +
        `         "${G1}"))\n`,
      NOTE +
        `     ;;   "${Z1}"\n` +
        `     ;;   "${W1}"\n` +
        '     (channel\n' +
        "       (name 'channel1)\n" +
        '       (url "https://example.org/x.git")\n' +
        '       (branch "master")\n' +
        '       (commit\n' +
        `         "${X1}"))\n`,
      '     (channel\n' +
        "       (name 'channel2)\n" +
        '       (url "https://example.org/y.git")\n' +
        '       (branch "master")\n' +
        '       (commit\n' +
        `         "${Y1}"))\n`,
    ),
  );
});

void test('export-channels: an extra named guix joins the guix group as a Note', () => {
  // Grouping is by name only (vhash-consq on channel-name): a fork recorded as (name guix) in the
  // extras is another commit of `guix`; its URL is lost.
  const r = recipe(
    v4(
      entry(
        'a',
        '1',
        'out',
        props(
          prov(
            repo(GUIX_URL, G1, `(name guix) ${GUIX_INTRO}`),
            repo('https://example.org/guix-fork.git', G2, '(name guix)'),
          ),
        ),
      ),
    ),
  );
  assert.equal(
    r.texts.channels,
    channelsText(
      NOTE +
        `     ;;   "${G2}"\n` +
        '     (channel\n' +
        "       (name 'guix)\n" +
        `       (url "${GUIX_URL}")\n` +
        '       (branch "master")\n' +
        '       (commit\n' +
        `         "${G1}")\n` +
        '       (introduction\n' +
        '         (make-channel-introduction\n' +
        '           "9edb3f66fd807b096b48283debdcddccfea34bad"\n' +
        '           (openpgp-fingerprint\n' +
        `             "${GUIX_FPR}"))))\n`,
    ),
  );
});

// --- export-manifest -----------------------------------------------------------------------------

void test('export-manifest: distinct transformation lists, shared lists, duplicates, non-out outputs', () => {
  // manifest->code numbers each new options list (compared with equal?) transform1, transform2, ... in
  // entry order; the list is built with alist-cons, so the defines come out transform3 first. Entries
  // with the same list share its procedure; the duplicate entry a is exported twice. For an output other
  // than "out", only (specification->package ...) is wrapped: (list (transformN ...) "output").
  const T1 = '(transformations (without-tests . "a"))';
  const T2 = '(transformations (with-debug-info . "b") (tune . "x86-64-v3"))';
  const T3 = '(transformations (with-input . "x=y"))';
  const text = v4(
    entry('a', '1.0', 'out', props(T1)),
    entry('b', '2.0', 'lib', props(T2)),
    entry('c', '3.0', 'out'),
    entry('a', '1.0', 'out', props(T1)),
    entry('d', '4.0', 'doc', props(T3)),
    entry('e', '5.0', 'out', props(T1)),
  );
  const defines = [
    '(use-modules (guix transformations))',
    '(define transform3\n  (options->transformation \'((with-input . "x=y"))))',
    '(define transform2\n  (options->transformation\n    \'((with-debug-info . "b") (tune . "x86-64-v3"))))',
    '(define transform1\n  (options->transformation\n    \'((without-tests . "a"))))',
  ];
  const r = recipe(text);
  assert.equal(
    renderManifest(r, { style: 'guix' }),
    manifestText(
      ...defines,
      '(packages->manifest\n' +
        '  (list (transform1 (specification->package "a"))\n' +
        '        (list (transform2 (specification->package "b"))\n' +
        '              "lib")\n' +
        '        (specification->package "c")\n' +
        '        (transform1 (specification->package "a"))\n' +
        '        (list (transform3 (specification->package "d"))\n' +
        '              "doc")\n' +
        '        (transform1 (specification->package "e"))))',
    ),
  );
  // pinned: the same with "name@version" specs (entry-package-version = manifest-entry-version).
  assert.equal(
    r.texts.manifest,
    manifestText(
      ...defines,
      '(packages->manifest\n' +
        '  (list (transform1 (specification->package "a@1.0"))\n' +
        '        (list (transform2 (specification->package "b@2.0"))\n' +
        '              "lib")\n' +
        '        (specification->package "c@3.0")\n' +
        '        (transform1 (specification->package "a@1.0"))\n' +
        '        (list (transform3 (specification->package "d@4.0"))\n' +
        '              "doc")\n' +
        '        (transform1 (specification->package "e@5.0"))))',
    ),
  );
});

void test('export-manifest: transformation values with quotes, backslashes and Unicode are written as Guile writes them', () => {
  // The options list is quoted data, printed with write: `"` and `\` escaped, \t as \t, U+2028 (not
  // printable) as \u2028, é raw (the export runs in a UTF-8 locale). The 56-character pair is broken
  // with its dot alone on a line (classic printer).
  const t =
    '(transformations (with-source . "foo=https://example.org/a\\"b\\\\c.tar.gz") (with-configure-flag . "é=--x\\u2028y\\ttab"))';
  const r = recipe(v4(entry('foo', '1', 'out', props(t))));
  assert.deepEqual(r.packages[0]!.transformations, [
    { option: 'with-source', value: 'foo=https://example.org/a"b\\c.tar.gz' },
    { option: 'with-configure-flag', value: 'é=--x\u2028y\ttab' },
  ]);
  assert.equal(
    renderManifest(r, { style: 'guix' }),
    manifestText(
      '(use-modules (guix transformations))',
      '(define transform1\n' +
        '  (options->transformation\n' +
        "    '((with-source\n" +
        '        .\n' +
        '        "foo=https://example.org/a\\"b\\\\c.tar.gz")\n' +
        '      (with-configure-flag . "é=--x\\u2028y\\ttab"))))',
      '(packages->manifest\n  (list (transform1 (specification->package "foo"))))',
    ),
  );
});

void test("export-manifest: (transformations . #f) is no transformation, (transformations) is one over '()", () => {
  // manifest->code: (match (assoc-ref properties 'transformations) (#f ...) (options ...)): #f means
  // none, but the empty list is a true value, so it gets transform1 = (options->transformation '()).
  const r = recipe(
    v4(
      entry('a', '1', 'out', '(properties ((transformations . #f)))'),
      entry('b', '2', 'out', '(properties ((transformations)))'),
    ),
  );
  assert.deepEqual(
    r.packages.map((p) => [p.transformations, p.emptyTransformations]),
    [
      [[], undefined],
      [[], true],
    ],
  );
  assert.equal(
    renderManifest(r, { style: 'guix' }),
    manifestText(
      '(use-modules (guix transformations))',
      "(define transform1 (options->transformation '()))",
      '(packages->manifest\n' +
        '  (list (specification->package "a")\n' +
        '        (transform1 (specification->package "b"))))',
    ),
  );
  // Without the empty one: the plain specifications form.
  assert.equal(
    renderManifest(recipe(v4(entry('a', '1', 'out', '(properties ((transformations . #f)))'))), {
      style: 'guix',
    }),
    manifestText('(specifications->manifest (list "a"))'),
  );
});

void test('export-manifest: top-level repeated entries carry the properties of the entry they refer to', () => {
  // sexp->manifest returns the entry registered under (name version item) for a `repeated` form, with
  // that entry's properties: numpy refers to pandas' propagated copy (no properties: no transformation,
  // no provenance), the second pandas to the first top-level pandas (transformed again, same channel).
  const numpyItem = `/gnu/store/${'1'.repeat(32)}-python-numpy-1.26.2`;
  const pandas = entry(
    'python-pandas',
    '2.2.3',
    'out',
    `(propagated-inputs (("python-numpy" "1.26.2" "out" "${numpyItem}")))`,
    props(prov(repo(GUIX_URL, G1, '(name guix)')), '(transformations (without-tests . "python-pandas"))'),
  );
  const pandasItem = `/gnu/store/${'0'.repeat(32)}-python-pandas-2.2.3`;
  const r = recipe(
    v4(
      pandas,
      `(repeated "python-numpy" "1.26.2" "${numpyItem}")`,
      `(repeated "python-pandas" "2.2.3" "${pandasItem}")`,
    ),
  );
  assert.deepEqual(r.packagesWithoutProvenance, ['python-numpy@1.26.2']);
  assert.equal(
    renderManifest(r, { style: 'guix' }),
    manifestText(
      '(use-modules (guix transformations))',
      '(define transform1\n  (options->transformation\n    \'((without-tests . "python-pandas"))))',
      '(packages->manifest\n' +
        '  (list (transform1\n' +
        '          (specification->package "python-pandas"))\n' +
        '        (specification->package "python-numpy")\n' +
        '        (transform1\n' +
        '          (specification->package "python-pandas"))))',
    ),
  );
  assert.equal(r.channels.length, 1);
  assert.deepEqual(r.channels[0]!.commits, [G1]);
});

void test('export-manifest: an empty profile prints (specifications->manifest (list)); export-channels refuses', () => {
  // manifest->code with no entries: no transformation procedures, so the simplest case with an empty
  // (list). export-channels: channels is empty -> (leave "no provenance information for this profile").
  const r = recipe(v4());
  assert.equal(r.texts.manifest, manifestText('(specifications->manifest (list))'));
  assert.equal(
    renderManifest(r, { style: 'guix', printer: 'modern' }),
    manifestText('(specifications->manifest (list))'),
  );
  assertNoProvenance(r);
});

void test('export-manifest: only non-out outputs, both styles', () => {
  // The specifications form writes "name[@version]:output" for every output other than "out".
  const r = recipe(v4(entry('glib', '2.78.0', 'bin'), entry('git', '2.45.2', 'send-email')));
  assert.equal(
    renderManifest(r, { style: 'guix' }),
    manifestText('(specifications->manifest\n  (list "glib:bin" "git:send-email"))'),
  );
  assert.equal(
    r.texts.manifest,
    manifestText('(specifications->manifest\n  (list "glib@2.78.0:bin" "git@2.45.2:send-email"))'),
  );
});

void test('properties are read with assq-ref/assoc-ref, which skip elements that are not pairs', () => {
  // manifest-entry-provenance uses assq-ref and manifest->code assoc-ref; both are "sloppy" in Guile:
  // an element that is not a pair (junk, 42, "s") is skipped, the first matching pair wins.
  const r = recipe(
    v4(
      entry(
        'a',
        '1',
        'out',
        props(
          'junk',
          '42',
          '"s"',
          prov(repo(GUIX_URL, G1, '(name guix)')),
          '(transformations (tune . "x"))',
          '(transformations (tune . "ignored"))',
          prov(repo(GUIX_URL, G2, '(name guix)')),
        ),
      ),
    ),
  );
  assert.deepEqual(r.packages[0]!.transformations, [{ option: 'tune', value: 'x' }]);
  assert.deepEqual(
    r.channels.map((c) => c.commits),
    [[G1]],
  );
});

// --- manifest decoding ---------------------------------------------------------------------------

void test('v2: bare-path dependencies named by package-name->name+version; properties are never read', () => {
  // The v2 pattern binds (NAME VERSION OUTPUT PATH (propagated-inputs DEPS) (search-paths SP) EXTRA ...)
  // and ignores EXTRA, so even a recorded provenance is lost: no channels. Dependencies come from
  // infer-dependency: store-path-package-name, then the first "-" followed by a digit starts the
  // version (gtk+-3.24.41-bin -> gtk+ / 3.24.41-bin; tzdata has none -> version #f, '' for us).
  const h = (c: string) => `/gnu/store/${c.repeat(32)}`;
  const text =
    '(manifest (version 2) (packages (("python" "3.11.11" "out" "' +
    h('a') +
    '-python-3.11.11" (propagated-inputs ("' +
    h('b') +
    '-gtk+-3.24.41-bin" "' +
    h('c') +
    '-tzdata" "' +
    h('d') +
    '-font-dejavu-2.37")) (search-paths ()) ' +
    props(prov(repo(GUIX_URL, G1))) +
    '))))';
  const r = recipe(text);
  assert.equal(r.manifestVersion, 2);
  assert.deepEqual(
    r.packages[0]!.propagated.map((d) => [d.name, d.version, d.output]),
    [
      ['gtk+', '3.24.41-bin', 'out'],
      ['tzdata', '', 'out'],
      ['font-dejavu', '2.37', 'out'],
    ],
  );
  assert.equal(r.texts.manifest, manifestText('(specifications->manifest\n  (list "python@3.11.11"))'));
  assertNoProvenance(r);
});

void test('v3: spliced properties, entries with and without them', () => {
  // v3: (properties (or (assoc-ref extra-stuff 'properties) '())): the cdr of (properties P ...) is the
  // alist itself; an entry without the field has no properties.
  const text =
    '(manifest (version 3) (packages (' +
    `("a" "1" "out" "/gnu/store/${'a'.repeat(32)}-a-1" (propagated-inputs ()) (search-paths ()) ` +
    `(properties ${prov(repo(GUIX_URL, G1, '(name guix)'))} (transformations (tune . "x"))))` +
    `("b" "2" "out" "/gnu/store/${'b'.repeat(32)}-b-2" (propagated-inputs ()) (search-paths ()))` +
    ')))';
  const r = recipe(text);
  assert.deepEqual(r.packagesWithoutProvenance, ['b@2']);
  assert.equal(
    renderManifest(r, { style: 'guix' }),
    manifestText(
      '(use-modules (guix transformations))',
      '(define transform1\n  (options->transformation \'((tune . "x"))))',
      '(packages->manifest\n' +
        '  (list (transform1 (specification->package "a"))\n' +
        '        (specification->package "b")))',
    ),
  );
  assert.equal(r.channels[0]!.commit, G1);
});

void test('v4 with a minor version: (version 4 1) and (version 4 "x") read as version 4', () => {
  // ('version 4 minor-version ...): anything after the major number is accepted and ignored.
  for (const v of ['4 1', '4 "x" 2']) {
    const r = recipe(
      `(manifest (version ${v}) (packages (${entry('a', '1', 'out')} ${entry('b', '2', 'out')})))`,
    );
    assert.equal(r.manifestVersion, 4);
    assert.equal(r.texts.manifest, manifestText('(specifications->manifest (list "a@1" "b@2"))'));
  }
});
