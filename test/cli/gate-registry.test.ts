// `gate docker://...` against a real docker-registry (images pushed with skopeo): the same verdicts as
// from the archives, and an index judged on every platform, or on the one --platform names.
import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startRegistry, type RunningRegistry } from '../harness/registry.js';
import { pushArchive, pushIndex, tempDir, unpackFixture } from '../harness/skopeo.js';
import { cli } from './capture.js';

void describe('gate on images in a real registry', { timeout: 300_000 }, () => {
  let reg: RunningRegistry;
  let work: string;
  let policy: string;

  before(async () => {
    [reg, work] = await Promise.all([startRegistry(), tempDir()]);
    const [seed, two] = await Promise.all([
      unpackFixture('seed-python-numpy', work),
      unpackFixture('two-channels', work),
    ]);
    const amd = await pushArchive(seed, `${reg.host}/team/multi:amd64`, 'oci');
    const arm = await pushArchive(two, `${reg.host}/team/multi:arm64`, 'v2s2');
    await pushIndex(reg.url, 'team/multi', 'latest', [
      { image: amd, platform: { os: 'linux', architecture: 'amd64' } },
      { image: arm, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
    ]);
    policy = join(work, 'policy.yaml');
    await writeFile(
      policy,
      'apiVersion: guix-recipes/v1\nkind: Policy\nname: ci\nrules:\n  packages:\n    deny: ["python@<3.10"]\n',
    );
  });
  after(async () => {
    await reg?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const gate = (ref: string, ...extra: string[]) =>
    cli(['gate', `docker://${reg.host}/${ref}`, '--tls-verify=false', '--policy', policy, ...extra]);

  void test('single images: allowed and denied', async () => {
    const ok = await gate('team/multi:arm64');
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stderr, '');
    const no = await gate('team/multi:amd64');
    assert.equal(no.code, 1, no.stderr);
    assert.equal(no.stderr, 'deny: package-denied: package python@3.8.2 is denied by "python@<3.10"\n');
  });

  void test('an index: every platform judged, or the one asked', async () => {
    const all = await gate('team/multi:latest', '--output', 'json');
    assert.equal(all.code, 1, all.stderr);
    assert.equal(
      all.stderr,
      'deny: linux/amd64: package-denied: package python@3.8.2 is denied by "python@<3.10"\n',
    );
    const v = JSON.parse(all.stdout);
    assert.equal(v.recipeDigests.length, 2);
    const arm = await gate('team/multi:latest', '--platform', 'linux/arm64/v8');
    assert.equal(arm.code, 0, arm.stderr);
  });

  void test('an image the registry does not have: could not decide (3)', async () => {
    const r = await gate('team/absent:1');
    assert.equal(r.code, 3);
    assert.match(r.stderr, /^guix-recipes: [^\n]+\n$/);
  });
});
