import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readDatum } from '../../shared/guix/sexp/reader.js';
import { entryProvenance, normaliseFingerprint, sexpToChannel } from '../../shared/guix/provenance.js';

const GUIX_FPR = 'BBB0 2DDF 2CEA F6A8 0D1D  E643 A2A0 6DF2 A33A 54FA';
const C1 = '12dcbe5876edcf574d58033f8bcb46b99bed4700';
const C2 = '54b83587669b5df5fe36bce058f4f2cf34d8a63c';

function repo(url: string, commit: string, rest = ''): string {
  return `(repository (version 0) (url "${url}") (branch "master") (commit "${commit}") ${rest})`;
}
const INTRO = `(introduction (channel-introduction (version 0) (commit "9edb3f66fd807b096b48283debdcddccfea34bad") (signer "${GUIX_FPR}")))`;

function provenanceOf(...repos: string[]) {
  return entryProvenance({
    properties: readDatum(`((provenance ${repos.join(' ')}) (transformations (tune . "x")))`) as never,
  });
}

void test('main channel with name and introduction', () => {
  const chans = provenanceOf(repo('https://git.guix.gnu.org/guix.git', C1, `(name guix) ${INTRO}`));
  assert.deepEqual(chans, [
    {
      name: 'guix',
      url: 'https://git.guix.gnu.org/guix.git',
      branch: 'master',
      commit: C1,
      introduction: { commit: '9edb3f66fd807b096b48283debdcddccfea34bad', signer: GUIX_FPR },
    },
  ]);
});

void test('fallback names: guix for the main, channel1, channel2... for extras that parse', () => {
  const chans = provenanceOf(
    repo('https://example.org/guix.git', C1),
    repo('https://example.org/a.git', C2),
    '(repository garbage)',
    repo('https://example.org/b.git', 'c'.repeat(40)),
    repo('https://example.org/named.git', 'd'.repeat(40), '(name named)'),
    repo('https://example.org/c.git', 'e'.repeat(40)),
  );
  assert.deepEqual(
    chans.map((c) => c.name),
    ['guix', 'channel1', 'channel2', 'named', 'channel4'],
  );
});

void test('name in the main repository overrides the fallback', () => {
  assert.equal(provenanceOf(repo('https://x', C1, '(name my-guix)'))[0]!.name, 'my-guix');
});

void test('missing introduction gives null', () => {
  assert.equal(provenanceOf(repo('https://x', C1, '(name guix)'))[0]!.introduction, null);
});

void test('sexp->channel is positional and strict', () => {
  const bad = [
    // url and branch swapped
    `(repository (version 0) (branch "master") (url "https://x") (commit "${C1}"))`,
    // version other than 0
    `(repository (version 1) (url "https://x") (branch "master") (commit "${C1}"))`,
    // missing branch
    `(repository (version 0) (url "https://x") (commit "${C1}"))`,
    // not a repository
    `(channel (version 0) (url "https://x") (branch "master") (commit "${C1}"))`,
    // non-string url
    `(repository (version 0) (url https) (branch "master") (commit "${C1}"))`,
    // name of the wrong arity
    repo('https://x', C1, '(name a b)'),
    // introduction of the wrong arity
    repo('https://x', C1, '(introduction a b)'),
    '"just a string"',
  ];
  for (const b of bad) assert.equal(sexpToChannel(readDatum(b), 'guix'), null, b);
  // Extra fields after commit are fine, in any order; #f branch is kept as null.
  const ok = sexpToChannel(
    readDatum(
      `(repository (version 0) (url "https://x") (branch #f) (commit "${C1}") (future 1) ${INTRO} (name n))`,
    ),
    'guix',
  );
  assert.deepEqual(ok && { name: ok.name, branch: ok.branch, intro: ok.introduction?.signer }, {
    name: 'n',
    branch: null,
    intro: GUIX_FPR,
  });
});

void test('a malformed main repository gives no channels at all, even with good extras', () => {
  assert.deepEqual(provenanceOf('(repository (version 0))', repo('https://x', C2, '(name nonguix)')), []);
});

void test('no provenance, empty provenance, or a non-list provenance: no channels', () => {
  assert.deepEqual(entryProvenance({ properties: [] }), []);
  assert.deepEqual(entryProvenance({ properties: readDatum('((provenance))') as never }), []);
  assert.deepEqual(entryProvenance({ properties: readDatum('((provenance . "x"))') as never }), []);
  assert.deepEqual(
    entryProvenance({ properties: readDatum('((transformations (tune . "x")))') as never }),
    [],
  );
});

void test('signer normalisation: any spacing and case, regrouped as openpgp-format-fingerprint', () => {
  const raw = 'bbb02ddf2ceaf6a80d1de643a2a06df2a33a54fa';
  assert.equal(normaliseFingerprint(raw), GUIX_FPR);
  assert.equal(normaliseFingerprint('BBB0:2DDF-2CEA F6A8 0D1DE643A2A0 6DF2 A33A 54FA'), GUIX_FPR);
  // Only the first 20 bytes are printed (v5 fingerprints are truncated, as Guix does).
  assert.equal(normaliseFingerprint(raw + 'aabbccddeeff00112233aabbccddeeff00112233'.slice(0, 24)), GUIX_FPR);
  assert.equal(normaliseFingerprint('BBB0 2DDF'), null, 'too short');
  assert.equal(normaliseFingerprint(raw + 'a'), null, 'odd number of digits');
  const chans = provenanceOf(
    repo(
      'https://x',
      C1,
      `(introduction (channel-introduction (version 0) (commit "abc") (signer "${raw}")))`,
    ),
  );
  assert.equal(chans[0]!.introduction!.signer, GUIX_FPR);
});

void test('an introduction that does not match gives a channel without introduction', () => {
  const chans = provenanceOf(
    repo('https://x', C1, '(introduction (channel-introduction (version 1) (commit "a") (signer "b")))'),
  );
  assert.equal(chans.length, 1);
  assert.equal(chans[0]!.introduction, null);
});
