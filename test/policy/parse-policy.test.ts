// Policy documents: valid ones in YAML and JSON, documents with mistakes (each error names the field
// and the line), and hostile ones (huge, alias bombs, deep nesting, tags, wrong types): one clear
// `invalid-policy` error, quickly, the process alive.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { RecipeError } from '../../shared/errors.js';
import { parsePolicyText, parsePolicyValue } from '../../shared/policy/parse-policy.js';
import { policyDigest } from '../../shared/policy/policy-digest.js';
import { formatIssue, policyIssuesOf, type PolicyIssue } from '../../shared/policy/policy-issues.js';
import { readPolicyFile } from '../../shared/policy/read-policy-file.js';

const HEAD = 'apiVersion: guix-recipes/v1\nkind: Policy\nname: prod\n';

/** The issues of a document that must be refused, formatted as the CLI prints them. */
function refused(text: string | Uint8Array, source = 'policy.yaml'): string[] {
  try {
    parsePolicyText(text, { source });
  } catch (err) {
    assert.ok(err instanceof RecipeError, `not a RecipeError: ${String(err)}`);
    assert.equal(err.code, 'invalid-policy');
    const issues = policyIssuesOf(err);
    assert.ok(issues.length > 0);
    assert.equal(err.message.split(' (and ')[0], formatIssue(issues[0]!, source));
    return issues.map((i) => formatIssue(i, source));
  }
  assert.fail('the document was accepted');
}

void describe('valid documents', () => {
  const yaml = `${HEAD}description: production clusters
mode: warn
rules:
  recipe: { required: true }
  provenance: { required: true, allowPartial: false }
  channels:
    allowWithoutIntroduction: false
    allowed:
      - url: https://git.savannah.gnu.org/git/guix.git
        introduction:
          commit: 9edb3f66fd807b096b48283debdcddccfea34bad
          signer: "BBB0 2DDF 2CEA F6A8 0D1D  E643 A2A0 6DF2 A33A 54FA"
        commits:
          deny: ["3682bd3", fb32a38db1d3a6d9bc970e14df5be95e59a8ab02]
  packages:
    deny: [python@<3.10, openssl@3.0.0..3.0.7]
  transformations: { allowed: false }
  platforms: { require: any }
  unscanned: { action: scan, waitSeconds: 30 }
`;

  void test('YAML and JSON of the same document give the same document and the same digest', () => {
    const fromYaml = parsePolicyText(yaml);
    assert.equal(fromYaml.mode, 'warn');
    assert.deepEqual(fromYaml.rules?.packages?.deny, ['python@<3.10', 'openssl@3.0.0..3.0.7']);
    // Keys in another order, as JSON, with tabs: the same policy.
    const json = JSON.stringify(Object.fromEntries(Object.entries(fromYaml).reverse()), null, '\t');
    const fromJson = parsePolicyText(json);
    assert.deepEqual(fromJson, fromYaml);
    assert.equal(policyDigest(fromJson), policyDigest(fromYaml));
    assert.match(policyDigest(fromYaml), /^sha256:[0-9a-f]{64}$/);
  });

  void test('any change of a value changes the digest; comments and layout do not', () => {
    const base = policyDigest(parsePolicyText(yaml));
    assert.equal(policyDigest(parsePolicyText(`# a comment\n${yaml}\n\n`)), base);
    assert.notEqual(policyDigest(parsePolicyText(yaml.replace('waitSeconds: 30', 'waitSeconds: 31'))), base);
  });

  void test('the smallest document: the header alone', () => {
    assert.deepEqual(parsePolicyText(HEAD), { apiVersion: 'guix-recipes/v1', kind: 'Policy', name: 'prod' });
  });

  void test('an inline document (already JSON data) is checked the same way', () => {
    const doc = parsePolicyText(yaml);
    assert.deepEqual(parsePolicyValue(structuredClone(doc)), doc);
  });
});

void describe('documents with mistakes: every error names the field and the line', () => {
  void test('a bad package range, at its line and column', () => {
    const text = `${HEAD}rules:
  transformations:
    allowed: false
  channels:
    allowed:
      - url: https://git.savannah.gnu.org/git/guix.git
  packages:
    deny:
      - openssl@3.0.0..3.0.7
      - python@<<3
`;
    assert.deepEqual(refused(text), [
      'policy.yaml:13:9: rules.packages.deny[1]: "python@<<3" is not a package range (want NAME, NAME@VERSION, NAME@<V, NAME@<=V, NAME@>V, NAME@>=V or NAME@A..B)',
    ]);
  });

  void test('every kind of mistake at once, in line order', () => {
    const text = [
      'apiVersion: guix-recipes/v2', // 1
      'kind: Policy', // 2
      'name: Production', // 3
      'mode: strict', // 4
      'colour: blue', // 5
      'rules:', // 6
      '  recipe: { required: yes }', // 7
      '  channels:', // 8
      '    allowed:', // 9
      '      - url: https://example.org/a.git', // 10
      '        introduction: { commit: 9edb3f6, signer: "BBB0 2DDF" }', // 11
      '        commits: { allow: [0123456], deny: [xyz1234] }', // 12
      '      - url: https://example.org/a.git', // 13
      '      - introduction: {}', // 14
      '  packages: { deny: python@<3.10 }', // 15
      '  unscanned: { action: allow, waitSeconds: 5 }', // 16
      '  platforms: { require: every }', // 17
      '',
    ].join('\n');
    assert.deepEqual(refused(text), [
      'policy.yaml:1:13: apiVersion: must be "guix-recipes/v1" (got the string "guix-recipes/v2")',
      'policy.yaml:3:7: name: "Production" is not a policy name (want lower-case letters, digits and -, at most 63, starting and ending with a letter or digit)',
      'policy.yaml:4:7: mode: must be one of enforce, warn (got the string "strict")',
      'policy.yaml:5:1: colour: unknown field (known here: apiVersion, kind, name, description, mode, rules)',
      'policy.yaml:7:23: rules.recipe.required: must be true or false (got the string "yes")',
      'policy.yaml:11:33: rules.channels.allowed[0].introduction.commit: "9edb3f6" is not a commit (want 40 hex digits)',
      'policy.yaml:11:50: rules.channels.allowed[0].introduction.signer: "BBB0 2DDF" is not an OpenPGP fingerprint (want 40 hex digits, spaces allowed)',
      'policy.yaml:12:28: rules.channels.allowed[0].commits.allow[0]: must be a string (got the number 123456; quote it)',
      'policy.yaml:12:45: rules.channels.allowed[0].commits.deny[0]: "xyz1234" is not a commit (want 40 hex digits, or a prefix of at least 7)',
      'policy.yaml:13:14: rules.channels.allowed[1].url: "https://example.org/a.git" is listed twice (first at rules.channels.allowed[0])',
      'policy.yaml:14:9: rules.channels.allowed[2]: missing field "url"',
      'policy.yaml:14:23: rules.channels.allowed[2].introduction: missing field "commit"',
      'policy.yaml:14:23: rules.channels.allowed[2].introduction: missing field "signer"',
      'policy.yaml:15:21: rules.packages.deny: must be a list (got the string "python@<3.10")',
      'policy.yaml:16:44: rules.unscanned.waitSeconds: applies only to action: scan',
      'policy.yaml:17:25: rules.platforms.require: must be one of all, any (got the string "every")',
    ]);
  });

  void test('a missing header field is reported at the top of the document', () => {
    assert.deepEqual(refused('apiVersion: guix-recipes/v1\nname: x\n'), [
      'policy.yaml:1:1: missing field "kind"',
    ]);
  });

  void test('JSON documents get lines too', () => {
    const json =
      '{\n  "apiVersion": "guix-recipes/v1",\n  "kind": "Policy",\n  "name": "j",\n  "rules": {"packages": {"deny": ["ok", 5]}}\n}\n';
    assert.deepEqual(refused(json, 'policy.json'), [
      'policy.json:5:41: rules.packages.deny[1]: must be a string (got the number 5; quote it)',
    ]);
  });

  void test('an inline document names fields, without lines', () => {
    try {
      parsePolicyValue({
        apiVersion: 'guix-recipes/v1',
        kind: 'Policy',
        name: 'x',
        rules: { packages: { deny: ['a@<<1'] } },
      });
      assert.fail('accepted');
    } catch (err) {
      assert.ok(err instanceof RecipeError);
      const issues: PolicyIssue[] = policyIssuesOf(err);
      assert.deepEqual(
        issues.map((i) => formatIssue(i)),
        [
          'rules.packages.deny[0]: "a@<<1" is not a package range (want NAME, NAME@VERSION, NAME@<V, NAME@<=V, NAME@>V, NAME@>=V or NAME@A..B)',
        ],
      );
    }
  });
});

void describe('hostile documents: one clear error, quickly', () => {
  /**
   * Refused within `ms`, whatever the error says; returns the issues. The bound is loose because a
   * busy 2-core machine runs these several times slower than a quiet one (a 10,001-item list took 3 s
   * under a load of 16); what it catches is work that grows with the square of the input, which takes
   * minutes at these sizes.
   */
  function refusedQuickly(text: string | Uint8Array, ms = 10_000): string[] {
    const t0 = performance.now();
    const issues = refused(text);
    const took = performance.now() - t0;
    assert.ok(took < ms, `took ${took.toFixed(0)} ms`);
    return issues;
  }

  void test('a huge document is refused before it is parsed', () => {
    const big = `${HEAD}description: "${'x'.repeat(300 * 1024)}"\n`;
    assert.deepEqual(refusedQuickly(big), [
      `policy.yaml: the document is too large (${Buffer.byteLength(big)} bytes; at most 262144)`,
    ]);
    assert.deepEqual(refusedQuickly(Buffer.from(big)), [
      `policy.yaml: the document is too large (${Buffer.byteLength(big)} bytes; at most 262144)`,
    ]);
  });

  void test('billion laughs: aliases are counted and their expansion capped', () => {
    let bomb = `${HEAD}a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n`;
    for (let i = 0; i < 9; i++) {
      const [me, prev] = [String.fromCharCode(98 + i), String.fromCharCode(97 + i)];
      bomb += `${me}: &${me} [${Array(9).fill(`*${prev}`).join(',')}]\n`;
    }
    const issues = refusedQuickly(bomb);
    assert.match(issues[0]!, /^policy\.yaml:\d+:\d+: too many aliases \(more than 64\)$/);
    // Fewer aliases, each expanding a large node: toJS's cap.
    const wide = `${HEAD}a: &a [${Array(200).fill('1').join(',')}]\nb: &b [${Array(20).fill('*a').join(',')}]\nc: [${Array(20).fill('*b').join(',')}]\n`;
    assert.match(refusedQuickly(wide)[0]!, /the aliases expand too much/);
  });

  void test('deep nesting, in flow and block style, is refused before the parser recurses', () => {
    const flow = '['.repeat(100_000) + ']'.repeat(100_000);
    assert.deepEqual(refusedQuickly(flow), [
      'policy.yaml:1:101: nested too deeply (more than 100 levels and columns of indentation)',
    ]);
    const block = Array.from({ length: 400 }, (_, i) => `${' '.repeat(i)}a:`).join('\n') + ' 1\n';
    assert.match(refusedQuickly(block)[0]!, /^policy\.yaml:102:\d+: nested too deeply/);
    const dashes = `${'- '.repeat(60_000)}x\n`;
    assert.match(refusedQuickly(dashes)[0]!, /^policy\.yaml:1:\d+: nested too deeply/);
    const maps = `${'{a: '.repeat(20_000)}1${'}'.repeat(20_000)}\n`;
    assert.match(refusedQuickly(maps)[0]!, /nested too deeply/);
  });

  void test('tags construct nothing: every explicit tag is refused', () => {
    for (const tagged of [
      'description: !!binary aGVsbG8=',
      'description: !!js/function "function () {}"',
      'description: !custom x',
      'description: !!str x',
    ]) {
      const issues = refusedQuickly(`${HEAD}${tagged}\n`);
      assert.ok(
        issues.some((i) => /tags are not allowed/.test(i)),
        `${tagged}: ${issues.join('; ')}`,
      );
    }
  });

  void test('duplicate keys, merge keys, several documents, complex keys', () => {
    assert.deepEqual(refused(`${HEAD}name: other\n`), ['policy.yaml:4:1: duplicate key "name"']);
    assert.deepEqual(refused(`${HEAD}---\n${HEAD}`), ['policy.yaml:4:1: only one document is allowed']);
    assert.match(
      refused(`${HEAD}rules:\n  <<: {recipe: {required: false}}\n`)[0]!,
      /rules\["<<"\]: unknown field/,
    );
    assert.ok(refused(`${HEAD}? [a, b]\n: 1\n`).some((i) => /keys must be plain strings/.test(i)));
  });

  void test('wrong types everywhere', () => {
    for (const [text, want] of [
      ['', 'policy.yaml:1:1: the policy is empty'],
      ['- a\n- b\n', 'policy.yaml:1:1: must be a mapping (key: value) (got a list)'],
      [
        '"just a string"\n',
        'policy.yaml:1:1: must be a mapping (key: value) (got the string "just a string")',
      ],
      [`${HEAD}rules: [1, 2]\n`, 'policy.yaml:4:8: rules: must be a mapping (key: value) (got a list)'],
      [
        `${HEAD}rules: { unscanned: { action: scan, waitSeconds: 1e400 } }\n`,
        'policy.yaml:4:50: rules.unscanned.waitSeconds: must be a whole number (got the number Infinity)',
      ],
      [
        `${HEAD}rules: { unscanned: { action: scan, waitSeconds: 2.5 } }\n`,
        'policy.yaml:4:50: rules.unscanned.waitSeconds: must be a whole number (got the number 2.5)',
      ],
      [
        `${HEAD}rules: { channels: { allowed: [ { url: "" } ] } }\n`,
        'policy.yaml:4:40: rules.channels.allowed[0].url: must not be empty',
      ],
      [
        `${HEAD}rules: { transformations: { allowed: null } }\n`,
        'policy.yaml:4:38: rules.transformations.allowed: must be true or false (got nothing)',
      ],
    ] as const) {
      assert.deepEqual(refused(text), [want], text);
    }
  });

  void test('control characters and invalid UTF-8', () => {
    assert.deepEqual(refused(`${HEAD}description: "a\u0007b"\n`), [
      'policy.yaml:4:16: control character U+0007 is not allowed',
    ]);
    assert.deepEqual(refused(Buffer.concat([Buffer.from(HEAD), Buffer.from([0xff, 0xfe])])), [
      'policy.yaml: the document is not valid UTF-8',
    ]);
  });

  void test('too many list items', () => {
    const deny = Array.from({ length: 10_001 }, (_, i) => `p${i}`).join(',');
    assert.deepEqual(refusedQuickly(`${HEAD}rules: { packages: { deny: [${deny}] } }\n`), [
      'policy.yaml:4:28: rules.packages.deny: has too many items (more than 10000)',
    ]);
  });
});

void describe('policy files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'policy-files-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  void test('a regular file is read, and its errors name it', async () => {
    writeFileSync(join(dir, 'ok.yaml'), HEAD);
    assert.equal((await readPolicyFile('ok.yaml', { cwd: dir })).name, 'prod');
    writeFileSync(join(dir, 'bad.yaml'), `${HEAD}mode: maybe\n`);
    await assert.rejects(readPolicyFile(join(dir, 'bad.yaml')), (err: RecipeError) => {
      assert.equal(err.code, 'invalid-policy');
      assert.equal(
        err.message,
        `${join(dir, 'bad.yaml')}:4:7: mode: must be one of enforce, warn (got the string "maybe")`,
      );
      return true;
    });
  });

  void test('missing files, directories and FIFOs are refused without blocking', async () => {
    await assert.rejects(readPolicyFile('nope.yaml', { cwd: dir }), { code: 'not-found' });
    mkdirSync(join(dir, 'sub'));
    await assert.rejects(readPolicyFile('sub', { cwd: dir }), {
      code: 'invalid-policy',
      message: 'sub: not a regular file',
    });
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    await assert.rejects(readPolicyFile('fifo', { cwd: dir }), {
      code: 'invalid-policy',
      message: 'fifo: not a regular file',
    });
  });
});
