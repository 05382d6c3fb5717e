/**
 * Verdicts through the API, on the fixture images pushed to a real docker-registry and scanned by the
 * real worker: every rule allowing and denying (inline policies), an index judged on every platform
 * or one, an image that is not Guix, images not scanned yet under each `unscanned` action, stored
 * policies (YAML and JSON, mistakes named with field and line, file policies read-only), and the
 * verdict index: change a stored policy and the list of denied images changes, with no scan running;
 * store a new recipe and it is judged under every policy; the gauge counts the denied images.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Value } from 'typebox/value';
import type { LightMyRequestResponse } from 'fastify';
import { VerdictSchema } from '../../shared/policy/verdict-schema.js';
import { DeniedPageSchema, VerdictResponseSchema } from '../../services/api/schemas/verdicts.js';
import { StoredPolicySchema } from '../../services/api/schemas/policies.js';
import { ProblemSchema } from '../../services/api/problem.js';
import { writeOciIndexLayout } from '../cli/oci-layout-builder.js';
import { pushFixture, pushIndex, skopeo, tempDir } from '../harness/skopeo.js';
import { startApiEnv, TOKENS, type ApiEnv } from './api-env.js';
import { parseExposition } from './prom-parse.js';
import { buildApp } from '../../services/api/app.js';
import { loadConfig } from '../../shared/config/load-config.js';

const GUIX_URL = 'https://git.savannah.gnu.org/git/guix.git';
const FIXTURES = [
  'layered',
  'mixed-commits',
  'multi-output',
  'no-provenance',
  'propagated',
  'seed-python-numpy',
  'transformations',
  'two-channels',
  'v3',
] as const;

let env: ApiEnv;
const digest: Record<string, string> = {};
let work: string;
const auth = (token = TOKENS.all) => ({ authorization: `Bearer ${token}` });

/** Rules that deny nothing by themselves (the defaults require a recipe with provenance). */
const LENIENT = { recipe: { required: false }, provenance: { required: false } };

const doc = (rules: object, head: object = {}) => ({
  apiVersion: 'guix-recipes/v1',
  kind: 'Policy',
  name: 'ci',
  ...head,
  rules,
});

before(async () => {
  work = await tempDir('guix-recipes-verdicts-');
  env = await startApiEnv({
    file: () => ({ policies: { verdictScanWaitSeconds: 20 } }),
  });
  const h = env.reg.host;
  for (const f of FIXTURES) {
    const pushed = await env.push(f, f, 'v1');
    digest[f] = pushed.digest;
  }
  // An index: seed-python-numpy for amd64, two-channels for arm64.
  const seed = await env.push('seed-python-numpy', 'multi', 'amd64');
  const two = await env.push('two-channels', 'multi', 'arm64');
  const index = await pushIndex(env.reg.url, 'multi', 'latest', [
    { image: seed, platform: { os: 'linux', architecture: 'amd64' } },
    { image: two, platform: { os: 'linux', architecture: 'arm64' } },
  ]);
  digest.multi = index.digest;
  // An image that is not Guix (an index of one Debian-like image).
  const layout = await writeOciIndexLayout(join(work, 'plain'), [
    { platform: { os: 'linux', architecture: 'amd64' }, notGuix: true },
  ]);
  await skopeo([
    'copy',
    '--all',
    '--preserve-digests',
    '--dest-tls-verify=false',
    layout,
    `docker://${h}/plain:v1`,
  ]);
  await Promise.all([...FIXTURES.map((f) => env.scan(`${h}/${f}:v1`)), env.scan(`${h}/multi:latest`)]);
  digest.plain = (await env.scan(`${h}/plain:v1`)).digest;
});
after(async () => {
  await env?.stop();
});

async function verdict(
  image: string,
  policy?: unknown,
  extra: Record<string, unknown> = {},
): Promise<{ res: LightMyRequestResponse; body: Record<string, unknown> & { outcome: string } }> {
  const res = await env.app.inject({
    method: 'POST',
    url: '/v1/verdicts',
    headers: auth(TOKENS.read),
    payload: { image, ...(policy === undefined ? {} : { policy }), ...extra },
  });
  return { res, body: res.json() };
}

const codes = (v: object) =>
  (((v as { reasons?: unknown }).reasons ?? []) as { code: string; platform?: string }[]).map((r) =>
    r.platform ? `${r.platform} ${r.code}` : r.code,
  );

void describe('every rule, allowing and denying, through POST /v1/verdicts', () => {
  const cases: { rule: string; rules?: object; image: string; outcome: 'allow' | 'deny'; codes: string[] }[] =
    [
      { rule: 'default policy', image: 'two-channels', outcome: 'allow', codes: [] },
      { rule: 'default policy', image: 'no-provenance', outcome: 'deny', codes: ['no-provenance'] },
      {
        rule: 'provenance not required',
        rules: { provenance: { required: false } },
        image: 'no-provenance',
        outcome: 'allow',
        codes: [],
      },
      {
        rule: 'channels allowed',
        rules: { channels: { allowed: [{ url: GUIX_URL }] } },
        image: 'seed-python-numpy',
        outcome: 'allow',
        codes: [],
      },
      {
        rule: 'channels allowed',
        rules: { channels: { allowed: [{ url: GUIX_URL }] } },
        image: 'two-channels',
        outcome: 'deny',
        codes: ['channel-not-allowed'],
      },
      {
        rule: 'introduction',
        rules: {
          channels: {
            allowed: [
              {
                url: GUIX_URL,
                introduction: {
                  commit: '9edb3f66fd807b096b48283debdcddccfea34bad',
                  signer: 'BBB0 2DDF 2CEA F6A8 0D1D  E643 A2A0 6DF2 A33A 54FA',
                },
              },
            ],
          },
        },
        image: 'layered',
        outcome: 'allow',
        codes: [],
      },
      {
        rule: 'introduction',
        rules: {
          channels: {
            allowed: [
              {
                url: GUIX_URL,
                introduction: {
                  commit: 'b1fe5aaff3ab48e798a4cce02f0212bc91f423dc',
                  signer: 'CA4F 8CF4 37D7 478F DA05  5FD4 4213 7701 1A37 8446',
                },
              },
            ],
          },
        },
        image: 'layered',
        outcome: 'deny',
        codes: ['introduction-mismatch'],
      },
      {
        rule: 'without introduction',
        rules: { channels: { allowWithoutIntroduction: false } },
        image: 'two-channels',
        outcome: 'allow',
        codes: [],
      },
      {
        rule: 'without introduction',
        rules: { channels: { allowWithoutIntroduction: false } },
        image: 'mixed-commits',
        outcome: 'deny',
        codes: ['no-introduction'],
      },
      {
        rule: 'commit deny list',
        rules: { channels: { allowed: [{ url: GUIX_URL, commits: { deny: ['fb32a38'] } }] } },
        image: 'multi-output',
        outcome: 'allow',
        codes: [],
      },
      {
        rule: 'commit deny list',
        rules: { channels: { allowed: [{ url: GUIX_URL, commits: { deny: ['fb32a38'] } }] } },
        image: 'v3',
        outcome: 'deny',
        codes: ['commit-denied'],
      },
      {
        rule: 'commit allow list',
        rules: {
          channels: {
            allowed: [{ url: GUIX_URL, commits: { allow: ['eb34ff16cc9038880e87e1a58a93331fca37ad92'] } }],
          },
        },
        image: 'transformations',
        outcome: 'allow',
        codes: [],
      },
      {
        rule: 'commit allow list',
        rules: { channels: { allowed: [{ url: GUIX_URL, commits: { allow: ['eb34ff1'] } }] } },
        image: 'seed-python-numpy',
        outcome: 'deny',
        codes: ['commit-not-allowed'],
      },
      {
        rule: 'package deny list',
        rules: { packages: { deny: ['python@<3.10'] } },
        image: 'two-channels',
        outcome: 'allow',
        codes: [],
      },
      {
        rule: 'package deny list',
        rules: { packages: { deny: ['python@<3.10'] } },
        image: 'seed-python-numpy',
        outcome: 'deny',
        codes: ['package-denied'],
      },
      {
        rule: 'propagated inputs',
        rules: { packages: { deny: ['python-six@1.16.0'] } },
        image: 'propagated',
        outcome: 'deny',
        codes: ['package-denied'],
      },
      {
        rule: 'transformations',
        rules: { transformations: { allowed: false } },
        image: 'multi-output',
        outcome: 'allow',
        codes: [],
      },
      {
        rule: 'transformations',
        rules: { transformations: { allowed: false } },
        image: 'transformations',
        outcome: 'deny',
        codes: [
          'transformations-denied',
          'transformations-denied',
          'transformations-denied',
          'transformations-denied',
        ],
      },
      { rule: 'recipe required', image: 'plain', outcome: 'deny', codes: ['linux/amd64 no-recipe'] },
      {
        rule: 'recipe not required',
        rules: { recipe: { required: false } },
        image: 'plain',
        outcome: 'allow',
        codes: [],
      },
    ];
  for (const c of cases) {
    void test(`${c.rule}: ${c.image} ${c.outcome === 'allow' ? 'allowed' : 'denied'}`, async () => {
      const ref = `${env.reg.host}/${c.image}:v1`;
      const { res, body } = await verdict(ref, c.rules ? doc(c.rules) : undefined);
      assert.equal(res.statusCode, 200, res.body);
      assert.ok(Value.Check(VerdictSchema, body), 'a verdict, as the CLI checks it');
      assert.ok(Value.Check(VerdictResponseSchema, body));
      assert.equal(body.outcome, c.outcome, res.body);
      assert.deepEqual(codes(body), c.codes);
      assert.equal(body.image, `${env.reg.host}/${c.image}@${digest[c.image]}`);
      assert.equal(body.tag, 'v1');
      const policy = body.policy as { name: string; version: string };
      assert.equal(policy.name, c.rules ? 'ci' : 'default');
      assert.match(policy.version, /^sha256:[0-9a-f]{64}$/);
      assert.ok(body.recipeDigests.length <= 1);
    });
  }

  void test('reasons carry the recipe facts behind them', async () => {
    const { body } = await verdict(
      `${env.reg.host}/propagated@${digest.propagated}`,
      doc({ packages: { deny: ['python-six@1.16.0'] } }),
    );
    const [r] = body.reasons as {
      code: string;
      facts: { package: string; version: string; via: string[]; rule: string };
    }[];
    assert.equal(r!.facts.package, 'python-six');
    assert.equal(r!.facts.version, '1.16.0');
    assert.equal(r!.facts.rule, 'python-six@1.16.0');
    assert.ok(r!.facts.via.length > 0, 'propagated: the chain is named');
    assert.deepEqual(body.recipeDigests, [digest.propagated]);
    assert.equal(body.tag, undefined, 'a digest reference names no tag');
  });

  void test('an index: every platform must pass, or the one asked', async () => {
    const ref = `${env.reg.host}/multi:latest`;
    const old = doc({ packages: { deny: ['python@<3.10'] } });
    const all = await verdict(ref, old);
    assert.equal(all.body.outcome, 'deny');
    assert.deepEqual(codes(all.body), ['linux/amd64 package-denied']);
    assert.equal((all.body.recipeDigests as string[]).length, 2);
    const arm = await verdict(ref, old, { platform: 'linux/arm64' });
    assert.equal(arm.body.outcome, 'allow', arm.res.body);
    const any = await verdict(
      ref,
      doc({ packages: { deny: ['python@<3.10'] }, platforms: { require: 'any' } }),
    );
    assert.equal(any.body.outcome, 'allow');
    assert.deepEqual(codes({ reasons: any.body.warnings }), ['linux/amd64 package-denied']);
    const none = await verdict(ref, old, { platform: 'linux/s390x' });
    assert.equal(none.res.statusCode, 404, none.res.body);
    assert.equal(none.body.code, 'platform-not-found');
  });

  void test('GET /v1/verdicts?image=&policy= gives the same verdict as POST', async () => {
    const ref = `${env.reg.host}/no-provenance:v1`;
    const res = await env.get(`/v1/verdicts?image=${encodeURIComponent(ref)}&policy=default`);
    assert.equal(res.statusCode, 200, res.body);
    const posted = await verdict(ref, 'default');
    assert.deepEqual(res.json(), posted.body);
    assert.deepEqual(codes(res.json()), ['no-provenance']);
  });

  void test('warn mode allows, with the reasons as warnings', async () => {
    const { body } = await verdict(`${env.reg.host}/no-provenance:v1`, doc({}, { mode: 'warn' }));
    assert.equal(body.outcome, 'allow');
    assert.deepEqual(codes(body), []);
    assert.deepEqual(codes({ reasons: body.warnings }), ['no-provenance']);
  });

  void test('mistakes: a bad inline policy is 422 with every field; a bad reference is 400; an unknown policy 404', async () => {
    const bad = await verdict(
      `${env.reg.host}/v3:v1`,
      doc({ packages: { deny: ['python@<<3'] }, colour: 1 }),
    );
    assert.equal(bad.res.statusCode, 422, bad.res.body);
    assert.ok(Value.Check(ProblemSchema, bad.body));
    assert.equal(bad.body.code, 'invalid-policy');
    const issues = (bad.body.details as { issues: { field: string }[] }).issues.map((i) => i.field).sort();
    assert.deepEqual(issues, ['rules.colour', 'rules.packages.deny[0]']);
    const ref = await verdict('Not A Reference', 'default');
    assert.equal(ref.res.statusCode, 400);
    assert.equal(ref.body.code, 'invalid-reference');
    const unknown = await verdict(`${env.reg.host}/v3:v1`, 'no-such-policy');
    assert.equal(unknown.res.statusCode, 404);
    assert.equal(unknown.body.code, 'not-found');
    const tag = await verdict(`${env.reg.host}/v3:no-such-tag`);
    assert.equal(tag.res.statusCode, 404, tag.res.body);
  });
});

void describe('images not scanned yet, under each unscanned action', () => {
  void test('deny, allow (with a warning), and scan: the verdict waits for the scan the policy asks for', async () => {
    const h = env.reg.host;
    // Docker schema 2 this time: a manifest digest the store has never seen.
    const pushed = await pushFixture('v3', `${h}/fresh:v1`, 'v2s2', work);
    const ref = `${h}/fresh:v1`;
    const deny = await verdict(ref);
    assert.equal(deny.body.outcome, 'deny');
    assert.deepEqual(codes(deny.body), ['not-scanned']);
    const allow = await verdict(ref, doc({ unscanned: { action: 'allow' } }));
    assert.equal(allow.body.outcome, 'allow');
    assert.deepEqual(codes({ reasons: allow.body.warnings }), ['not-scanned']);
    assert.equal(
      await env.app.store.getImage({ registry: h, repository: 'fresh', digest: pushed.digest }),
      undefined,
      'deny and allow queue nothing',
    );
    const scan = await verdict(ref, doc({ unscanned: { action: 'scan', waitSeconds: 30 } }));
    assert.equal(scan.res.statusCode, 200, scan.res.body);
    assert.equal(scan.body.outcome, 'allow', scan.res.body);
    assert.equal(scan.body.scanQueued, true);
    assert.deepEqual(scan.body.recipeDigests, [pushed.digest]);
  });

  void test('a registry the service may not read: judged as never scanned, saying why', async () => {
    const r = await verdict('elsewhere.example.org/team/app:1', doc({}));
    assert.equal(r.body.outcome, 'deny');
    const [reason] = r.body.reasons as { code: string; message: string }[];
    assert.equal(reason!.code, 'not-scanned');
    assert.match(reason!.message, /registry elsewhere\.example\.org is not one guix-recipes reads/);
  });
});

void describe('stored policies', () => {
  const put = (name: string, body: string, type = 'application/yaml', token = TOKENS.admin) =>
    env.app.inject({
      method: 'PUT',
      url: `/v1/policies/${name}`,
      headers: { ...auth(token), 'content-type': type },
      payload: body,
    });

  void test('YAML with mistakes: 422, each issue with its field, line and column', async () => {
    const res = await put(
      'prod',
      'apiVersion: guix-recipes/v1\nkind: Policy\nname: prod\ncolour: blue\nrules:\n  packages:\n    deny:\n      - python@<3.10\n      - python@<<3\n  transformations: { allowed: no }\n',
    );
    assert.equal(res.statusCode, 422, res.body);
    const p = res.json<{
      code: string;
      detail: string;
      details: { issues: { field: string; line: number; column: number }[] };
    }>();
    assert.equal(p.code, 'invalid-policy');
    assert.deepEqual(
      p.details.issues.map((i) => [i.field, i.line, i.column]),
      [
        ['colour', 4, 1],
        ['rules.packages.deny[1]', 9, 9],
        ['rules.transformations.allowed', 10, 31],
      ],
    );
    assert.match(p.detail, /^prod:4:1: colour: unknown field/);
  });

  void test('JSON is read as text too: its mistakes have lines', async () => {
    const res = await put(
      'prod',
      '{\n  "apiVersion": "guix-recipes/v1",\n  "kind": "Policy",\n  "name": "prod",\n  "mode": "loud"\n}\n',
      'application/json',
    );
    assert.equal(res.statusCode, 422, res.body);
    const [issue] = res.json<{ details: { issues: { field: string; line: number }[] } }>().details.issues;
    assert.deepEqual([issue!.field, issue!.line], ['mode', 5]);
  });

  void test('PUT, GET, the same again, a name that differs from the URL, DELETE', async () => {
    const yaml =
      'apiVersion: guix-recipes/v1\nkind: Policy\nname: crud\nrules:\n  packages: { deny: [openssl@3.0.0..3.0.7] }\n';
    const created = await put('crud', yaml);
    assert.equal(created.statusCode, 201, created.body);
    const p = created.json<{ version: string; generation: number; origin: string }>();
    assert.ok(Value.Check(StoredPolicySchema, p));
    assert.equal(p.origin, 'api');
    const again = await put('crud', `# the same, said differently\n${yaml}`);
    assert.equal(again.statusCode, 200);
    assert.equal(again.json<{ version: string }>().version, p.version, 'comments do not change the version');
    assert.equal(again.json<{ generation: number }>().generation, p.generation, 'nothing changed');
    const got = await env.get('/v1/policies/crud');
    assert.equal(got.statusCode, 200);
    assert.deepEqual(got.json<{ document: unknown }>().document, {
      apiVersion: 'guix-recipes/v1',
      kind: 'Policy',
      name: 'crud',
      rules: { packages: { deny: ['openssl@3.0.0..3.0.7'] } },
    });
    const list = await env.get('/v1/policies');
    assert.ok(list.json<{ items: { name: string }[] }>().items.some((i) => i.name === 'crud'));
    const misnamed = await put('other', yaml);
    assert.equal(misnamed.statusCode, 400, misnamed.body);
    const readOnly = await put('crud', yaml, 'application/yaml', TOKENS.read);
    assert.equal(readOnly.statusCode, 403, 'admin scope');
    const del = await env.app.inject({
      method: 'DELETE',
      url: '/v1/policies/crud',
      headers: auth(TOKENS.admin),
    });
    assert.equal(del.statusCode, 204);
    assert.equal((await env.get('/v1/policies/crud')).statusCode, 404);
    const gone = await verdict(`${env.reg.host}/v3:v1`, 'crud');
    assert.equal(gone.res.statusCode, 404);
    const again2 = await put('crud', yaml);
    assert.equal(again2.statusCode, 201);
    assert.ok(again2.json<{ generation: number }>().generation > p.generation, 'generations never go back');
  });

  void test('policies from configured files are stored at start-up and read-only through the API', async () => {
    const file = join(work, 'strict.yaml');
    await writeFile(
      file,
      'apiVersion: guix-recipes/v1\nkind: Policy\nname: strict\nrules:\n  transformations: { allowed: false }\n',
    );
    const config = loadConfig({
      env: {},
      file: { ...env.config, policies: { files: [file], default: 'strict' } },
    });
    const app = await buildApp({ config }, { logger: false });
    try {
      const until = Date.now() + 20_000;
      while (!(await app.policies.head('strict'))) {
        assert.ok(Date.now() < until, 'the file policy is stored');
        await new Promise((r) => setTimeout(r, 50));
      }
      const r = await app.inject({
        method: 'POST',
        url: '/v1/verdicts',
        headers: auth(),
        payload: { image: `${env.reg.host}/transformations@${digest.transformations}` },
      });
      assert.equal(r.json<{ policy: { name: string } }>().policy.name, 'strict', 'the configured default');
      assert.equal(r.json<{ outcome: string }>().outcome, 'deny');
      const refused = await app.inject({
        method: 'PUT',
        url: '/v1/policies/strict',
        headers: { ...auth(), 'content-type': 'application/yaml' },
        payload: 'apiVersion: guix-recipes/v1\nkind: Policy\nname: strict\n',
      });
      assert.equal(refused.statusCode, 403, refused.body);
      assert.match(refused.json<{ detail: string }>().detail, /configured from a file/);
      const got = await app.inject({ url: '/v1/policies/strict', headers: auth() });
      assert.equal(got.json<{ origin: string; source: string }>().origin, 'file');
    } finally {
      await app.close();
    }
    // A bad file stops start-up, naming the file, field and line.
    await writeFile(file, 'apiVersion: guix-recipes/v1\nkind: Policy\nname: strict\nmode: loud\n');
    const bad = loadConfig({ env: {}, file: { ...env.config, policies: { files: [file] } } });
    await assert.rejects(
      buildApp({ config: bad }, { logger: false }),
      /strict\.yaml:4:7: mode: must be one of enforce, warn/,
    );
  });
});

void describe('the verdict index: re-evaluation without scans', () => {
  const putJson = (name: string, body: object) =>
    env.app.inject({
      method: 'PUT',
      url: `/v1/policies/${name}`,
      headers: { ...auth(TOKENS.admin), 'content-type': 'application/json' },
      payload: JSON.stringify(body),
    });

  async function deniedNow(name: string): Promise<string[]> {
    const until = Date.now() + 30_000;
    for (;;) {
      const res = await env.get(`/v1/verdicts?policy=${name}&outcome=deny&limit=200`);
      assert.equal(res.statusCode, 200, res.body);
      const page = res.json<{
        complete: boolean;
        items: { image: string; reasons: { code: string }[] }[];
        total: number;
      }>();
      assert.ok(Value.Check(DeniedPageSchema, page), res.body);
      if (page.complete) {
        assert.equal(page.total, page.items.length);
        return page.items.map((i) => i.image).sort();
      }
      assert.ok(Date.now() < until, 'the re-evaluation finishes');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Every known image judged by its own verdict request: those denied. */
  async function deniedOneByOne(policy: string): Promise<string[]> {
    const known = await env.app.queries.findByState('done', { limit: 200 });
    const denied: string[] = [];
    for (const { image } of known.items) {
      const { body } = await verdict(image, policy);
      if (body.outcome === 'deny') denied.push(image);
    }
    return denied.sort();
  }

  async function scansSoFar(): Promise<number> {
    const counts = await env.app.scanQueue.getJobCounts('completed', 'failed', 'active', 'waiting');
    return Object.values(counts).reduce((a, b) => a + b, 0);
  }

  void test('change a stored policy: the list of denied images changes, and no scan runs', async () => {
    const h = env.reg.host;
    const name = (f: string) => `${h}/${f}@${digest[f]}`;
    const jobsBefore = await scansSoFar();
    const storeScans = async () =>
      Promise.all(
        FIXTURES.map(
          async (f) =>
            (await env.app.store.getImage({ registry: h, repository: f, digest: digest[f] as never }))?.scans,
        ),
      );
    const scansBefore = await storeScans();

    const first = await putJson(
      'reeval',
      doc({ ...LENIENT, packages: { deny: ['python@<3.10'] } }, { name: 'reeval' }),
    );
    assert.equal(first.statusCode, 201, first.body);
    const firstList = await deniedNow('reeval');
    assert.deepEqual(firstList, await deniedOneByOne('reeval'), 'the index says what each verdict says');
    assert.ok(
      firstList.includes(name('seed-python-numpy')) && firstList.includes(`${h}/multi@${digest.multi}`),
    );
    assert.ok(!firstList.includes(name('two-channels')) && !firstList.includes(name('transformations')));

    const second = await putJson(
      'reeval',
      doc({ ...LENIENT, transformations: { allowed: false } }, { name: 'reeval' }),
    );
    assert.equal(second.statusCode, 200, second.body);
    const secondList = await deniedNow('reeval');
    assert.deepEqual(secondList, [name('transformations')]);
    assert.deepEqual(secondList, await deniedOneByOne('reeval'));

    const listed = await env.get('/v1/verdicts?policy=reeval&outcome=deny');
    const item = listed.json<{
      items: { reasons: { code: string }[]; reasonCount: number; links: { verdict: string } }[];
    }>().items[0]!;
    assert.equal(item.reasons[0]!.code, 'transformations-denied');
    assert.equal(item.reasonCount, 4);
    assert.equal((await env.get(item.links.verdict)).json<{ outcome: string }>().outcome, 'deny');

    assert.equal(await scansSoFar(), jobsBefore, 'no scan job was added');
    assert.deepEqual(await storeScans(), scansBefore, 'no image was scanned again');

    const metrics = parseExposition((await env.get('/metrics')).body);
    assert.equal(metrics.value('guix_recipes_policy_denied_images', { policy: 'reeval' }), 1);
    assert.equal(metrics.value('guix_recipes_policy_index_complete', { policy: 'reeval' }), 1);

    const del = await env.app.inject({
      method: 'DELETE',
      url: '/v1/policies/reeval',
      headers: auth(TOKENS.admin),
    });
    assert.equal(del.statusCode, 204);
    assert.equal((await env.get('/v1/verdicts?policy=reeval&outcome=deny')).statusCode, 404);
  });

  void test('a recipe stored after the policy is judged under it at once (the worker updates the index)', async () => {
    const h = env.reg.host;
    const put = await putJson(
      'late',
      doc({ ...LENIENT, packages: { deny: ['python-six'] } }, { name: 'late' }),
    );
    assert.equal(put.statusCode, 201);
    assert.deepEqual(await deniedNow('late'), [`${h}/propagated@${digest.propagated}`]);
    const pushed = await env.push('propagated', 'late-arrival', 'v1');
    await env.scan(`${h}/late-arrival:v1`);
    const listed = await deniedNow('late');
    assert.deepEqual(
      listed,
      [`${h}/late-arrival@${pushed.digest}`, `${h}/propagated@${digest.propagated}`].sort(),
    );
  });

  void test('verdicts are answered from memory, and follow at once a policy another API process changes', async () => {
    const image = `${env.reg.host}/transformations@${digest.transformations}`;
    const admin = env.redis.connect();
    const other = await buildApp({ config: env.config }, { logger: false });
    const hmgets = async () =>
      Number(/cmdstat_hmget:calls=(\d+)/.exec(await admin.info('commandstats'))?.[1] ?? 0);
    try {
      const put = (rules: object) =>
        other.inject({
          method: 'PUT',
          url: '/v1/policies/shared',
          headers: { ...auth(TOKENS.admin), 'content-type': 'application/json' },
          payload: JSON.stringify(doc({ ...LENIENT, ...rules }, { name: 'shared' })),
        });
      assert.equal((await put({})).statusCode, 201);
      const outcome = async () => (await verdict(image, 'shared')).body.outcome;
      const until = async (want: string) => {
        for (const end = Date.now() + 2000; (await outcome()) !== want;) {
          assert.ok(Date.now() < end, `the verdict turns ${want} within a moment`);
          await new Promise((r) => setTimeout(r, 5));
        }
      };
      await until('allow');
      await deniedNow('shared'); // the other process's re-evaluation over: nothing else reads now
      await outcome(); // policy head and facts now held
      const before = await hmgets();
      for (let i = 0; i < 20; i++) assert.equal(await outcome(), 'allow');
      assert.equal(await hmgets(), before, 'twenty verdicts without one read of Redis');

      // Changed, then deleted, through the other process: this one's verdicts follow.
      assert.equal((await put({ transformations: { allowed: false } })).statusCode, 200);
      await until('deny');
      const del = await other.inject({
        method: 'DELETE',
        url: '/v1/policies/shared',
        headers: auth(TOKENS.admin),
      });
      assert.equal(del.statusCode, 204);
      for (const end = Date.now() + 2000; (await verdict(image, 'shared')).res.statusCode !== 404;)
        assert.ok(Date.now() < end, 'the deleted policy is gone here too');
    } finally {
      await other.close();
      admin.disconnect();
    }
  });

  void test('the default policy has its index too', async () => {
    const denied = await deniedNow('default');
    assert.ok(denied.includes(`${env.reg.host}/no-provenance@${digest['no-provenance']}`), denied.join('\n'));
    assert.ok(!denied.includes(`${env.reg.host}/two-channels@${digest['two-channels']}`));
  });
});
