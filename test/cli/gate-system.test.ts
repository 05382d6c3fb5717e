// `guix-recipes gate` on Guix system images, standalone: the system's channels (from its stored
// channels.scm, introductions included) and its system profile's packages are what policies judge;
// a system image built without --save-provenance is denied, saying so.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { cli } from './capture.js';
import {
  FIXTURE_COMMIT,
  profileItems,
  rootMembers,
  SYS,
  SYSTEM_FIXTURE_ARCHIVE,
  systemDirMembers,
  systemDockerArchive,
} from '../scan/system-image-builder.js';

const SOURCE = `docker-archive:${SYSTEM_FIXTURE_ARCHIVE}`;
const GUIX_URL = 'https://git.guix.gnu.org/guix.git';
const HEAD = 'apiVersion: guix-recipes/v1\nkind: Policy\nname: ci\n';
const dir = mkdtempSync(join(tmpdir(), 'gate-system-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

function policyFile(rulesYaml: string): string {
  const file = join(dir, `policy-${++n}.yaml`);
  writeFileSync(file, `${HEAD}rules:\n${rulesYaml.replace(/^/gm, '  ')}\n`);
  return file;
}

const codes = (stderr: string): string[] =>
  stderr
    .split('\n')
    .filter((l) => l.startsWith('deny: '))
    .map((l) => l.slice('deny: '.length).split(': ')[0]!);

const cases: { what: string; rules?: string; exit: 0 | 1; codes: string[] }[] = [
  { what: 'the default policy', exit: 0, codes: [] },
  {
    what: 'channels allowed, authenticated',
    rules: `channels:\n  allowWithoutIntroduction: false\n  allowed: [ { url: "${GUIX_URL}", introduction: { commit: 9edb3f66fd807b096b48283debdcddccfea34bad, signer: "BBB0 2DDF 2CEA F6A8 0D1D  E643 A2A0 6DF2 A33A 54FA" } } ]`,
    exit: 0,
    codes: [],
  },
  {
    what: 'another channel only',
    rules: 'channels: { allowed: [ { url: "https://codeberg.org/guix/guix.git" } ] }',
    exit: 1,
    codes: ['channel-not-allowed'],
  },
  {
    what: 'the commit denied',
    rules: `channels: { allowed: [ { url: "${GUIX_URL}", commits: { deny: ["${FIXTURE_COMMIT.slice(0, 10)}"] } } ] }`,
    exit: 1,
    codes: ['commit-denied'],
  },
  {
    what: 'a system package denied',
    rules: 'packages: { deny: [ "python@3.10" ] }',
    exit: 1,
    codes: ['package-denied'],
  },
  { what: 'another package denied', rules: 'packages: { deny: [ "python@<3.10" ] }', exit: 0, codes: [] },
];

for (const c of cases)
  void test(`a system image under ${c.what}: exit ${c.exit}`, async () => {
    const args = ['gate', SOURCE, ...(c.rules === undefined ? [] : ['--policy', policyFile(c.rules)])];
    const r = await cli(args);
    assert.equal(r.code, c.exit, r.stderr);
    assert.deepEqual(codes(r.stderr), c.codes);
  });

void test('a system image built without --save-provenance is denied, saying so', async () => {
  const archive = join(dir, 'bare.tar');
  writeFileSync(
    archive,
    await systemDockerArchive([
      [...profileItems(), ...systemDirMembers({ profile: SYS.profile }), ...rootMembers()],
    ]),
  );
  const r = await cli(['gate', `docker-archive:${archive}`]);
  assert.equal(r.code, 1);
  assert.deepEqual(codes(r.stderr), ['no-provenance']);
  assert.match(r.stderr, /built without --save-provenance/);
});
