// Package specifications of the deny list: each form parsed and matched (versions compared as Guix
// does), and every malformed one refused with the list of forms.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PACKAGE_RANGE_FORMS, parsePackageRange, versionMatches } from '../../shared/policy/package-range.js';

function matches(spec: string, name: string, version: string): boolean {
  const r = parsePackageRange(spec);
  if ('error' in r) throw new Error(r.error);
  return r.name === name && versionMatches(r.constraint, version);
}

void test('every form, matching and not', () => {
  const cases: [string, string, boolean][] = [
    ['python', '3.8.2', true],
    ['python@3.10', '3.10.7', true],
    ['python@3.10', '3.10', true],
    ['python@3.10', '3.100', false],
    ['python@3.10', '3.1', false],
    ['python@3.10.7', '3.10.7', true],
    ['python@<3.10', '3.8.2', true],
    ['python@<3.10', '3.9.9', true],
    ['python@<3.10', '3.10', false],
    ['python@<3.10', '3.10.7', false],
    ['python@<=3.10', '3.10', true],
    ['python@<=3.10', '3.10.7', false],
    ['python@>3.10', '3.10.7', true],
    ['python@>3.10', '3.10', false],
    ['python@>=3.10', '3.10', true],
    ['python@>=3.10', '3.9', false],
    ['python@3.8.0..3.10.7', '3.8.2', true],
    ['python@3.8.0..3.10.7', '3.10.7', true],
    ['python@3.8.0..3.10.7', '3.8.0', true],
    ['python@3.8.0..3.10.7', '3.10.8', false],
    ['python@3.8.0..3.10.7', '3.7.17', false],
    ['openssl@3.0.0..3.0.7', '3.0.5', true],
    ['openssl@3.0.0..3.0.7', '3.0.10', false],
    ['rstudio-server@<2024', '2023.12.1', true],
  ];
  for (const [spec, version, want] of cases)
    assert.equal(matches(spec, spec.split('@')[0]!, version), want, `${spec} on ${version}`);
});

void test('the name is matched exactly', () => {
  const r = parsePackageRange('python@<3.10');
  assert.ok(!('error' in r));
  assert.equal(r.name, 'python');
  assert.notEqual(r.name, 'python-numpy');
});

void test('malformed specifications are refused, naming every accepted form', () => {
  for (const bad of [
    'python@<<3',
    'python@',
    '@3.10',
    'python@3..',
    'python@..3',
    'python@3.10..3.9..4',
    'py thon',
    'python@<3 .10',
    'python@=3.10',
    'python@3.10:out',
    '',
    'python@>=',
  ]) {
    const r = parsePackageRange(bad);
    assert.ok('error' in r, `${JSON.stringify(bad)} was accepted`);
    assert.equal(r.error, `${JSON.stringify(bad)} is not a package range (want ${PACKAGE_RANGE_FORMS})`);
  }
});

void test('an empty range is refused, saying why', () => {
  const r = parsePackageRange('openssl@3.0.7..3.0.0');
  assert.ok('error' in r);
  assert.match(r.error, /empty range: 3\.0\.7 is newer than 3\.0\.0/);
});
