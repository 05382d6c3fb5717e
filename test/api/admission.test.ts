/**
 * POST /v1/admission: AdmissionReviews for Pods and the kinds holding pod templates, judged from the
 * store (fixture images pushed to a real docker-registry, scanned by the real worker): a Pod with
 * several containers of which one is denied, a Deployment, a CronJob, an init container, ephemeral
 * containers, a tag resolved to its digest, warn mode, dry runs, images not scanned yet under each
 * `unscanned` action, and requests that are not AdmissionReviews (400, never an allow).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Value } from 'typebox/value';
import { AdmissionResponseSchema } from '../../shared/gate/admission-review.js';
import { ProblemSchema } from '../../services/api/problem.js';
import { pushFixture, tempDir } from '../harness/skopeo.js';
import { startApiEnv, TOKENS, type ApiEnv } from './api-env.js';

let env: ApiEnv;
let work: string;
const digest: Record<string, string> = {};
const auth = { authorization: `Bearer ${TOKENS.read}` };

const POLICIES: Record<string, string> = {
  prod: 'packages: { deny: ["python@<3.10"] }',
  soft: 'packages: { deny: ["python@<3.10"] }',
  'unscanned-allow': 'unscanned: { action: allow }',
  'unscanned-scan': 'unscanned: { action: scan, waitSeconds: 60 }',
};

before(async () => {
  work = await tempDir('guix-recipes-admission-');
  env = await startApiEnv({ file: () => ({ admission: { scanWaitSeconds: 20 } }) });
  for (const f of ['seed-python-numpy', 'two-channels', 'no-provenance']) {
    digest[f] = (await env.push(f, f, 'v1')).digest;
    await env.scan(`${env.reg.host}/${f}:v1`);
  }
  for (const [name, rules] of Object.entries(POLICIES)) {
    const mode = name === 'soft' ? 'mode: warn\n' : '';
    const res = await env.app.inject({
      method: 'PUT',
      url: `/v1/policies/${name}`,
      headers: { authorization: `Bearer ${TOKENS.admin}`, 'content-type': 'application/yaml' },
      payload: `apiVersion: guix-recipes/v1\nkind: Policy\nname: ${name}\n${mode}rules:\n  ${rules}\n`,
    });
    assert.equal(res.statusCode, 201, res.body);
  }
});
after(() => env?.stop());

const img = (f: string, tag = 'v1') => `${env.reg.host}/${f}:${tag}`;
const byDigest = (f: string) => `${env.reg.host}/${f}@${digest[f]}`;

type Kind = { group: string; version: string; kind: string };
const POD: Kind = { group: '', version: 'v1', kind: 'Pod' };

function podSpec(containers: [string, string][], init: [string, string][] = []) {
  return {
    containers: containers.map(([name, image]) => ({ name, image })),
    ...(init.length ? { initContainers: init.map(([name, image]) => ({ name, image })) } : {}),
  };
}

function review(kind: Kind, object: unknown, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: randomUUID(),
      kind,
      resource: { group: kind.group, version: kind.version, resource: `${kind.kind.toLowerCase()}s` },
      namespace: 'team',
      operation: 'CREATE',
      userInfo: { username: 'alice' },
      object,
      ...extra,
    },
  };
}

interface Answer {
  apiVersion: string;
  kind: string;
  response: {
    uid: string;
    allowed: boolean;
    status?: { code: number; message: string };
    warnings?: string[];
  };
}

async function admit(body: ReturnType<typeof review>, policy?: string): Promise<Answer> {
  const res = await env.app.inject({
    method: 'POST',
    url: policy ? `/v1/admission/${policy}` : '/v1/admission',
    headers: auth,
    payload: body,
  });
  assert.equal(res.statusCode, 200, res.body);
  const a = res.json<Answer>();
  assert.ok(Value.Check(AdmissionResponseSchema, a), res.body);
  assert.equal(a.apiVersion, 'admission.k8s.io/v1');
  assert.equal(a.kind, 'AdmissionReview');
  assert.equal(a.response.uid, body.request.uid, 'the uid is echoed');
  return a;
}

void describe('pods and pod templates', () => {
  void test('a Pod with several containers, one denied: which container, which image, which rule, what next', async () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web' },
      spec: podSpec([
        ['app', img('two-channels')],
        ['sidecar', img('seed-python-numpy')],
      ]),
    };
    const a = await admit(review(POD, pod), 'prod');
    assert.equal(a.response.allowed, false);
    assert.equal(a.response.status?.code, 403);
    const lines = a.response.status.message.split('\n');
    assert.match(lines[0]!, /^guix-recipes policy "prod" \(sha256:[0-9a-f]{12}\) denies 1 of 2 containers:$/);
    assert.equal(lines.length, 2, a.response.status.message);
    assert.equal(
      lines[1],
      `container "sidecar" (image ${img('seed-python-numpy')} = ${byDigest('seed-python-numpy')}): package-denied: package python@3.8.2 is denied by "python@<3.10". Next: rebuild without that package, or with a version the policy allows.`,
    );
    const ok = await admit(review(POD, { ...pod, spec: podSpec([['app', img('two-channels')]]) }), 'prod');
    assert.equal(ok.response.allowed, true);
    assert.equal(ok.response.status, undefined);
  });

  void test('a Deployment (apps/v1): its pod template is judged', async () => {
    const deployment = (image: string) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: {
        replicas: 2,
        template: { metadata: { labels: { app: 'web' } }, spec: podSpec([['web', image]]) },
      },
    });
    const kind = { group: 'apps', version: 'v1', kind: 'Deployment' };
    const no = await admit(review(kind, deployment(byDigest('seed-python-numpy'))), 'prod');
    assert.equal(no.response.allowed, false);
    assert.match(
      no.response.status!.message,
      /container "web" \(image [^)]*seed-python-numpy@sha256:[0-9a-f]{64}\): package-denied/,
    );
    const yes = await admit(review(kind, deployment(byDigest('two-channels'))), 'prod');
    assert.equal(yes.response.allowed, true);
    for (const k of ['StatefulSet', 'DaemonSet', 'ReplicaSet'])
      assert.equal(
        (
          await admit(
            review({ ...kind, kind: k }, { spec: deployment(byDigest('seed-python-numpy')).spec }),
            'prod',
          )
        ).response.allowed,
        false,
        k,
      );
    const rc = { group: '', version: 'v1', kind: 'ReplicationController' };
    assert.equal(
      (await admit(review(rc, { spec: deployment(byDigest('seed-python-numpy')).spec }), 'prod')).response
        .allowed,
      false,
    );
  });

  void test('a CronJob (batch/v1): the job template inside it is judged, and a Job', async () => {
    const cron = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      spec: {
        schedule: '0 * * * *',
        jobTemplate: {
          spec: {
            template: { spec: { ...podSpec([['task', img('seed-python-numpy')]]), restartPolicy: 'Never' } },
          },
        },
      },
    };
    const a = await admit(review({ group: 'batch', version: 'v1', kind: 'CronJob' }, cron), 'prod');
    assert.equal(a.response.allowed, false);
    assert.match(a.response.status!.message, /container "task"/);
    const job = { spec: cron.spec.jobTemplate.spec };
    const j = await admit(review({ group: 'batch', version: 'v1', kind: 'Job' }, job), 'prod');
    assert.equal(j.response.allowed, false);
  });

  void test('an init container is judged like the others', async () => {
    const pod = { spec: podSpec([['app', img('two-channels')]], [['setup', img('seed-python-numpy')]]) };
    const a = await admit(review(POD, pod), 'prod');
    assert.equal(a.response.allowed, false);
    assert.match(a.response.status!.message, /denies 1 of 2 containers:\ninit container "setup"/);
  });

  void test('ephemeral containers: the pods/ephemeralcontainers subresource judges only them', async () => {
    const pod = {
      spec: {
        ...podSpec([['app', img('seed-python-numpy')]]),
        ephemeralContainers: [{ name: 'debug', image: img('two-channels') }],
      },
    };
    const ok = await admit(
      review(POD, pod, { subResource: 'ephemeralcontainers', operation: 'UPDATE' }),
      'prod',
    );
    assert.equal(ok.response.allowed, true, 'the running containers were admitted before');
    pod.spec.ephemeralContainers = [{ name: 'debug', image: img('seed-python-numpy') }];
    const no = await admit(
      review(POD, pod, { subResource: 'ephemeralcontainers', operation: 'UPDATE' }),
      'prod',
    );
    assert.equal(no.response.allowed, false);
    assert.match(no.response.status!.message, /ephemeral container "debug"/);
    const old = await admit(
      review(
        { group: '', version: 'v1', kind: 'EphemeralContainers' },
        { ephemeralContainers: pod.spec.ephemeralContainers },
      ),
      'prod',
    );
    assert.equal(old.response.allowed, false, 'the pre-1.22 EphemeralContainers kind');
  });

  void test('a tag is resolved to its digest; a digest is used as is', async () => {
    const pushed = await pushFixture('two-channels', `${env.reg.host}/moving:stable`, 'v2s2', work);
    await env.scan(`${env.reg.host}/moving:stable`);
    const a = await admit(review(POD, { spec: podSpec([['app', `${env.reg.host}/moving:stable`]]) }), 'prod');
    assert.equal(a.response.allowed, true);
    const no = await admit(
      review(POD, { spec: podSpec([['app', `${env.reg.host}/moving:absent`]]) }),
      'prod',
    );
    assert.equal(no.response.allowed, false);
    assert.match(no.response.status!.message, /container "app" \(image [^)]*moving:absent\): not-found: /);
    assert.ok(pushed.digest.startsWith('sha256:'));
  });

  void test('the default policy judges POST /v1/admission; other registries and DELETE', async () => {
    const a = await admit(review(POD, { spec: podSpec([['app', img('no-provenance')]]) }));
    assert.equal(a.response.allowed, false);
    assert.match(
      a.response.status!.message,
      /^guix-recipes policy "default" .*\n.*no-provenance: .*Next: rebuild the image with 'guix pack --save-provenance'\.$/,
    );
    const hub = await admit(review(POD, { spec: podSpec([['app', 'nginx:1.27']]) }));
    assert.equal(hub.response.allowed, false);
    assert.match(
      hub.response.status!.message,
      /image nginx:1\.27\): not-scanned: registry docker\.io is not one guix-recipes reads/,
    );
    const del = await admit(review(POD, null, { operation: 'DELETE' }));
    assert.equal(del.response.allowed, true);
    const other = await admit(review({ group: '', version: 'v1', kind: 'ConfigMap' }, { data: {} }));
    assert.equal(other.response.allowed, true, 'kinds without pods are not gated');
  });
});

void describe('modes, dry runs, unscanned images', () => {
  void test('warn mode allows, with Kubernetes warnings naming the container and the rule', async () => {
    const a = await admit(review(POD, { spec: podSpec([['app', img('seed-python-numpy')]]) }), 'soft');
    assert.equal(a.response.allowed, true);
    assert.equal(a.response.warnings?.length, 1);
    assert.match(
      a.response.warnings[0]!,
      /^guix-recipes policy soft \(warn mode\): container "app" \(image [^)]+\): package-denied: package python@3\.8\.2 is denied by "python@<3\.10"$/,
    );
  });

  void test('not scanned yet: deny, allow with a warning, or scan and wait', async () => {
    const h = env.reg.host;
    await pushFixture('seed-python-numpy', `${h}/unscanned:a`, 'v2s2', work);
    const pod = { spec: podSpec([['app', `${h}/unscanned:a`]]) };
    const deny = await admit(review(POD, pod), 'prod');
    assert.equal(deny.response.allowed, false);
    assert.match(
      deny.response.status!.message,
      /not-scanned: the image has not been scanned; scan it first\. Next: wait for the scan/,
    );
    const allow = await admit(review(POD, pod), 'unscanned-allow');
    assert.equal(allow.response.allowed, true);
    assert.match(allow.response.warnings![0]!, /not-scanned/);
    const scan = await admit(review(POD, pod), 'unscanned-scan');
    // Scanned while the request waited: now judged on its recipe (allowed: no rule against it).
    assert.equal(scan.response.allowed, true, JSON.stringify(scan.response));
    const now = await admit(review(POD, pod), 'prod');
    assert.equal(now.response.allowed, false);
    assert.match(now.response.status!.message, /package-denied/, 'judged from its recipe now');
  });

  void test('dryRun: answered the same, and nothing changes (no scan queued)', async () => {
    const h = env.reg.host;
    const pushed = await pushFixture('transformations', `${h}/dry:a`, 'v2s2', work);
    const pod = { spec: podSpec([['app', `${h}/dry:a`]]) };
    const dry = await admit(review(POD, pod, { dryRun: true }), 'unscanned-scan');
    assert.equal(dry.response.allowed, false);
    assert.match(dry.response.status!.message, /a dry run queues no scan/);
    assert.equal(
      await env.app.store.getImage({ registry: h, repository: 'dry', digest: pushed.digest }),
      undefined,
      'no scan was queued',
    );
    const a = await admit(
      review(POD, { spec: podSpec([['x', img('seed-python-numpy')]]) }, { dryRun: true }),
      'prod',
    );
    const b = await admit(review(POD, { spec: podSpec([['x', img('seed-python-numpy')]]) }), 'prod');
    assert.deepEqual({ ...a.response, uid: '' }, { ...b.response, uid: '' });
  });
});

void describe('requests that are not AdmissionReviews: 400, never an allow', () => {
  const cases: [string, unknown][] = [
    ['a JSON string', JSON.stringify('hello')],
    [
      'wrong apiVersion',
      { ...review(POD, { spec: podSpec([['a', 'x']]) }), apiVersion: 'admission.k8s.io/v1beta1' },
    ],
    ['wrong kind', { ...review(POD, { spec: podSpec([['a', 'x']]) }), kind: 'Pod' }],
    ['no request', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }],
    [
      'no uid',
      (() => {
        const r = review(POD, {});
        delete (r.request as Partial<typeof r.request>).uid;
        return r;
      })(),
    ],
    ['a Pod without spec', review(POD, { metadata: {} })],
    ['a Pod without containers', review(POD, { spec: { containers: [] } })],
    ['a container without image', review(POD, { spec: { containers: [{ name: 'a' }] } })],
    ['containers not a list', review(POD, { spec: { containers: { name: 'a', image: 'x' } } })],
    [
      'a Deployment without template',
      review({ group: 'apps', version: 'v1', kind: 'Deployment' }, { spec: {} }),
    ],
    ['a CREATE without object', review(POD, undefined)],
    [
      'too many containers',
      review(POD, {
        spec: podSpec(Array.from({ length: 300 }, (_, i) => [`c${i}`, 'x'] as [string, string])),
      }),
    ],
  ];
  for (const [what, body] of cases)
    void test(what, async () => {
      const res = await env.app.inject({
        method: 'POST',
        url: '/v1/admission/prod',
        headers: { ...auth, 'content-type': 'application/json' },
        payload: typeof body === 'string' ? body : JSON.stringify(body),
      });
      assert.equal(res.statusCode, 400, res.body);
      assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
      assert.ok(Value.Check(ProblemSchema, res.json()));
      assert.doesNotMatch(res.body, /"allowed"/);
    });

  // Not JSON at all: refused before it is read (415, as every JSON route answers), never an allow.
  void test('plain text: 415, never an allow', async () => {
    const res = await env.app.inject({
      method: 'POST',
      url: '/v1/admission/prod',
      headers: { ...auth, 'content-type': 'text/plain' },
      payload: 'hello',
    });
    assert.equal(res.statusCode, 415, res.body);
    assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
    assert.doesNotMatch(res.body, /"allowed"/);
  });

  void test('without a token: 401; an unknown policy: 404', async () => {
    const body = review(POD, { spec: podSpec([['a', img('two-channels')]]) });
    const none = await env.app.inject({ method: 'POST', url: '/v1/admission', payload: body });
    assert.equal(none.statusCode, 401);
    const unknown = await env.app.inject({
      method: 'POST',
      url: '/v1/admission/nope',
      headers: auth,
      payload: body,
    });
    assert.equal(unknown.statusCode, 404);
  });
});
