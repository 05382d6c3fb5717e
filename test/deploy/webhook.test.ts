// deploy/admission/validating-webhook.yaml parses (the yaml package), points every entry at the
// admission route, gates the kinds the route reads, exempts the service's own namespace, and keeps
// failurePolicy and timeoutSeconds as the notes beside them say.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parse } from 'yaml';
import { ACCESS } from '../../services/api/access.js';
import { POLICY_NAME_RE } from '../../shared/policy/policy-schema.js';
import { loadConfig } from '../../shared/config/load-config.js';

interface Webhook {
  name: string;
  admissionReviewVersions: string[];
  sideEffects: string;
  failurePolicy: string;
  timeoutSeconds: number;
  clientConfig: {
    service: { namespace: string; name: string; path: string; port: number };
    caBundle: string;
  };
  rules: { apiGroups: string[]; apiVersions: string[]; operations: string[]; resources: string[] }[];
  namespaceSelector: { matchExpressions: { key: string; operator: string; values?: string[] }[] };
}

const text = readFileSync('deploy/admission/validating-webhook.yaml', 'utf8');
const doc = parse(text) as { apiVersion: string; kind: string; webhooks: Webhook[] };

void test('a ValidatingWebhookConfiguration whose entries point at the admission routes', () => {
  assert.equal(doc.apiVersion, 'admissionregistration.k8s.io/v1');
  assert.equal(doc.kind, 'ValidatingWebhookConfiguration');
  assert.ok(doc.webhooks.length >= 2);
  for (const w of doc.webhooks) {
    const path = w.clientConfig.service.path;
    const route = path === '/v1/admission' ? 'POST /v1/admission' : 'POST /v1/admission/:policy';
    assert.ok(ACCESS[route], `${w.name}: ${path} is a route`);
    if (path !== '/v1/admission') assert.match(path.split('/').at(-1)!, POLICY_NAME_RE);
    assert.deepEqual(w.admissionReviewVersions, ['v1']);
    assert.equal(w.sideEffects, 'NoneOnDryRun', 'scans are only queued outside dry runs');
    assert.equal(w.failurePolicy, 'Fail', 'an unanswered review is never an allow');
    assert.ok(w.timeoutSeconds >= 1 && w.timeoutSeconds <= 30, 'the API server allows 1 to 30 s');
    const admission = loadConfig({ env: {}, file: {} }).admission;
    assert.ok(admission.scanWaitSeconds < w.timeoutSeconds, 'the default scan wait fits in the timeout');
    assert.equal(typeof w.clientConfig.caBundle, 'string');
    const exempt = w.namespaceSelector.matchExpressions.find((e) => e.key === 'kubernetes.io/metadata.name');
    assert.equal(exempt?.operator, 'NotIn');
    assert.ok(exempt?.values?.includes(w.clientConfig.service.namespace), 'its own namespace is exempt');
  }
});

void test('every kind the route reads is sent to it', () => {
  const resources = new Set(
    doc.webhooks[0]!.rules.flatMap((r) => r.resources.map((res) => `${r.apiGroups[0]}/${res}`)),
  );
  for (const want of [
    '/pods',
    '/pods/ephemeralcontainers',
    '/replicationcontrollers',
    'apps/deployments',
    'apps/statefulsets',
    'apps/daemonsets',
    'apps/replicasets',
    'batch/jobs',
    'batch/cronjobs',
  ])
    assert.ok(resources.has(want), want);
});

void test('the notes on failurePolicy and timeoutSeconds are there', () => {
  assert.match(text, /# Fail: when the webhook cannot answer/);
  assert.match(text, /# 10 s: verdicts come from the store/);
});
