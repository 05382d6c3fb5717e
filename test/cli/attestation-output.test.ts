// `inspect --output cyclonedx|cyclonedx-1.6|cyclonedx-1.7|spdx|slsa`: the words, the help, the scan time
// (now, or SOURCE_DATE_EPOCH), and the subject of profile: and local image sources.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { cli } from './capture.js';
import { parseInspectArgs } from '../../services/cli/commands/inspect.js';
import { scanTime } from '../../services/cli/attestation-output.js';
import { isRecipeError } from '../../shared/errors.js';

const FIXTURE = 'test/fixtures/guix-images/two-channels';
const MANIFEST = `${FIXTURE}/profile-manifest`;

interface Bom {
  specVersion: string;
  metadata: {
    timestamp: string;
    component: { type: string; name: string; version: string; properties: { name: string; value: string }[] };
  };
}

void test('the document outputs parse, and --help names them with SOURCE_DATE_EPOCH', async () => {
  for (const o of ['cyclonedx', 'cyclonedx-1.6', 'cyclonedx-1.7', 'spdx', 'slsa'])
    assert.equal(parseInspectArgs(['x', '--output', o]).output, o);
  assert.throws(
    () => parseInspectArgs(['x', '--output', 'cyclonedx-1.5']),
    (e) =>
      isRecipeError(e, 'usage') && /cyclonedx, cyclonedx-1\.6, cyclonedx-1\.7, spdx, slsa/.test(e.message),
  );
  const help = await cli(['inspect', '--help']);
  assert.equal(help.code, 0);
  for (const word of ['cyclonedx-1.7', 'spdx', 'slsa', 'SOURCE_DATE_EPOCH', 'docs/sbom.md'])
    assert.ok(help.stdout.includes(word), `--help mentions ${word}`);
});

void test('cyclonedx is 1.6, cyclonedx-1.6 the same bytes, cyclonedx-1.7 is 1.7', async () => {
  const env = { SOURCE_DATE_EPOCH: '0' };
  const plain = await cli(['inspect', `profile:${MANIFEST}`, '--output', 'cyclonedx'], { env });
  const explicit = await cli(['inspect', `profile:${MANIFEST}`, '--output', 'cyclonedx-1.6'], { env });
  const v17 = await cli(['inspect', `profile:${MANIFEST}`, '--output', 'cyclonedx-1.7'], { env });
  assert.equal((JSON.parse(plain.stdout) as Bom).specVersion, '1.6');
  assert.equal(explicit.stdout, plain.stdout);
  assert.equal((JSON.parse(v17.stdout) as Bom).specVersion, '1.7');
  assert.equal((JSON.parse(plain.stdout) as Bom).metadata.timestamp, '1970-01-01T00:00:00Z');
});

void test('the scan time is now without SOURCE_DATE_EPOCH', async () => {
  const before = Math.floor(Date.now() / 1000) * 1000;
  const r = await cli(['inspect', `profile:${MANIFEST}`, '--output', 'spdx']);
  const after = Date.now();
  assert.equal(r.code, 0, r.stderr);
  const created = Date.parse(
    (JSON.parse(r.stdout) as { creationInfo: { created: string } }).creationInfo.created,
  );
  assert.ok(created >= before && created <= after, `${created} within [${before}, ${after}]`);
});

void test('SOURCE_DATE_EPOCH: whole seconds since 1970; anything else is a usage error before any work', async () => {
  assert.equal(scanTime({ SOURCE_DATE_EPOCH: '1700000000' }), '2023-11-14T22:13:20.000Z');
  assert.equal(scanTime({}, new Date('2020-02-02T02:02:02.5Z')), '2020-02-02T02:02:02.500Z');
  for (const bad of ['', ' 1', '1.5', '-1', '1e9', 'now', '9999999999999']) {
    const r = await cli(['inspect', 'profile:/nonexistent', '--output', 'slsa'], {
      env: { SOURCE_DATE_EPOCH: bad },
    });
    assert.equal(r.code, 2, bad);
    assert.equal(r.stdout, '');
    assert.match(
      r.stderr,
      /^guix-recipes: SOURCE_DATE_EPOCH must be a whole number of seconds since 1970-01-01/,
    );
  }
  // Outputs that carry no time ignore it.
  const r = await cli(['inspect', `profile:${MANIFEST}`, '--output', 'manifest'], {
    env: { SOURCE_DATE_EPOCH: 'x' },
  });
  assert.equal(r.code, 0);
});

void test('profile: the subject is the profile directory (links resolved) and the digest of its manifest file', async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'guix-recipes-attest-'));
  t.after(() => rmSync(tmp, { recursive: true, force: true }));
  const profileDir = join(tmp, 'abc-profile');
  mkdirSync(profileDir);
  copyFileSync(MANIFEST, join(profileDir, 'manifest'));
  const digest = `sha256:${createHash('sha256').update(readFileSync(MANIFEST)).digest('hex')}`;
  const env = { SOURCE_DATE_EPOCH: '1' };

  const dir = await cli(['inspect', `profile:${profileDir}`, '--output', 'cyclonedx'], { env });
  assert.equal(dir.code, 0, dir.stderr);
  const subject = (JSON.parse(dir.stdout) as Bom).metadata.component;
  assert.equal(subject.type, 'application');
  assert.equal(subject.name, realpathSync(profileDir));
  assert.equal(subject.version, digest);
  assert.deepEqual(subject.properties.find((p) => p.name === 'guix:digest-of')?.value, 'profile-manifest');
  assert.deepEqual(
    subject.properties.find((p) => p.name === 'guix:profile')?.value,
    realpathSync(profileDir),
  );

  // A manifest file by another name: the subject is that file.
  const file = await cli(['inspect', `profile:${MANIFEST}`, '--output', 'slsa'], { env });
  const statement = JSON.parse(file.stdout) as { subject: { name: string; digest: { sha256: string } }[] };
  assert.equal(statement.subject[0]!.name, resolve(MANIFEST));
  assert.equal(`sha256:${statement.subject[0]!.digest.sha256}`, digest);
});

void test('a local image: the subject is the source with its path made absolute', async () => {
  const r = await cli(['inspect', 'docker-archive:image.tar.gz', '--output', 'cyclonedx'], {
    cwd: FIXTURE,
    env: { SOURCE_DATE_EPOCH: '1' },
  });
  assert.equal(r.code, 0, r.stderr);
  const subject = (JSON.parse(r.stdout) as Bom).metadata.component;
  assert.equal(subject.type, 'container');
  assert.equal(subject.name, `docker-archive:${resolve(FIXTURE, 'image.tar.gz')}`);
  assert.match(subject.version, /^sha256:[0-9a-f]{64}$/);
});
