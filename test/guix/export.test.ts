import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collectChannels, exportChannels } from '../../shared/guix/export-channels.js';
import { exportManifest, MANIFEST_HEADER, manifestToCode } from '../../shared/guix/export-manifest.js';
import type { Channel } from '../../shared/guix/provenance.js';
import { isRecipeError } from '../../shared/errors.js';
import { writeDatum } from '../../shared/guix/sexp/writer.js';

const c = (name: string, commit: string, url = `https://example.org/${name}.git`): Channel => ({
  name,
  url,
  branch: 'master',
  commit: commit.repeat(40).slice(0, 40),
  introduction: null,
});

void test('transformations: numbered by first appearance, defines in REVERSE order (alist-cons)', () => {
  const entries = [
    { name: 'a', version: '1', output: 'out', transformations: [{ option: 'without-tests', value: 'a' }] },
    { name: 'b', version: '2', output: 'out', transformations: [{ option: 'with-debug-info', value: 'b' }] },
    { name: 'c', version: '3', output: 'out', transformations: [{ option: 'without-tests', value: 'a' }] },
    { name: 'd', version: '4', output: 'lib', transformations: [] },
  ];
  const forms = manifestToCode(entries, 'guix').map(writeDatum);
  assert.deepEqual(forms, [
    '(use-modules (guix transformations))',
    '(define transform2 (options->transformation (quote ((with-debug-info . "b")))))',
    '(define transform1 (options->transformation (quote ((without-tests . "a")))))',
    '(packages->manifest (list (transform1 (specification->package "a")) (transform2 (specification->package "b")) (transform1 (specification->package "c")) (list (specification->package "d") "lib")))',
  ]);
  const pinned = manifestToCode(entries, 'pinned').map(writeDatum);
  assert.match(pinned[3]!, /\(transform1 \(specification->package "a@1"\)\)/);
  assert.match(pinned[3]!, /\(list \(specification->package "d@4"\) "lib"\)/);
});

void test('transformation lists are equal only when options and order are equal', () => {
  const t1 = [
    { option: 'tune', value: 'x' },
    { option: 'without-tests', value: 'y' },
  ];
  const entries = [
    { name: 'a', version: '1', output: 'out', transformations: t1 },
    { name: 'b', version: '1', output: 'out', transformations: [...t1].reverse() },
    { name: 'c', version: '1', output: 'out', transformations: t1.map((t) => ({ ...t })) },
  ];
  const text = manifestToCode(entries, 'guix').map(writeDatum).join('\n');
  assert.match(
    text,
    /\(transform1 \(specification->package "a"\)\) \(transform2 \(specification->package "b"\)\) \(transform1 \(specification->package "c"\)\)/,
  );
});

void test('specifications form: outputs as name:output, pinned as name@version:output', () => {
  const entries = [
    { name: 'glib', version: '2.78.0', output: 'bin', transformations: [] },
    { name: 'git', version: '2.45.2', output: 'out', transformations: [] },
  ];
  assert.equal(
    writeDatum(manifestToCode(entries, 'guix')[0]!),
    '(specifications->manifest (list "glib:bin" "git"))',
  );
  assert.equal(
    writeDatum(manifestToCode(entries, 'pinned')[0]!),
    '(specifications->manifest (list "glib@2.78.0:bin" "git@2.45.2"))',
  );
  assert.equal(
    exportManifest(entries, { style: 'guix' }),
    `${MANIFEST_HEADER}\n(specifications->manifest\n  (list "glib:bin" "git"))\n`,
  );
});

void test('an empty profile still prints a manifest', () => {
  assert.equal(
    exportManifest([], { style: 'guix' }),
    `${MANIFEST_HEADER}\n(specifications->manifest (list))\n`,
  );
});

void test('channels: dedup by commit (channel=?), grouped by name, first-seen commit exported', () => {
  const groups = collectChannels([
    [c('guix', 'a')],
    [c('guix', 'b'), c('nonguix', 'n')],
    [c('guix', 'a')],
    // The same commit under another name is dropped, as channel=? compares commits only.
    [c('guix', 'c'), c('other', 'n')],
    [],
    [c('guix', 'b', 'https://mirror.example/guix.git')],
  ]);
  assert.deepEqual(
    groups.map((g) => ({
      name: g.name,
      commit: g.commit![0],
      commits: g.commits.map((x) => x![0]),
      url: g.url,
    })),
    [
      { name: 'guix', commit: 'a', commits: ['a', 'b', 'c'], url: 'https://example.org/guix.git' },
      { name: 'nonguix', commit: 'n', commits: ['n'], url: 'https://example.org/nonguix.git' },
    ],
  );
  const text = exportChannels(groups);
  assert.ok(
    text.startsWith(
      `;; This channel file can be passed to 'guix pull -C' or to\n;; 'guix time-machine -C' to obtain the Guix revision that was\n;; used to populate this profile.\n\n(list\n` +
        '     ;; Note: these other commits were also used to install some of the packages in this profile:\n' +
        `     ;;   "${'b'.repeat(40)}"\n     ;;   "${'c'.repeat(40)}"\n     (channel\n       (name 'guix)\n`,
    ),
    text,
  );
  assert.ok(
    text.endsWith(
      `     (channel\n       (name 'nonguix)\n       (url "https://example.org/nonguix.git")\n       (branch "master")\n       (commit\n         "${'n'.repeat(40)}"))\n)\n`,
    ),
    text,
  );
});

void test('channel->code: (branch #f), no introduction, 5-space prefix on every line', () => {
  const text = exportChannels([{ ...c('x', 'f'), branch: null, commits: ['f'.repeat(40)] }]);
  assert.ok(
    text.includes(
      '     (channel\n       (name \'x)\n       (url "https://example.org/x.git")\n       (branch #f)\n       (commit\n         "ffff',
    ),
    text,
  );
  assert.ok(!text.includes('introduction'));
});

void test('no channels: Guix refusal', () => {
  assert.throws(
    () => exportChannels([]),
    (e: unknown) =>
      isRecipeError(e, 'no-provenance') &&
      e.message === 'no provenance information for this profile' &&
      e.exitCode === 4,
  );
});
