// `guix-recipes gate`, in-process: every rule allowing and denying on the fixture images (scanned from
// their docker archives, as inspect reads them), an index with several platforms, the exit statuses
// (0 allow, 1 deny, 2 usage, 3 could not decide), policy files with mistakes, hostile facts, and the
// --server client against a tiny HTTP server that speaks the verdict contract.
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cli } from './capture.js';
import { writeOciIndexLayout } from './oci-layout-builder.js';

const IMAGES = 'test/fixtures/guix-images';
const archive = (f: string) => `docker-archive:${IMAGES}/${f}/image.tar.gz`;
const GUIX_URL = 'https://git.savannah.gnu.org/git/guix.git';
const HEAD = 'apiVersion: guix-recipes/v1\nkind: Policy\nname: ci\n';

const dir = mkdtempSync(join(tmpdir(), 'gate-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let policyCount = 0;

/** A policy file with these rules (YAML text under `rules:`), its path. */
function policyFile(rulesYaml: string, head = HEAD): string {
  const file = join(dir, `policy-${++policyCount}.yaml`);
  writeFileSync(file, `${head}rules:\n${rulesYaml.replace(/^/gm, '  ')}\n`);
  return file;
}

/** The reason codes on stderr, in order (`deny: [PLATFORM: ]CODE: ...`). */
function reasonCodes(stderr: string, kind = 'deny'): string[] {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith(`${kind}: `))
    .map((l) => {
      const parts = l.slice(kind.length + 2).split(': ');
      return /\//.test(parts[0]!) ? `${parts[0]} ${parts[1]}` : parts[0]!;
    });
}

void describe('standalone: every rule, allowing and denying', () => {
  const cases: { rule: string; rules?: string; image: string; exit: 0 | 1; codes: string[] }[] = [
    { rule: 'default policy', image: 'two-channels', exit: 0, codes: [] },
    { rule: 'default policy', image: 'no-provenance', exit: 1, codes: ['no-provenance'] },
    {
      rule: 'provenance not required',
      rules: 'provenance: { required: false }',
      image: 'no-provenance',
      exit: 0,
      codes: [],
    },
    {
      rule: 'channels allowed',
      rules: `channels: { allowed: [ { url: "${GUIX_URL}" } ] }`,
      image: 'seed-python-numpy',
      exit: 0,
      codes: [],
    },
    {
      rule: 'channels allowed',
      rules: `channels: { allowed: [ { url: "${GUIX_URL}" } ] }`,
      image: 'two-channels',
      exit: 1,
      codes: ['channel-not-allowed'],
    },
    {
      rule: 'introduction',
      rules: `channels:\n  allowed:\n    - url: ${GUIX_URL}\n      introduction: { commit: 9edb3f66fd807b096b48283debdcddccfea34bad, signer: bbb02ddf2ceaf6a80d1de643a2a06df2a33a54fa }`,
      image: 'layered',
      exit: 0,
      codes: [],
    },
    {
      rule: 'introduction',
      rules: `channels:\n  allowed:\n    - url: ${GUIX_URL}\n      introduction: { commit: b1fe5aaff3ab48e798a4cce02f0212bc91f423dc, signer: "CA4F 8CF4 37D7 478F DA05  5FD4 4213 7701 1A37 8446" }`,
      image: 'layered',
      exit: 1,
      codes: ['introduction-mismatch'],
    },
    {
      rule: 'without introduction',
      rules: 'channels: { allowWithoutIntroduction: false }',
      image: 'two-channels',
      exit: 0,
      codes: [],
    },
    {
      rule: 'without introduction',
      rules: 'channels: { allowWithoutIntroduction: false }',
      image: 'mixed-commits',
      exit: 1,
      codes: ['no-introduction'],
    },
    {
      rule: 'commit deny list',
      rules: `channels: { allowed: [ { url: "${GUIX_URL}", commits: { deny: ["fb32a38"] } } ] }`,
      image: 'multi-output',
      exit: 0,
      codes: [],
    },
    {
      rule: 'commit deny list',
      rules: `channels: { allowed: [ { url: "${GUIX_URL}", commits: { deny: ["fb32a38"] } } ] }`,
      image: 'v3',
      exit: 1,
      codes: ['commit-denied'],
    },
    {
      rule: 'commit allow list',
      rules: `channels: { allowed: [ { url: "${GUIX_URL}", commits: { allow: ["eb34ff16cc9038880e87e1a58a93331fca37ad92"] } } ] }`,
      image: 'transformations',
      exit: 0,
      codes: [],
    },
    {
      rule: 'commit allow list',
      rules: `channels: { allowed: [ { url: "${GUIX_URL}", commits: { allow: ["eb34ff1"] } } ] }`,
      image: 'seed-python-numpy',
      exit: 1,
      codes: ['commit-not-allowed'],
    },
    {
      rule: 'package deny list',
      rules: 'packages: { deny: ["python@<3.10"] }',
      image: 'two-channels',
      exit: 0,
      codes: [],
    },
    {
      rule: 'package deny list',
      rules: 'packages: { deny: ["python@<3.10"] }',
      image: 'seed-python-numpy',
      exit: 1,
      codes: ['package-denied'],
    },
    {
      rule: 'propagated inputs',
      rules: 'packages: { deny: ["python-six@1.16.0"] }',
      image: 'propagated',
      exit: 1,
      codes: ['package-denied'],
    },
    {
      rule: 'transformations',
      rules: 'transformations: { allowed: false }',
      image: 'multi-output',
      exit: 0,
      codes: [],
    },
    {
      rule: 'transformations',
      rules: 'transformations: { allowed: false }',
      image: 'transformations',
      exit: 1,
      codes: [
        'transformations-denied',
        'transformations-denied',
        'transformations-denied',
        'transformations-denied',
      ],
    },
  ];
  for (const c of cases) {
    void test(`${c.rule}: ${c.image} ${c.exit === 0 ? 'allowed' : 'denied'}`, async () => {
      const args = ['gate', archive(c.image), ...(c.rules ? ['--policy', policyFile(c.rules)] : [])];
      const r = await cli(args);
      assert.equal(r.code, c.exit, r.stderr);
      assert.deepEqual(reasonCodes(r.stderr), c.codes);
      const name = c.rules ? 'ci' : 'default';
      assert.match(
        r.stdout,
        new RegExp(
          `^${c.exit === 0 ? 'allow' : 'deny'} ${archive(c.image).replaceAll('.', '\\.')} \\(policy ${name} sha256:[0-9a-f]{64}\\)\\n$`,
        ),
      );
    });
  }

  void test('a reason line says what to fix', async () => {
    const r = await cli([
      'gate',
      archive('seed-python-numpy'),
      '--policy',
      policyFile('packages: { deny: ["python@<3.10"] }'),
    ]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'deny: package-denied: package python@3.8.2 is denied by "python@<3.10"\n');
  });

  void test('a profile on disk is judged the same way', async () => {
    const p = policyFile('packages: { deny: ["python-wrapper@3.10"] }');
    const r = await cli(['gate', `profile:${IMAGES}/propagated/profile-manifest`, '--policy', p]);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      'deny: package-denied: package python-wrapper@3.10.7 is denied by "python-wrapper@3.10" (propagated via python-pandas@1.5.3 -> python-numpy@1.23.2)\n',
    );
  });

  void test('warn mode allows, and prints the reasons as warnings', async () => {
    const p = policyFile('packages: { deny: ["python@<3.10"] }', `${HEAD}mode: warn\n`);
    const r = await cli(['gate', archive('seed-python-numpy'), '--policy', p]);
    assert.equal(r.code, 0);
    assert.deepEqual(reasonCodes(r.stderr, 'warning'), ['package-denied']);
    assert.match(r.stdout, /^allow .*, warn mode\)\n$/);
  });

  void test('--output json prints the verdict', async () => {
    const p = policyFile('transformations: { allowed: false }');
    const r = await cli(['gate', archive('transformations'), '--policy', p, '--output', 'json']);
    assert.equal(r.code, 1);
    const v = JSON.parse(r.stdout);
    assert.equal(v.image, archive('transformations'));
    assert.equal(v.outcome, 'deny');
    assert.equal(v.policy.name, 'ci');
    assert.deepEqual(v.reasons[3].facts, {
      package: 'hwloc',
      version: '2.10.0',
      output: 'lib',
      transformations: [{ option: 'with-latest', value: 'hwloc' }],
    });
    assert.equal(v.recipeDigests.length, 1);
    assert.match(v.recipeDigests[0], /^sha256:[0-9a-f]{64}$/);
    assert.equal(reasonCodes(r.stderr).length, 4);
  });
});

void describe('standalone: an index with several platforms', () => {
  let source = '';
  before(async () => {
    source = await writeOciIndexLayout(join(dir, 'index'), [
      {
        platform: { os: 'linux', architecture: 'amd64' },
        profileManifest: readFileSync(`${IMAGES}/seed-python-numpy/profile-manifest`, 'utf8'),
      },
      {
        platform: { os: 'linux', architecture: 'arm64' },
        profileManifest: readFileSync(`${IMAGES}/two-channels/profile-manifest`, 'utf8'),
      },
    ]);
  });
  const oldPython = 'packages: { deny: ["python@<3.10"] }';

  void test('every platform must pass (default): one failing platform denies, and is named', async () => {
    const r = await cli(['gate', source, '--policy', policyFile(oldPython)]);
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(reasonCodes(r.stderr), ['linux/amd64 package-denied']);
  });

  void test('platforms: any allows when one passes, with warnings', async () => {
    const r = await cli([
      'gate',
      source,
      '--policy',
      policyFile(`${oldPython}\nplatforms: { require: any }`),
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(reasonCodes(r.stderr, 'warning'), ['linux/amd64 package-denied']);
  });

  void test('--platform judges that platform only', async () => {
    const p = policyFile(oldPython);
    assert.equal((await cli(['gate', source, '--policy', p, '--platform', 'linux/arm64'])).code, 0);
    assert.equal((await cli(['gate', source, '--policy', p, '--platform', 'linux/amd64'])).code, 1);
    const missing = await cli(['gate', source, '--policy', p, '--platform', 'linux/s390x']);
    assert.equal(missing.code, 3);
    assert.match(
      missing.stderr,
      /^guix-recipes: the index has no linux\/s390x; it has: linux\/amd64, linux\/arm64\n$/,
    );
  });

  void test('a platform that is not a Guix image has no recipe', async () => {
    const mixed = await writeOciIndexLayout(join(dir, 'mixed'), [
      {
        platform: { os: 'linux', architecture: 'amd64' },
        profileManifest: readFileSync(`${IMAGES}/two-channels/profile-manifest`, 'utf8'),
      },
      { platform: { os: 'linux', architecture: 's390x' }, notGuix: true },
    ]);
    const r = await cli(['gate', mixed]);
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(reasonCodes(r.stderr), ['linux/s390x no-recipe']);
    const lenient = await cli(['gate', mixed, '--policy', policyFile('recipe: { required: false }')]);
    assert.equal(lenient.code, 0, lenient.stderr);
  });
});

void describe('exit statuses: usage (2) and could not decide (3) are never a deny', () => {
  void test('usage errors exit 2', async () => {
    for (const args of [
      ['gate'],
      ['gate', 'a', 'b'],
      ['gate', archive('v3'), '--output', 'yaml'],
      ['gate', archive('v3'), '--policy-name', 'prod'],
      ['gate', archive('v3'), '--timeout', '5'],
      ['gate', archive('v3'), '--bogus'],
      ['gate', 'ftp://x/y'],
      ['gate', archive('v3'), '--platform', 'linux'],
      ['gate', archive('v3'), '--policy', join(dir, 'missing.yaml')],
      ['gate', 'example.org/app:1', '--server', 'http://127.0.0.1:9', '--creds', 'a:b'],
      ['gate', archive('v3'), '--server', 'http://127.0.0.1:9'],
      ['gate', 'example.org/app:1', '--server', 'ftp://127.0.0.1:9'],
      ['gate', 'example.org/app:1', '--server', 'http://u:p@127.0.0.1:9'],
      ['gate', 'example.org/App:1', '--server', 'http://127.0.0.1:9'],
    ]) {
      const r = await cli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /^guix-recipes: [^\n]+\n$/, args.join(' '));
    }
  });

  void test('a policy file with mistakes: exit 2, every mistake on its own line with field and line', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      `${HEAD}rules:\n  packages:\n    deny:\n      - python@<3.10\n      - python@<<3\n  transformations: { allowed: no }\n`,
    );
    const r = await cli(['gate', archive('v3'), '--policy', file]);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.equal(
      r.stderr,
      [
        `guix-recipes: ${file}:8:9: rules.packages.deny[1]: "python@<<3" is not a package range (want NAME, NAME@VERSION, NAME@<V, NAME@<=V, NAME@>V, NAME@>=V or NAME@A..B)`,
        `guix-recipes: ${file}:9:31: rules.transformations.allowed: must be true or false (got the string "no")`,
        '',
      ].join('\n'),
    );
  });

  void test('an image that cannot be read exits 3, not 1', async () => {
    const corrupt = join(dir, 'corrupt.tar');
    writeFileSync(corrupt, Buffer.alloc(4096, 7));
    for (const source of [
      `docker-archive:${join(dir, 'nope.tar')}`,
      `docker-archive:${corrupt}`,
      `profile:${dir}/nothing`,
    ]) {
      const r = await cli(['gate', source]);
      assert.equal(r.code, 3, `${source}: ${r.stderr}`);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /^guix-recipes: [^\n]+\n$/);
    }
  });

  void test('hostile facts cannot forge lines or steer the terminal', async () => {
    const text = readFileSync(`${IMAGES}/seed-python-numpy/profile-manifest`, 'utf8').replaceAll(
      `(url "${GUIX_URL}")`,
      '(url "https://evil.example/\\ndeny: forged\\x1b;[2J")',
    );
    const manifest = join(dir, 'evil-manifest');
    writeFileSync(manifest, text);
    const r = await cli([
      'gate',
      `profile:${manifest}`,
      '--policy',
      policyFile(`channels: { allowed: [ { url: "${GUIX_URL}" } ] }`),
    ]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.split('\n').length, 2, r.stderr);
    assert.ok(r.stderr.includes('https://evil.example/\\x0adeny: forged\\x1b;[2J'), r.stderr);
    assert.ok(!r.stderr.includes('\u001b'));
  });
});

void describe('--server: the verdict service client', () => {
  interface Seen {
    method: string;
    url: string;
    headers: IncomingMessage['headers'];
    body: unknown;
  }
  let seen: Seen[] = [];
  let respond: (res: ServerResponse, body: unknown) => void = () => {};
  let base = '';
  const server = createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (text += c));
    req.on('end', () => {
      const body: unknown = JSON.parse(text || 'null');
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      respond(res, body);
    });
  });
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const policy = { name: 'prod', version: 'sha256:abc', mode: 'enforce' };
  const verdict = (outcome: string, reasons: object[] = [], extra: object = {}) => ({
    outcome,
    reasons,
    warnings: [],
    recipeDigests: ['sha256:1111'],
    policy,
    ...extra,
  });
  const json =
    (status: number, value: unknown, type = 'application/json') =>
    (res: ServerResponse) => {
      res.writeHead(status, { 'content-type': type });
      res.end(JSON.stringify(value));
    };

  void test('asks POST /v1/verdicts with the image, the stored policy name and the token; allow exits 0', async () => {
    seen = [];
    respond = json(200, verdict('allow'));
    const r = await cli(
      ['gate', 'docker://registry.example.org/team/app:1.2', '--server', `${base}/`, '--policy-name', 'prod'],
      {
        env: { GUIX_RECIPES_TOKEN: 's3cret-token' },
      },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'allow docker://registry.example.org/team/app:1.2 (policy prod sha256:abc)\n');
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.method, 'POST');
    assert.equal(seen[0]!.url, '/v1/verdicts');
    assert.equal(seen[0]!.headers.authorization, 'Bearer s3cret-token');
    assert.equal(seen[0]!.headers['content-type'], 'application/json');
    assert.deepEqual(seen[0]!.body, { image: 'registry.example.org/team/app:1.2', policy: 'prod' });
  });

  void test('a policy file is sent inline, with the platform; deny exits 1 with the reasons', async () => {
    seen = [];
    const reason = {
      code: 'package-denied',
      message: 'package python@3.8.2 is denied by "python@<3.10"',
      platform: 'linux/arm64',
      facts: {},
    };
    respond = json(200, verdict('deny', [reason]));
    const file = policyFile('packages: { deny: ["python@<3.10"] }');
    const r = await cli([
      'gate',
      'registry.example.org/team/app@sha256:' + 'a'.repeat(64),
      '--server',
      `${base}/prefix`,
      '--policy',
      file,
      '--platform',
      'linux/arm64',
    ]);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      'deny: linux/arm64: package-denied: package python@3.8.2 is denied by "python@<3.10"\n',
    );
    assert.equal(seen[0]!.url, '/prefix/v1/verdicts');
    assert.equal(seen[0]!.headers.authorization, undefined);
    assert.deepEqual(seen[0]!.body, {
      image: `registry.example.org/team/app@sha256:${'a'.repeat(64)}`,
      policy: {
        apiVersion: 'guix-recipes/v1',
        kind: 'Policy',
        name: 'ci',
        rules: { packages: { deny: ['python@<3.10'] } },
      },
      platform: 'linux/arm64',
    });
  });

  void test('a bad local policy file is reported before anything is sent', async () => {
    seen = [];
    const file = join(dir, 'bad-server.yaml');
    writeFileSync(file, `${HEAD}mode: loud\n`);
    const r = await cli(['gate', 'example.org/app:1', '--server', base, '--policy', file]);
    assert.equal(r.code, 2);
    assert.equal(
      r.stderr,
      `guix-recipes: ${file}:4:7: mode: must be one of enforce, warn (got the string "loud")\n`,
    );
    assert.equal(seen.length, 0);
  });

  void test('what the server cannot decide exits 3: not scanned yet, errors, garbage, oversize, silence', async () => {
    const cases: [string, (res: ServerResponse, body: unknown) => void, RegExp][] = [
      [
        'needs-scan',
        json(
          200,
          verdict(
            'needs-scan',
            [
              {
                code: 'not-scanned',
                message: "the image's scan is queued; wait for it",
                facts: { state: 'queued' },
              },
            ],
            { scan: { waitSeconds: 60 } },
          ),
        ),
        /needs-scan: not-scanned: .*\nguix-recipes: could not decide: the image has not been scanned yet \(the policy waits up to 60 s for a scan\)\n$/,
      ],
      [
        '500',
        json(500, { title: 'Internal Server Error', detail: 'redis is down' }, 'application/problem+json'),
        /the server answered 500: redis is down/,
      ],
      [
        '404',
        json(404, { title: 'Not Found', detail: 'no policy named prod' }, 'application/problem+json'),
        /the server answered 404: no policy named prod/,
      ],
      ['not a verdict', json(200, { outcome: 'maybe' }), /something other than a verdict/],
      ['not JSON', (res) => res.end('<html>'), /something other than JSON/],
      [
        'oversize',
        (res) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(`{"outcome":"allow","pad":"${'x'.repeat(5 * 1024 * 1024)}"}`);
        },
        /larger than 4194304 bytes/,
      ],
    ];
    for (const [what, handler, message] of cases) {
      respond = handler;
      const r = await cli(['gate', 'example.org/app:1', '--server', base]);
      assert.equal(r.code, 3, `${what}: ${r.stderr}`);
      assert.match(r.stderr, message, what);
    }
  });

  void test('a request the server calls malformed exits 2', async () => {
    respond = json(
      400,
      { title: 'Bad Request', detail: 'image: unknown registry' },
      'application/problem+json',
    );
    const r = await cli(['gate', 'example.org/app:1', '--server', base]);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, 'guix-recipes: the server answered 400: image: unknown registry\n');
  });

  void test('a silent server times out (exit 3), an absent one is unreachable (exit 3)', async () => {
    respond = () => {}; // never answers
    const t0 = performance.now();
    const r = await cli(['gate', 'example.org/app:1', '--server', base, '--timeout', '0.5']);
    assert.equal(r.code, 3);
    assert.equal(r.stderr, 'guix-recipes: the server did not answer within 0.5 s\n');
    assert.ok(performance.now() - t0 < 5000);
    server.closeAllConnections();

    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const gone = await cli(['gate', 'example.org/app:1', '--server', `http://127.0.0.1:${port}`]);
    assert.equal(gone.code, 3);
    assert.match(
      gone.stderr,
      /^guix-recipes: cannot reach the server http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED\n$/,
    );
  });
});

void test('gate is listed, with its help', async () => {
  const list = await cli(['--help']);
  assert.match(list.stdout, /^ {2}gate {3,}allow or deny an image by its recipe/m);
  const help = await cli(['gate', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: guix-recipes gate IMAGE/);
  assert.match(help.stdout, /3 {2}could not decide/);
});
