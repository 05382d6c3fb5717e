import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  apiHost,
  formatReference,
  manifestReference,
  normaliseRegistryHost,
  parseReference,
} from '../../shared/oci/reference.js';
import { isRecipeError } from '../../shared/errors.js';

const D = `sha256:${'a'.repeat(64)}`;

const valid: [string, string][] = [
  ['nginx', 'docker.io/library/nginx:latest'],
  ['nginx:1.25', 'docker.io/library/nginx:1.25'],
  ['docker://nginx', 'docker.io/library/nginx:latest'],
  ['library/nginx', 'docker.io/library/nginx:latest'],
  ['docker.io/nginx', 'docker.io/library/nginx:latest'],
  ['index.docker.io/nginx', 'docker.io/library/nginx:latest'],
  ['index.docker.io/team/app:v1', 'docker.io/team/app:v1'],
  ['team/app', 'docker.io/team/app:latest'],
  ['ghcr.io/org/img:v1.2.3', 'ghcr.io/org/img:v1.2.3'],
  ['localhost/app', 'localhost/app:latest'],
  ['localhost:5000/app', 'localhost:5000/app:latest'],
  ['127.0.0.1:5000/guix/app:v1', '127.0.0.1:5000/guix/app:v1'],
  ['docker://127.0.0.1:5000/guix/app:v1', '127.0.0.1:5000/guix/app:v1'],
  ['docker://127.0.0.1:5000/guix/app', '127.0.0.1:5000/guix/app:latest'],
  ['[::1]:5000/app:t', '[::1]:5000/app:t'],
  ['Registry.Example.COM/app', 'registry.example.com/app:latest'],
  [`app@${D}`, `docker.io/library/app@${D}`],
  [`app:v1@${D}`, `docker.io/library/app:v1@${D}`],
  [`host:5000/a/b/c:v1@${D}`, `host:5000/a/b/c:v1@${D}`],
  ['a/b__c/d-e.f--g:T_ag.1-x', 'docker.io/a/b__c/d-e.f--g:T_ag.1-x'],
  [`x:sha256-${'b'.repeat(64)}`, `docker.io/library/x:sha256-${'b'.repeat(64)}`],
];

for (const [input, want] of valid) {
  void test(`parseReference(${JSON.stringify(input)}) = ${want}`, () => {
    assert.equal(formatReference(parseReference(input)), want);
  });
}

void test('digest wins over tag; no tag and no digest means latest', () => {
  const r = parseReference(`ghcr.io/o/i:v1@${D}`);
  assert.deepEqual(r, { registry: 'ghcr.io', repository: 'o/i', tag: 'v1', digest: D });
  assert.equal(manifestReference(r), D);
  assert.equal(manifestReference(parseReference('ghcr.io/o/i')), 'latest');
  assert.equal(parseReference(`ghcr.io/o/i@${D}`).tag, undefined);
});

void test('Docker Hub API host', () => {
  assert.equal(apiHost(parseReference('nginx').registry), 'registry-1.docker.io');
  assert.equal(apiHost('127.0.0.1:5000'), '127.0.0.1:5000');
});

const invalid: [string, RegExp][] = [
  ['', /empty/],
  ['docker://', /empty/],
  ['Nginx', /lowercase/],
  ['ghcr.io/Org/img', /lowercase/],
  ['ghcr.io/org/img:', /malformed tag/],
  ['ghcr.io/org/img:-bad', /malformed tag/],
  [`img:${'t'.repeat(129)}`, /malformed tag/],
  ['img@sha256:abc', /malformed digest/],
  [`img@sha256:${'A'.repeat(64)}`, /unsupported digest/],
  [`img@md5:${'a'.repeat(32)}`, /unsupported digest/],
  ['ghcr.io/org//img', /malformed repository/],
  ['ghcr.io/org/img-', /malformed repository/],
  ['ghcr.io/-org/img', /malformed repository/],
  ['bad_host.io:port/img', /malformed registry host|malformed tag/],
  ['host.io/', /empty repository/],
  ['with space/img', /white space/],
  [`ghcr.io/${'a'.repeat(250)}`, /longer than 255/],
];

for (const [input, why] of invalid) {
  void test(`parseReference(${JSON.stringify(input.slice(0, 40))}) is refused: ${why}`, () => {
    assert.throws(
      () => parseReference(input),
      (err: unknown) => isRecipeError(err, 'invalid-reference') && why.test(err.message),
    );
  });
}

void test('auth-file keys normalise to registry hosts', () => {
  assert.equal(normaliseRegistryHost('https://index.docker.io/v1/'), 'docker.io');
  assert.equal(normaliseRegistryHost('registry-1.docker.io'), 'docker.io');
  assert.equal(normaliseRegistryHost('http://127.0.0.1:5000'), '127.0.0.1:5000');
  assert.equal(normaliseRegistryHost('Quay.io/Org'), 'quay.io/org');
});
