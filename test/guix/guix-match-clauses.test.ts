/**
 * One test per `match` clause (and per branch that decides what is printed) of the Guix code we mirror,
 * each named after the Guix function and clause:
 *   guix/channels.scm        sexp->channel, channel->code
 *   guix/describe.scm        manifest-entry-provenance
 *   guix/profiles.scm        manifest->code, sexp->manifest (format versions 0 to 4)
 *   guix/scripts/package.scm export-channels, export-manifest
 * Expected texts follow what those functions compute, printed in the classic layout (Guile 3.0.8, the
 * one of the guix-fuzz and guix-images fixtures, which cover the same shapes byte for byte).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { isRecipeError } from '../../shared/errors.js';
import { buildRecipe, renderChannels, renderManifest } from '../../shared/guix/build-recipe.js';
import { CHANNELS_HEADER } from '../../shared/guix/export-channels.js';
import { MANIFEST_HEADER } from '../../shared/guix/export-manifest.js';
import type { Recipe } from '../../shared/guix/recipe.js';
import { cli } from '../cli/capture.js';

const C1 = '1111111111111111111111111111111111111111';
const C2 = '2222222222222222222222222222222222222222';
const C3 = '3333333333333333333333333333333333333333';
const URL = 'https://git.example/guix.git';
const XURL = 'https://git.example/extra.git';
const FPR = 'BBB0 2DDF 2CEA F6A8 0D1D  E643 A2A0 6DF2 A33A 54FA';
const INTRO_COMMIT = '9edb3f66fd807b096b48283debdcddccfea34bad';
const INTRO = `(introduction (channel-introduction (version 0) (commit "${INTRO_COMMIT}") (signer "${FPR}")))`;
const NOTE =
  '     ;; Note: these other commits were also used to install some of the packages in this profile:\n';

/** A provenance `repository`; `commit` is spliced as is (`#f`, or a quoted string via `q`). */
function repo(url: string, commit: string, rest = '', branch = '"master"'): string {
  return `(repository (version 0) (url "${url}") (branch ${branch}) (commit ${commit}) ${rest})`;
}
const q = (s: string): string => `"${s}"`;

function entry(name: string, ...fields: string[]): string {
  return `("${name}" "1.0" "out" "/gnu/store/${'0'.repeat(32)}-${name}-1.0" ${fields.join(' ')})`;
}
const props = (...alist: string[]): string => `(properties (${alist.join(' ')}))`;
const prov = (...repos: string[]): string => `(provenance ${repos.join(' ')})`;
const v4 = (...entries: string[]): string => `(manifest (version 4) (packages (${entries.join(' ')})))`;

/** The Recipe, through JSON as the API stores it: every text re-renders from the document alone. */
function recipe(text: string): Recipe {
  return JSON.parse(JSON.stringify(buildRecipe(text, { profile: null }))) as Recipe;
}
const channels = (r: Recipe): string => renderChannels(r, { printer: 'classic' });
const manifest = (r: Recipe): string => renderManifest(r, { style: 'guix', printer: 'classic' });
const channelsText = (...blocks: string[]): string => `${CHANNELS_HEADER}(list\n${blocks.join('')})\n`;
const manifestText = (...forms: string[]): string => MANIFEST_HEADER + forms.map((f) => `\n${f}\n`).join('');

/** `(channel ...)` as channel->code builds it, in the classic layout with export-channels' prefix. */
function channelForm(
  name: string,
  url: string,
  commit: string | null,
  opts: { branch?: string; intro?: boolean } = {},
): string {
  let s = `     (channel\n       (name '${name})\n       (url "${url}")\n       (branch ${opts.branch ?? '"master"'})`;
  if (commit !== null) s += `\n       (commit\n         "${commit}")`;
  if (opts.intro)
    s +=
      `\n       (introduction\n         (make-channel-introduction\n           "${INTRO_COMMIT}"\n` +
      `           (openpgp-fingerprint\n             "${FPR}")))`;
  return `${s})\n`;
}

function assertRefused(r: Recipe): void {
  assert.equal(r.texts.channels, undefined);
  assert.throws(
    () => channels(r),
    (e: unknown) =>
      isRecipeError(e, 'no-provenance') && e.message === 'no provenance information for this profile',
  );
}

// --- sexp->channel (guix/channels.scm) -------------------------------------------------------------

void test("sexp->channel, clause ('repository ('version 0) ('url url) ('branch branch) ('commit commit) rest ...): a channel", () => {
  const r = recipe(v4(entry('a', props(prov(repo(URL, q(C1), '(name guix)'))))));
  assert.deepEqual(r.channels, [
    { name: 'guix', url: URL, branch: 'master', commit: C1, introduction: null, commits: [C1] },
  ]);
  assert.equal(channels(r), channelsText(channelForm('guix', URL, C1)));
});

void test('sexp->channel, same clause with (commit #f): the channel is read, its commit is #f', () => {
  // The pattern binds any datum to `commit`. As the only provenance, Guix prints a channel without a
  // commit instead of refusing.
  const r = recipe(v4(entry('a', props(prov(repo(URL, '#f', `(name guix) ${INTRO}`))))));
  assert.deepEqual(r.packages[0]!.channels, [{ name: 'guix', url: URL, commit: null }]);
  assert.deepEqual(r.packagesWithoutProvenance, []);
  assert.deepEqual(r.channels[0]!.commits, [null]);
  assert.equal(channels(r), channelsText(channelForm('guix', URL, null, { intro: true })));
});

void test('sexp->channel, same clause with (branch #f): printed (branch #f)', () => {
  const r = recipe(v4(entry('a', props(prov(repo(URL, q(C1), '', '#f'))))));
  assert.equal(r.channels[0]!.branch, null);
  assert.equal(channels(r), channelsText(channelForm('guix', URL, C1, { branch: '#f' })));
});

void test('sexp->channel, clause _ -> #f: another version or shape gives no channel', () => {
  // Main repository of version 1: manifest-entry-provenance gives '() for the entry. A malformed extra
  // is skipped without using up a fallback name: the next extra is still channel1.
  const badMain = `(repository (version 1) (url "${URL}") (branch "master") (commit "${C1}"))`;
  const badExtra = `(repository (version 0) (url "${XURL}") (commit "${C3}") (branch "master"))`;
  const r = recipe(
    v4(
      entry('a', props(prov(badMain))),
      entry('b', props(prov(repo(URL, q(C1)), badExtra, repo(XURL, q(C2))))),
    ),
  );
  assert.deepEqual(r.packagesWithoutProvenance, ['a@1.0']);
  assert.deepEqual(
    r.packages[1]!.channels.map((c) => [c.name, c.commit]),
    [
      ['guix', C1],
      ['channel1', C2],
    ],
  );
  assert.equal(channels(r), channelsText(channelForm('guix', URL, C1), channelForm('channel1', XURL, C2)));
});

void test("sexp->channel, (match (assq 'name rest) (#f name) ...): the fallback names guix, channel1, channel2", () => {
  const r = recipe(
    v4(entry('a', props(prov(repo(URL, q(C1)), repo(XURL, q(C2)), repo(`${XURL}/2`, q(C3)))))),
  );
  assert.deepEqual(
    r.channels.map((c) => c.name),
    ['guix', 'channel1', 'channel2'],
  );
});

void test("sexp->channel, (match (assq 'name rest) (('name name) name)): the recorded name, anywhere in rest", () => {
  const r = recipe(
    v4(
      entry(
        'a',
        props(prov(repo(URL, q(C1), `${INTRO} (name my-guix)`), repo(XURL, q(C2), '(name nonguix)'))),
      ),
    ),
  );
  assert.deepEqual(
    r.channels.map((c) => c.name),
    ['my-guix', 'nonguix'],
  );
  assert.equal(
    channels(r),
    channelsText(channelForm('my-guix', URL, C1, { intro: true }), channelForm('nonguix', XURL, C2)),
  );
});

void test("sexp->channel, (match (assq 'introduction rest) (#f #f) ...): no introduction", () => {
  const r = recipe(v4(entry('a', props(prov(repo(URL, q(C1), '(name guix)'))))));
  assert.equal(r.channels[0]!.introduction, null);
  assert.ok(!channels(r).includes('introduction'));
});

void test("sexp->channel, (match (assq 'introduction rest) (('introduction intro) (sexp->channel-introduction intro))): printed with its signer regrouped", () => {
  // openpgp-fingerprint keeps the hex digits, openpgp-format-fingerprint regroups them.
  const intro = `(introduction (channel-introduction (version 0) (commit "${INTRO_COMMIT}") (signer "bbb02ddf2ceaf6a80d1de643a2a06df2a33a54fa")))`;
  const r = recipe(v4(entry('a', props(prov(repo(URL, q(C1), intro))))));
  assert.deepEqual(r.channels[0]!.introduction, { commit: INTRO_COMMIT, signer: FPR });
  assert.equal(channels(r), channelsText(channelForm('guix', URL, C1, { intro: true })));
});

// --- channel->code (guix/channels.scm) -------------------------------------------------------------

void test("channel->code, ,@(if (channel-commit channel) `((commit ,commit)) '()): a commit line", () => {
  const r = recipe(v4(entry('a', props(prov(repo(URL, q(C1)))))));
  assert.ok(channels(r).includes(`       (commit\n         "${C1}")`));
});

void test('channel->code, same splice for a #f commit: no commit line at all', () => {
  const r = recipe(v4(entry('a', props(prov(repo(URL, '#f'))))));
  assert.equal(channels(r), channelsText(channelForm('guix', URL, null)));
  assert.ok(!channels(r).includes('commit'));
});

void test("channel->code, ,@(if intro `((introduction (make-channel-introduction ...))) '()): both branches", () => {
  const r = recipe(v4(entry('a', props(prov(repo(URL, q(C1), INTRO), repo(XURL, q(C2)))))));
  assert.equal(
    channels(r),
    channelsText(channelForm('guix', URL, C1, { intro: true }), channelForm('channel1', XURL, C2)),
  );
});

// --- manifest-entry-provenance (guix/describe.scm) -------------------------------------------------

void test("manifest-entry-provenance, clause ((main extras ...)) with (sexp->channel main 'guix) -> #f: no channels for the entry", () => {
  // Even when the extras parse: they are never looked at.
  const bad = `(repository (version 0) (url "${URL}"))`;
  const r = recipe(v4(entry('a', props(prov(bad, repo(XURL, q(C2)))))));
  assert.deepEqual(r.packages[0]!.channels, []);
  assertRefused(r);
});

void test('manifest-entry-provenance, clause ((main extras ...)): a #f-commit main comes first, so it is the main channel', () => {
  const r = recipe(
    v4(entry('a', props(prov(repo(URL, '#f', '(name guix)'), repo(XURL, q(C2), '(name extra)'))))),
  );
  assert.deepEqual(
    r.channels.map((c) => [c.name, c.commit]),
    [
      ['guix', null],
      ['extra', C2],
    ],
  );
  assert.equal(channels(r), channelsText(channelForm('guix', URL, null), channelForm('extra', XURL, C2)));
});

void test("manifest-entry-provenance, clause _ -> '(): no provenance, or an empty one", () => {
  const r = recipe(
    v4(entry('a'), entry('b', props('(provenance)')), entry('c', props('(provenance . "x")'))),
  );
  assert.deepEqual(r.packagesWithoutProvenance, ['a@1.0', 'b@1.0', 'c@1.0']);
  assertRefused(r);
});

// --- export-channels (guix/scripts/package.scm) ----------------------------------------------------

void test('export-channels, channel=?: equal commits merge whatever the name; #f commits never, not even two #f', () => {
  const r = recipe(
    v4(
      entry('a', props(prov(repo(URL, q(C1), '(name guix)')))),
      entry('b', props(prov(repo(XURL, q(C1), '(name other)')))),
      entry('c', props(prov(repo(URL, '#f', '(name guix)')))),
      entry('d', props(prov(repo(URL, '#f', '(name guix)')))),
    ),
  );
  assert.deepEqual(
    r.channels.map((c) => [c.name, c.commits]),
    [['guix', [C1, null, null]]],
  );
  assert.equal(
    channels(r),
    channelsText(`${NOTE}     ;;   #f\n     ;;   #f\n`, channelForm('guix', URL, C1)),
  );
});

void test("export-channels, (when (null? channels) (leave ...)): exit 4 with Guix's words", async () => {
  const r = recipe(v4(entry('a')));
  assertRefused(r);
  const text = v4(entry('a'));
  const dir = mkdtempSync(join(tmpdir(), 'match-clauses-'));
  try {
    writeFileSync(join(dir, 'manifest'), text);
    const out = await cli(['inspect', `profile:${join(dir, 'manifest')}`, '--output', 'channels']);
    assert.deepEqual(out, {
      code: 4,
      stdout: '',
      stderr: 'guix-recipes: no provenance information for this profile\n',
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

void test("export-channels, (match (vhash-foldq* cons '() name table) ((channel extra ...))) with no extra: no Note", () => {
  const r = recipe(v4(entry('a', props(prov(repo(URL, q(C1))))), entry('b', props(prov(repo(URL, q(C1)))))));
  assert.equal(channels(r), channelsText(channelForm('guix', URL, C1)));
});

void test('export-channels, same clause with extras: Note lines, each commit written with ~s (#f as #f)', () => {
  // The first channel of the name is exported; here it is the #f one, so without a commit line.
  const r = recipe(
    v4(
      entry('a', props(prov(repo(URL, '#f')))),
      entry('b', props(prov(repo(URL, q(C1))))),
      entry('c', props(prov(repo(URL, '#f')))),
      entry('d', props(prov(repo(URL, q(C2))))),
    ),
  );
  assert.deepEqual(r.channels[0]!.commits, [null, C1, null, C2]);
  assert.equal(
    channels(r),
    channelsText(
      `${NOTE}     ;;   "${C1}"\n     ;;   #f\n     ;;   "${C2}"\n`,
      channelForm('guix', URL, null),
    ),
  );
});

void test('export-channels, channel-names: first appearance among the deduplicated channels', () => {
  const r = recipe(
    v4(
      entry('a', props(prov(repo(URL, q(C1), '(name guix)'), repo(XURL, q(C2), '(name extra)')))),
      entry('b', props(prov(repo(XURL, q(C2), '(name first-seen-later)'), repo(URL, q(C3), '(name guix)')))),
    ),
  );
  // C2 under `first-seen-later` is a duplicate (channel=?) of C2 under `extra`, so that name never shows.
  assert.deepEqual(
    r.channels.map((c) => [c.name, c.commits]),
    [
      ['guix', [C1, C3]],
      ['extra', [C2]],
    ],
  );
});

// --- export-manifest (guix/scripts/package.scm) ----------------------------------------------------

void test("export-manifest, (match (manifest->code ...) (('begin exp ...) ...)): the header, then each form after an empty line", () => {
  const r = recipe(v4(entry('a', props('(transformations (without-tests . "a"))'))));
  const text = manifest(r);
  assert.ok(
    text.startsWith(`${MANIFEST_HEADER}\n(use-modules (guix transformations))\n\n(define transform1`),
  );
  assert.equal(text.split('\n\n').length, 4, 'three forms, each after an empty line');
});

// --- manifest->code (guix/profiles.scm) ------------------------------------------------------------

void test('manifest->code, transformation-procedures loop, clause (() result) with no entries: (specifications->manifest (list))', () => {
  assert.equal(manifest(recipe(v4())), manifestText('(specifications->manifest (list))'));
});

void test('manifest->code, (match (entry-transformations entry) (#f ...)): absent or #f, no procedure', () => {
  const r = recipe(v4(entry('a'), entry('b', props('(transformations . #f)'))));
  assert.equal(manifest(r), manifestText('(specifications->manifest (list "a" "b"))'));
});

void test('manifest->code, (match (entry-transformations entry) (options ...)) new options: transformN by first appearance, defined in reverse', () => {
  const r = recipe(
    v4(
      entry('a', props('(transformations (without-tests . "a"))')),
      entry('b', props('(transformations . "with-input=a=b")')),
    ),
  );
  assert.equal(
    manifest(r),
    manifestText(
      '(use-modules (guix transformations))',
      '(define transform2\n  (options->transformation \'"with-input=a=b"))',
      '(define transform1\n  (options->transformation\n    \'((without-tests . "a"))))',
      '(packages->manifest\n  (list (transform1 (specification->package "a"))\n        (transform2 (specification->package "b"))))',
    ),
  );
});

void test('manifest->code, same clause, options already seen (assoc-ref with equal?): one shared procedure', () => {
  // #x2A and 42 read as the same number, so equal?: one procedure, printed as Guile writes the number.
  const r = recipe(
    v4(
      entry('a', props('(transformations . #x2A)')),
      entry('b', props('(transformations . 42)')),
      entry('c', props('(transformations (tune))')),
      entry('d', props('(transformations (tune))')),
    ),
  );
  assert.equal(r.packages[0]!.transformationsSexp, '42');
  assert.equal(
    manifest(r),
    manifestText(
      '(use-modules (guix transformations))',
      "(define transform2\n  (options->transformation '((tune))))",
      "(define transform1 (options->transformation '42))",
      '(packages->manifest\n' +
        '  (list (transform1 (specification->package "a"))\n' +
        '        (transform1 (specification->package "b"))\n' +
        '        (transform2 (specification->package "c"))\n' +
        '        (transform2 (specification->package "d"))))',
    ),
  );
});

void test('manifest->code, qualified-name, (match (entry-package-version entry) ("" name) (version name@version))', () => {
  const r = recipe(v4(entry('a')));
  assert.equal(manifest(r), manifestText('(specifications->manifest (list "a"))'));
  assert.equal(
    renderManifest(r, { style: 'pinned', printer: 'classic' }),
    manifestText('(specifications->manifest (list "a@1.0"))'),
  );
});

void test('manifest->code, simplest case, (match (manifest-entry-output entry) ("out" ...) (output ...)): "name" or "name:output"', () => {
  const lib = `("b" "2" "lib" "/gnu/store/${'1'.repeat(32)}-b-2-lib")`;
  assert.equal(
    manifest(recipe(v4(entry('a'), lib))),
    manifestText('(specifications->manifest (list "a" "b:lib"))'),
  );
});

void test('manifest->code, packages->manifest, (match (manifest-entry-output entry) ("out" ...) (output ...)) and transform with (not options)', () => {
  const lib = `("b" "2" "lib" "/gnu/store/${'1'.repeat(32)}-b-2-lib" ${props('(transformations (with-debug-info . "b"))')})`;
  const r = recipe(v4(entry('a', props('(transformations (with-debug-info . "b"))')), lib, entry('c')));
  assert.equal(
    manifest(r),
    manifestText(
      '(use-modules (guix transformations))',
      '(define transform1\n  (options->transformation\n    \'((with-debug-info . "b"))))',
      '(packages->manifest\n' +
        '  (list (transform1 (specification->package "a"))\n' +
        '        (list (transform1 (specification->package "b"))\n' +
        '              "lib")\n' +
        '        (specification->package "c")))',
    ),
  );
});

void test("manifest->code, (match-lambda ((options . name) `(define ,name (options->transformation ',options)))): any options quoted as they are", () => {
  const odd = [
    '"with-input=a=b"',
    '7/14',
    '(with-input with-graft)',
    '((tune))',
    '()',
    '#t',
    '#\\a',
    '#(1 2)',
  ];
  const r = recipe(v4(...odd.map((o, i) => entry(`p${i}`, props(`(transformations . ${o})`)))));
  assert.deepEqual(
    r.packages.map((p) => p.transformationsSexp ?? (p.emptyTransformations ? '()' : undefined)),
    ['"with-input=a=b"', '1/2', '(with-input with-graft)', '((tune))', '()', '#t', '#\\a', '#(1 2)'],
  );
  // Layouts as Guile 3.0.8's pretty-print gives them for these very forms.
  const defines = [
    '(define transform1\n  (options->transformation \'"with-input=a=b"))',
    "(define transform2\n  (options->transformation '1/2))",
    "(define transform3\n  (options->transformation\n    '(with-input with-graft)))",
    "(define transform4\n  (options->transformation '((tune))))",
    "(define transform5 (options->transformation '()))",
    "(define transform6 (options->transformation '#t))",
    "(define transform7\n  (options->transformation '#\\a))",
    "(define transform8\n  (options->transformation '#(1 2)))",
  ];
  const items = odd.map((_, i) => `(transform${i + 1} (specification->package "p${i}"))`);
  assert.equal(
    manifest(r),
    manifestText(
      '(use-modules (guix transformations))',
      ...defines.reverse(),
      `(packages->manifest\n  (list ${items.join('\n        ')}))`,
    ),
  );
});

// --- sexp->manifest (guix/profiles.scm) ------------------------------------------------------------

void test('sexp->manifest, versions 0 and 1: no clause ("no longer produced since 2015"), refused', () => {
  for (const v of [0, 1])
    assert.throws(
      () => buildRecipe(`(manifest (version ${v}) (packages ()))`, { profile: null }),
      (e: unknown) => isRecipeError(e, 'unsupported-manifest-version'),
    );
});

void test("sexp->manifest, clause ('manifest ('version 2 minor-version ...) ...): bare-path dependencies, no properties", () => {
  const dep = `/gnu/store/${'2'.repeat(32)}-zlib-1.3`;
  const text = `(manifest (version 2 1) (packages (("a" "1.0" "out" "/gnu/store/${'0'.repeat(32)}-a-1.0" (propagated-inputs ("${dep}")) (search-paths ()) (properties (provenance ${repo(URL, q(C1))}))))))`;
  const r = recipe(text);
  assert.equal(r.manifestVersion, 2);
  assert.deepEqual(r.packages[0]!.propagated, [
    { name: 'zlib', version: '1.3', output: 'out', storePath: dep, propagated: [] },
  ]);
  // Version 2 has no properties: the provenance written after the fixed fields is not read.
  assertRefused(r);
});

void test("sexp->manifest, clause ('manifest ('version 3 minor-version ...) ...) with sexp->manifest-entry/v3: positional fields, spliced properties", () => {
  const text = `(manifest (version 3) (packages (("a" "1.0" "out" "/p" (propagated-inputs ()) (search-paths ()) (properties ${prov(repo(URL, q(C1)))} (transformations (tune . "x")))))))`;
  const r = recipe(text);
  assert.equal(r.manifestVersion, 3);
  assert.deepEqual(r.packages[0]!.transformations, [{ option: 'tune', value: 'x' }]);
  assert.equal(r.channels[0]!.commit, C1);
});

void test("sexp->manifest-entry (version 4), clause ('repeated name version path) found: the earlier entry, with its properties", () => {
  const item = `/gnu/store/${'0'.repeat(32)}-a-1.0`;
  const r = recipe(v4(entry('a', props(prov(repo(URL, q(C1))))), `(repeated "a" "1.0" "${item}")`));
  assert.deepEqual(
    r.packages.map((p) => [p.name, p.channels.length]),
    [
      ['a', 1],
      ['a', 1],
    ],
  );
});

void test("sexp->manifest-entry (version 4), clause ('repeated ...) with (vhash-assoc key visited) -> #f: invalid repeated entry", () => {
  assert.throws(
    () => buildRecipe(v4('(repeated "a" "1.0" "/gnu/store/x-a-1.0")'), { profile: null }),
    (e: unknown) =>
      isRecipeError(e, 'invalid-manifest') && /invalid repeated entry in profile/.test(e.message),
  );
});

void test("sexp->manifest-entry (version 4), clause (name version output path fields ...) with let-fields: ((_ value) value) or #f -> '()", () => {
  const r = recipe(
    v4(
      `("a" "1.0" "out" "/p" (search-paths ()) (properties ((transformations (tune . "x")))) (unknown 1))`,
      `("b" "1.0" "out" "/q")`,
    ),
  );
  assert.deepEqual(
    r.packages.map((p) => [p.name, p.transformations, p.propagated]),
    [
      ['a', [{ option: 'tune', value: 'x' }], []],
      ['b', [], []],
    ],
  );
});

void test('sexp->manifest, clause _: another version or shape is refused', () => {
  assert.throws(
    () => buildRecipe('(manifest (version 5) (packages ()))', { profile: null }),
    (e: unknown) => isRecipeError(e, 'unsupported-manifest-version'),
  );
  assert.throws(
    () => buildRecipe('(profile (version 4) (packages ()))', { profile: null }),
    (e: unknown) => isRecipeError(e, 'invalid-manifest'),
  );
});
