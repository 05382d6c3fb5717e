// The verdict function, rule by rule, allowing and denying, on the recipes of the fixture images
// (the facts come from their profile manifests: test/fixtures/guix-images/*/export-channels.scm and
// manifest-pinned.scm show them), plus unknown images, indexes, warn mode, order and purity.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Recipe, RecipeDependency } from '../../shared/guix/recipe.js';
import { compilePolicy } from '../../shared/policy/compile-policy.js';
import { DEFAULT_POLICY_DOCUMENT, defaultPolicy } from '../../shared/policy/default-policy.js';
import { evaluate } from '../../shared/policy/evaluate.js';
import { policyDigest } from '../../shared/policy/policy-digest.js';
import type { Subject } from '../../shared/policy/subject.js';
import type { Reason, Verdict } from '../../shared/policy/verdict.js';
import {
  COMMIT_36,
  COMMIT_EB,
  COMMIT_FB,
  digestOf,
  FIXTURES,
  GUIX_HPC_URL,
  GUIX_INTRO,
  GUIX_SCIENCE_INTRO,
  GUIX_SCIENCE_URL,
  GUIX_URL,
  policyWith,
  recipeOf,
  recipePlatform,
  subjectOf,
  type Fixture,
} from './policy-fixtures.js';

/** A reason's facts, for reading fields whatever the code. */
function f(r: Reason | undefined): Record<string, unknown> {
  return r?.facts ?? {};
}

function codes(v: Verdict | Reason[]): string[] {
  const reasons = Array.isArray(v) ? v : v.reasons;
  return reasons.map((r) => (r.platform ? `${r.platform} ${r.code}` : r.code));
}

function outcomes(policy = defaultPolicy()): Record<string, string> {
  return Object.fromEntries(FIXTURES.map((f) => [f, evaluate(policy, subjectOf(f)).outcome]));
}

/** The fixtures a policy denies. */
function denied(policy = defaultPolicy()): Fixture[] {
  return FIXTURES.filter((f) => evaluate(policy, subjectOf(f)).outcome === 'deny');
}

void describe('the default policy: allow exactly the images whose recipe is known and carries provenance', () => {
  void test('every fixture with provenance is allowed, the one without is denied', () => {
    assert.deepEqual(denied(), ['no-provenance']);
    const v = evaluate(defaultPolicy(), subjectOf('no-provenance'));
    assert.deepEqual(v.reasons, [
      {
        code: 'no-provenance',
        message:
          "the recipe records no provenance, so the channels it was built from are unknown; rebuild it with 'guix pack --save-provenance'",
        facts: { packages: ['hello@2.12.1', 'bash@5.1.16', 'coreutils@9.1'] },
      },
    ]);
    assert.equal(v.policy.name, 'default');
    assert.equal(v.policy.version, policyDigest(DEFAULT_POLICY_DOCUMENT));
    assert.equal(v.policy.mode, 'enforce');
    assert.deepEqual(v.recipeDigests, [digestOf('no-provenance')]);
  });

  void test('an allowed image: no reasons, no warnings, the digests judged', () => {
    const v = evaluate(defaultPolicy(), subjectOf('two-channels'));
    assert.deepEqual(v, {
      outcome: 'allow',
      reasons: [],
      warnings: [],
      recipeDigests: [digestOf('two-channels')],
      policy: { name: 'default', version: policyDigest(DEFAULT_POLICY_DOCUMENT), mode: 'enforce' },
    });
  });

  void test('no recipe (not a Guix image, no profile) is denied', () => {
    for (const kind of ['not-guix', 'no-profile'] as const) {
      const v = evaluate(defaultPolicy(), {
        known: true,
        platforms: [{ kind, digest: 'sha256:ab', reason: 'no Guix in the config' }],
      });
      assert.equal(v.outcome, 'deny');
      assert.deepEqual(v.reasons[0]?.facts, {
        result: kind,
        reason: 'no Guix in the config',
        digest: 'sha256:ab',
      });
      assert.deepEqual(codes(v), ['no-recipe']);
      assert.deepEqual(v.recipeDigests, []);
    }
    const empty = evaluate(defaultPolicy(), { known: true, platforms: [] });
    assert.deepEqual(codes(empty), ['no-recipe']);
  });

  void test('images without a stored recipe are denied, saying why', () => {
    for (const state of ['never-scanned', 'queued', 'running'] as const) {
      const v = evaluate(defaultPolicy(), { known: false, state });
      assert.equal(v.outcome, 'deny');
      assert.deepEqual(
        v.reasons.map((r) => [r.code, r.facts]),
        [['not-scanned', { state }]],
      );
    }
    const failed = evaluate(defaultPolicy(), {
      known: false,
      state: 'failed',
      error: { code: 'unauthorized', message: 'the registry refused our credentials' },
    });
    assert.equal(failed.outcome, 'deny');
    assert.equal(failed.reasons[0]?.code, 'scan-failed');
    assert.match(failed.reasons[0].message, /unauthorized: the registry refused our credentials/);
  });
});

void describe('rule: recipe', () => {
  const notGuix: Subject = { known: true, platforms: [{ kind: 'not-guix', reason: 'no Guix history' }] };
  void test('required (default): an image without recipe is denied', () => {
    assert.equal(evaluate(policyWith({ recipe: { required: true } }), notGuix).outcome, 'deny');
  });
  void test('not required: an image without recipe is allowed, recipes are still judged', () => {
    const p = policyWith({ recipe: { required: false }, packages: { deny: ['python@<3.10'] } });
    assert.equal(evaluate(p, notGuix).outcome, 'allow');
    assert.equal(evaluate(p, subjectOf('seed-python-numpy')).outcome, 'deny');
  });
});

void describe('rule: provenance', () => {
  void test('not required: the image without provenance is allowed', () => {
    assert.deepEqual(denied(policyWith({ provenance: { required: false } })), []);
  });

  void test('partial provenance is denied by default, allowed with allowPartial', () => {
    const partial: Subject = {
      known: true,
      platforms: [
        {
          kind: 'recipe',
          recipe: recipeOf('example3', 'test/fixtures/guix-vectors/example3.profile-manifest'),
        },
      ],
    };
    const v = evaluate(defaultPolicy(), partial);
    assert.deepEqual(
      v.reasons.map((r) => [r.code, r.facts]),
      [['partial-provenance', { packages: ['python-numpy@1.26.2'] }]],
    );
    assert.match(v.reasons[0]!.message, /^1 package carries no provenance \(python-numpy@1\.26\.2\)/);
    assert.equal(evaluate(policyWith({ provenance: { allowPartial: true } }), partial).outcome, 'allow');
  });
});

void describe('rule: channels allowed by URL', () => {
  const guixOnly = policyWith({ channels: { allowed: [{ url: GUIX_URL }] } });

  void test('a channel not listed is denied; images of listed channels only are allowed', () => {
    assert.deepEqual(denied(guixOnly), ['mixed-commits', 'no-provenance', 'two-channels']);
    const v = evaluate(guixOnly, subjectOf('two-channels'));
    assert.deepEqual(v.reasons, [
      {
        code: 'channel-not-allowed',
        message: `channel guix-science (${GUIX_SCIENCE_URL}) is not among the channels the policy allows`,
        facts: {
          channel: 'guix-science',
          url: GUIX_SCIENCE_URL,
          commits: ['5c8d3b6a2f9e7d1c0b4a3e2d1c0f9e8d7c6b5a49'],
        },
      },
    ]);
    assert.deepEqual(
      evaluate(guixOnly, subjectOf('mixed-commits')).reasons.map((r) => r.facts),
      [{ channel: 'guix-hpc', url: GUIX_HPC_URL, commits: ['0123456789abcdef0123456789abcdef01234567'] }],
    );
  });

  void test('listing the second channel allows it', () => {
    const p = policyWith({ channels: { allowed: [{ url: GUIX_URL }, { url: GUIX_SCIENCE_URL }] } });
    assert.deepEqual(denied(p), ['mixed-commits', 'no-provenance']);
  });

  void test('URLs compare exactly: another spelling of the same repository is another channel', () => {
    const p = policyWith({ channels: { allowed: [{ url: `${GUIX_URL}/` }] } });
    assert.equal(evaluate(p, subjectOf('seed-python-numpy')).outcome, 'deny');
  });

  void test('an image without provenance has no channel to refuse (provenance is its own rule)', () => {
    const p = policyWith({ provenance: { required: false }, channels: { allowed: [{ url: GUIX_URL }] } });
    assert.equal(evaluate(p, subjectOf('no-provenance')).outcome, 'allow');
  });
});

void describe('rule: channel introductions', () => {
  void test('a matching introduction is allowed, fingerprints compared without spaces or case', () => {
    for (const signer of [GUIX_INTRO.signer, GUIX_INTRO.signer.replace(/ /g, '').toLowerCase()]) {
      const p = policyWith({
        channels: {
          allowed: [
            { url: GUIX_URL, introduction: { commit: GUIX_INTRO.commit.toUpperCase(), signer } },
            { url: GUIX_SCIENCE_URL, introduction: GUIX_SCIENCE_INTRO },
          ],
        },
      });
      assert.deepEqual(denied(p), ['mixed-commits', 'no-provenance']);
    }
  });

  void test('a different introduction is denied, with both introductions in the facts', () => {
    const other = { commit: GUIX_INTRO.commit, signer: GUIX_SCIENCE_INTRO.signer };
    const p = policyWith({ channels: { allowed: [{ url: GUIX_URL, introduction: other }] } });
    const v = evaluate(p, subjectOf('seed-python-numpy'));
    assert.deepEqual(
      v.reasons.map((r) => [r.code, r.facts]),
      [['introduction-mismatch', { channel: 'guix', url: GUIX_URL, recorded: GUIX_INTRO, expected: other }]],
    );
    assert.match(
      v.reasons[0]!.message,
      /introduced by commit 9edb3f66.* signed by BBB0 2DDF.*; the policy requires commit 9edb3f66.* signed by CA4F/,
    );
  });

  void test('a required introduction that was not recorded is denied', () => {
    const p = policyWith({
      channels: {
        allowed: [{ url: GUIX_URL }, { url: GUIX_HPC_URL, introduction: GUIX_SCIENCE_INTRO }],
      },
    });
    assert.deepEqual(
      evaluate(p, subjectOf('mixed-commits')).reasons.map((r) => [r.code, r.facts]),
      [['no-introduction', { channel: 'guix-hpc', url: GUIX_HPC_URL }]],
    );
  });

  void test('allowWithoutIntroduction: false denies any channel recorded without one', () => {
    const p = policyWith({ channels: { allowWithoutIntroduction: false } });
    assert.deepEqual(denied(p), ['mixed-commits', 'no-provenance']);
    assert.deepEqual(codes(evaluate(p, subjectOf('mixed-commits'))), ['no-introduction']);
    assert.deepEqual(denied(policyWith({ channels: { allowWithoutIntroduction: true } })), ['no-provenance']);
  });
});

void describe('rule: commits per channel', () => {
  const allowScience = { url: GUIX_SCIENCE_URL };
  const allowHpc = { url: GUIX_HPC_URL };

  void test('deny list: a full commit', () => {
    const p = policyWith({
      channels: { allowed: [{ url: GUIX_URL, commits: { deny: [COMMIT_FB] } }, allowScience, allowHpc] },
    });
    assert.deepEqual(denied(p), ['mixed-commits', 'no-provenance', 'seed-python-numpy', 'v3']);
    assert.deepEqual(
      evaluate(p, subjectOf('seed-python-numpy')).reasons.map((r) => [r.code, r.facts]),
      [['commit-denied', { channel: 'guix', url: GUIX_URL, commit: COMMIT_FB, rule: COMMIT_FB }]],
    );
  });

  void test('deny list: a prefix of 7, any case, matches every commit of the channel, not only the exported one', () => {
    const p = policyWith({
      channels: { allowed: [{ url: GUIX_URL, commits: { deny: ['3682BD3'] } }, allowScience, allowHpc] },
    });
    assert.deepEqual(denied(p), ['mixed-commits', 'no-provenance']);
    const [r] = evaluate(p, subjectOf('mixed-commits')).reasons;
    assert.deepEqual(r?.facts, { channel: 'guix', url: GUIX_URL, commit: COMMIT_36, rule: '3682BD3' });
  });

  void test('allow list: every other commit is denied, one reason per commit', () => {
    const p = policyWith({
      channels: {
        allowed: [{ url: GUIX_URL, commits: { allow: [COMMIT_EB.slice(0, 10)] } }, allowScience, allowHpc],
      },
    });
    assert.deepEqual(denied(p), ['mixed-commits', 'no-provenance', 'seed-python-numpy', 'v3']);
    assert.deepEqual(
      evaluate(p, subjectOf('mixed-commits')).reasons.map((r) => [r.code, r.facts]),
      [
        ['commit-not-allowed', { channel: 'guix', url: GUIX_URL, commit: COMMIT_36 }],
        ['commit-not-allowed', { channel: 'guix', url: GUIX_URL, commit: COMMIT_FB }],
      ],
    );
    assert.equal(evaluate(p, subjectOf('two-channels')).outcome, 'allow');
  });

  void test('deny wins over allow', () => {
    const p = policyWith({
      channels: { allowed: [{ url: GUIX_URL, commits: { allow: [COMMIT_EB], deny: [COMMIT_EB] } }] },
    });
    assert.deepEqual(codes(evaluate(p, subjectOf('layered'))), ['commit-denied']);
  });

  void test('an empty allow list allows no commit', () => {
    const p = policyWith({ channels: { allowed: [{ url: GUIX_URL, commits: { allow: [] } }] } });
    assert.deepEqual(codes(evaluate(p, subjectOf('layered'))), ['commit-not-allowed']);
  });
});

void describe('rule: packages denied by name and version range', () => {
  void test('python@<3.10 denies the images with Python 3.8', () => {
    const p = policyWith({ packages: { deny: ['python@<3.10'] } });
    assert.deepEqual(denied(p), ['no-provenance', 'seed-python-numpy', 'v3']);
    const v = evaluate(p, subjectOf('seed-python-numpy'));
    assert.deepEqual(v.reasons, [
      {
        code: 'package-denied',
        message: 'package python@3.8.2 is denied by "python@<3.10"',
        facts: {
          package: 'python',
          version: '3.8.2',
          output: 'out',
          storePath: f(v.reasons[0]).storePath as string,
          rule: 'python@<3.10',
          via: [],
        },
      },
    ]);
    assert.match(f(v.reasons[0]).storePath as string, /^\/gnu\/store\/[a-z0-9]{32}-python-3\.8\.2$/);
  });

  void test('propagated inputs are judged, each store item once, with the chain that brings it', () => {
    const p = policyWith({ packages: { deny: ['python-wrapper@3.10', 'python-six'] } });
    const v = evaluate(p, subjectOf('propagated'));
    assert.deepEqual(
      v.reasons.map((r) => [r.code, r.message]),
      [
        [
          'package-denied',
          'package python-wrapper@3.10.7 is denied by "python-wrapper@3.10" (propagated via python-pandas@1.5.3 -> python-numpy@1.23.2)',
        ],
        [
          'package-denied',
          'package python-six@1.16.0 is denied by "python-six" (propagated via python-pandas@1.5.3 -> python-dateutil@2.8.2)',
        ],
      ],
    );
    // v3 nests python-wrapper 3.8.2 under python-numpy: outside 3.10.
    assert.deepEqual(denied(p), ['no-provenance', 'propagated']);
    assert.deepEqual(denied(policyWith({ packages: { deny: ['python-wrapper@<3.10'] } })), [
      'no-provenance',
      'v3',
    ]);
  });

  void test('every output of a package is an entry of its own', () => {
    const v = evaluate(policyWith({ packages: { deny: ['git@>=2.45'] } }), subjectOf('multi-output'));
    assert.deepEqual(
      v.reasons.map((r) => [f(r).package, f(r).output]),
      [
        ['git', 'send-email'],
        ['git', 'out'],
      ],
    );
    assert.match(v.reasons[0]!.message, /^package git@2\.45\.2:send-email is denied/);
  });

  void test('ranges: openssl@3.0.0..3.0.7 matches nothing here, python@3.10.0..3.10.7 matches 3.10.7', () => {
    assert.deepEqual(
      denied(policyWith({ provenance: { required: false }, packages: { deny: ['openssl@3.0.0..3.0.7'] } })),
      [],
    );
    assert.deepEqual(denied(policyWith({ packages: { deny: ['python@3.10.0..3.10.7'] } })), [
      'mixed-commits',
      'no-provenance',
      'transformations',
      'two-channels',
    ]);
  });

  void test('a chain of 100,000 propagated inputs is walked without recursion', () => {
    const recipe: Recipe = recipeOf('layered');
    let bottom: RecipeDependency = {
      name: 'evil',
      version: '1',
      output: 'out',
      storePath: '/gnu/store/x-evil-1',
      propagated: [],
    };
    for (let i = 0; i < 100_000; i++)
      bottom = {
        name: `p${i}`,
        version: '1',
        output: 'out',
        storePath: `/gnu/store/x-p${i}-1`,
        propagated: [bottom],
      };
    recipe.packages[0]!.propagated = [bottom];
    const v = evaluate(policyWith({ packages: { deny: ['evil'] } }), {
      known: true,
      platforms: [{ kind: 'recipe', recipe }],
    });
    assert.deepEqual(codes(v), ['package-denied']);
    assert.equal((f(v.reasons[0]).via as string[]).length, 100_001);
    assert.match(
      v.reasons[0]!.message,
      /propagated via lib0@1\.0 -> p99999@1 -> p99998@1 -> … -> p1@1 -> p0@1\)$/,
    );
  });
});

void describe('rule: transformations', () => {
  void test('not allowed: every transformed package is named with its options', () => {
    const p = policyWith({ transformations: { allowed: false } });
    assert.deepEqual(denied(p), ['no-provenance', 'transformations']);
    assert.deepEqual(
      evaluate(p, subjectOf('transformations')).reasons.map((r) => r.message),
      [
        'package python@3.10.7 is built with transformations (with-c-toolchain=python=gcc-toolchain@10.5.0), which the policy does not allow',
        'package python-numpy@1.23.2 is built with transformations (with-c-toolchain=python=gcc-toolchain@10.5.0), which the policy does not allow',
        'package openblas@0.3.20 is built with transformations (tune=znver3), which the policy does not allow',
        'package hwloc@2.10.0:lib is built with transformations (with-latest=hwloc), which the policy does not allow',
      ],
    );
  });
  void test('allowed (default)', () => {
    assert.equal(
      evaluate(policyWith({ transformations: { allowed: true } }), subjectOf('transformations')).outcome,
      'allow',
    );
  });
});

void describe('rule: platforms of an index', () => {
  const index: Subject = {
    known: true,
    digest: 'sha256:index',
    platforms: [
      recipePlatform('seed-python-numpy', 'linux/amd64'),
      recipePlatform('two-channels', 'linux/arm64/v8'),
    ],
  };
  const oldPython = { packages: { deny: ['python@<3.10'] } };

  void test('all (default): every platform must pass; the reasons name their platform', () => {
    const v = evaluate(policyWith(oldPython), index);
    assert.equal(v.outcome, 'deny');
    assert.deepEqual(codes(v), ['linux/amd64 package-denied']);
    assert.deepEqual(v.recipeDigests, [digestOf('seed-python-numpy'), digestOf('two-channels')]);
    assert.equal(
      evaluate(policyWith({ ...oldPython, platforms: { require: 'all' } }), index).outcome,
      'deny',
    );
  });

  void test('any: one passing platform allows, the failing ones become warnings', () => {
    const v = evaluate(policyWith({ ...oldPython, platforms: { require: 'any' } }), index);
    assert.equal(v.outcome, 'allow');
    assert.deepEqual(codes(v.warnings), ['linux/amd64 package-denied']);
    const none = evaluate(
      policyWith({ packages: { deny: ['python'] }, platforms: { require: 'any' } }),
      index,
    );
    assert.equal(none.outcome, 'deny');
    assert.deepEqual(codes(none), ['linux/amd64 package-denied', 'linux/arm64/v8 package-denied']);
  });

  void test('a platform that is not a Guix image fails the recipe rule', () => {
    const mixed: Subject = {
      known: true,
      platforms: [
        recipePlatform('two-channels', 'linux/amd64'),
        { kind: 'not-guix', platform: 'linux/s390x', reason: 'Debian' },
      ],
    };
    assert.deepEqual(codes(evaluate(defaultPolicy(), mixed)), ['linux/s390x no-recipe']);
    assert.equal(evaluate(policyWith({ recipe: { required: false } }), mixed).outcome, 'allow');
  });
});

void describe('rule: images not scanned yet', () => {
  const never: Subject = { known: false, state: 'never-scanned' };
  void test('deny (default)', () => {
    assert.deepEqual(codes(evaluate(policyWith({ unscanned: { action: 'deny' } }), never)), ['not-scanned']);
  });
  void test('allow: allowed, with the reason as a warning', () => {
    const v = evaluate(policyWith({ unscanned: { action: 'allow' } }), never);
    assert.equal(v.outcome, 'allow');
    assert.deepEqual(codes(v.warnings), ['not-scanned']);
  });
  void test('scan: the caller is told to scan and how long it may wait', () => {
    const v = evaluate(policyWith({ unscanned: { action: 'scan', waitSeconds: 30 } }), never);
    assert.equal(v.outcome, 'needs-scan');
    assert.deepEqual(v.scan, { waitSeconds: 30 });
    assert.deepEqual(codes(v), ['not-scanned']);
    assert.deepEqual(evaluate(policyWith({ unscanned: { action: 'scan' } }), never).scan, {
      waitSeconds: 60,
    });
    const failed = evaluate(policyWith({ unscanned: { action: 'scan' } }), { known: false, state: 'failed' });
    assert.equal(failed.outcome, 'needs-scan');
    assert.deepEqual(codes(failed), ['scan-failed']);
  });
  void test('a known image is judged whatever the rule says', () => {
    assert.equal(evaluate(policyWith({ unscanned: { action: 'scan' } }), subjectOf('v3')).outcome, 'allow');
  });
});

void describe('mode', () => {
  void test('warn: what enforce denies is allowed, every reason kept as a warning', () => {
    const rules = { packages: { deny: ['python@<3.10'] }, transformations: { allowed: false } };
    const enforce = evaluate(policyWith(rules), subjectOf('seed-python-numpy'));
    const warn = evaluate(policyWith(rules, { mode: 'warn' }), subjectOf('seed-python-numpy'));
    assert.equal(enforce.outcome, 'deny');
    assert.equal(warn.outcome, 'allow');
    assert.deepEqual(warn.reasons, []);
    assert.deepEqual(warn.warnings, enforce.reasons);
    assert.equal(warn.policy.mode, 'warn');
  });
  void test('warn does not skip a scan', () => {
    const v = evaluate(policyWith({ unscanned: { action: 'scan' } }, { mode: 'warn' }), {
      known: false,
      state: 'queued',
    });
    assert.equal(v.outcome, 'needs-scan');
  });
});

void describe('verdicts are pure', () => {
  const strict = policyWith({
    provenance: { allowPartial: false },
    channels: {
      allowed: [{ url: GUIX_URL, commits: { deny: [COMMIT_FB] } }],
      allowWithoutIntroduction: false,
    },
    packages: { deny: ['python@<3.10', 'python-wrapper'] },
    transformations: { allowed: false },
  });

  void test('reasons come in the rules order, deterministically', () => {
    const v = evaluate(strict, subjectOf('v3'));
    assert.deepEqual(codes(v), ['commit-denied', 'package-denied', 'package-denied']);
    assert.deepEqual(
      v.reasons.map((r) => f(r).package ?? f(r).commit),
      [COMMIT_FB, 'python', 'python-wrapper'],
    );
    const mixed = evaluate(strict, subjectOf('mixed-commits'));
    assert.deepEqual(codes(mixed), ['commit-denied', 'channel-not-allowed']);
    for (const f of FIXTURES)
      assert.deepEqual(evaluate(strict, subjectOf(f)), evaluate(strict, subjectOf(f)));
  });

  void test('the subject and the policy are not changed', () => {
    const subject = subjectOf('propagated');
    const before = JSON.stringify(subject);
    const docBefore = JSON.stringify(strict.document);
    evaluate(strict, subject);
    assert.equal(JSON.stringify(subject), before);
    assert.equal(JSON.stringify(strict.document), docBefore);
  });

  void test('re-evaluation: another policy over the same stored recipes denies other images, without any scan', () => {
    const stored = new Map(FIXTURES.map((f) => [f, subjectOf(f)]));
    const deniedBy = (p: ReturnType<typeof policyWith>) =>
      [...stored].filter(([, s]) => evaluate(p, s).outcome === 'deny').map(([f]) => f);
    const v1 = policyWith(
      { provenance: { required: false }, packages: { deny: ['python@<3.10'] } },
      { name: 'prod' },
    );
    const v2 = policyWith(
      { provenance: { required: false }, packages: { deny: ['python@<3.11'] } },
      { name: 'prod' },
    );
    assert.notEqual(v1.version, v2.version);
    assert.deepEqual(deniedBy(v1), ['seed-python-numpy', 'v3']);
    assert.deepEqual(deniedBy(v2), [
      'mixed-commits',
      'seed-python-numpy',
      'transformations',
      'two-channels',
      'v3',
    ]);
  });

  void test('the version is the content hash unless a store gives one', () => {
    assert.equal(strict.version, policyDigest(strict.document));
    assert.equal(compilePolicy(strict.document, { version: '7' }).version, '7');
    assert.equal(
      evaluate(compilePolicy(strict.document, { version: '7' }), subjectOf('v3')).policy.version,
      '7',
    );
  });

  void test('fast: a compiled policy judges the largest fixture in microseconds', () => {
    const subject = subjectOf('propagated');
    const n = 20_000;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) evaluate(strict, subject);
    const perCallUs = ((performance.now() - t0) * 1000) / n;
    // Far below the 5 ms budget of a verdict request (a loose bound: this machine is shared).
    assert.ok(perCallUs < 200, `${perCallUs.toFixed(1)} µs per verdict`);
  });

  void test('every fixture has a verdict under the default policy', () => {
    assert.deepEqual(outcomes(), {
      layered: 'allow',
      'mixed-commits': 'allow',
      'multi-output': 'allow',
      'no-provenance': 'deny',
      propagated: 'allow',
      'seed-python-numpy': 'allow',
      transformations: 'allow',
      'two-channels': 'allow',
      v3: 'allow',
    });
  });
});
