// Each schema rejects a document that lacks one of its required fields: for every `required` list
// that applies to a part of our documents, a valid document with that one field deleted must fail.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildRecipe } from '../../shared/guix/build-recipe.js';
import { attestationDocument, type AttestationFormat } from '../../shared/attest/render-attestation.js';
import type { AttestInput } from '../../shared/attest/attest-input.js';
import { sha256Digest } from '../../shared/content/digest.js';
import { FIXTURES_DIR } from '../harness/skopeo.js';
import { describeErrors, SCHEMAS_DIR, validators } from './validators.js';

type Json = Record<string, unknown>;
const schema = (file: string) => JSON.parse(readFileSync(join(SCHEMAS_DIR, file), 'utf8')) as Json;

/** A recipe with channels, propagated inputs and transformations-free packages: every part is present. */
const input: AttestInput = {
  recipe: buildRecipe(readFileSync(join(FIXTURES_DIR, 'propagated/profile-manifest'), 'utf8'), {
    profile: readFileSync(join(FIXTURES_DIR, 'propagated/profile-path'), 'utf8').trim(),
  }),
  subject: {
    kind: 'image',
    name: 'registry.example/guix/app',
    digest: sha256Digest('manifest'),
    platform: { os: 'linux', architecture: 'amd64' },
    registry: { registry: 'registry.example', repository: 'guix/app' },
  },
  scannedAt: '2024-01-02T03:04:05Z',
  tool: { name: 'guix-recipes', version: '1.2.3' },
};

const doc = (format: AttestationFormat) => structuredClone(attestationDocument(format, input)) as Json;

/** The object at `path` (keys and array indexes) inside `root`. */
function at(root: Json, path: (string | number)[]): Json {
  let v: unknown = root;
  for (const k of path) v = (v as Record<string | number, unknown>)[k];
  assert.ok(v !== null && typeof v === 'object', `${path.join('.')} is an object in the document`);
  return v as Json;
}

const get = (obj: Json, path: string[]): string[] => {
  let v: unknown = obj;
  for (const k of path) v = (v as Json)[k];
  assert.ok(Array.isArray(v) && v.length > 0, `${path.join('.')} is a non-empty required list`);
  return v as string[];
};

const cdx16 = schema('cyclonedx/bom-1.6.schema.json');
const cdx17 = schema('cyclonedx/bom-1.7.schema.json');
const spdx = schema('spdx-2.3-schema.json');
const inToto = schema('in-toto-statement-v1.schema.json');
const slsa = schema('slsa-provenance-v1.schema.json');

/** [validator, document format, required list (from the schema), where it applies in the document]. */
const CASES: [keyof ReturnType<typeof validators>, AttestationFormat, string[], (string | number)[]][] = [];
for (const [v, f, s] of [
  ['cyclonedx-1.6', 'cyclonedx-1.6', cdx16],
  ['cyclonedx-1.7', 'cyclonedx-1.7', cdx17],
] as const) {
  CASES.push(
    [v, f, get(s, ['required']), []],
    [v, f, get(s, ['definitions', 'component', 'required']), ['components', 0]],
    [v, f, get(s, ['definitions', 'component', 'required']), ['metadata', 'component']],
    [v, f, get(s, ['definitions', 'dependency', 'required']), ['dependencies', 0]],
    [v, f, get(s, ['definitions', 'property', 'required']), ['components', 0, 'properties', 0]],
    [v, f, get(s, ['definitions', 'workflow', 'required']), ['formulation', 0, 'workflows', 0]],
    [
      v,
      f,
      get(s, ['definitions', 'componentData', 'required']),
      ['formulation', 0, 'components', 0, 'data', 0],
    ],
  );
}
CASES.push(
  ['spdx-2.3', 'spdx-2.3', get(spdx, ['required']), []],
  ['spdx-2.3', 'spdx-2.3', get(spdx, ['properties', 'creationInfo', 'required']), ['creationInfo']],
  ['spdx-2.3', 'spdx-2.3', get(spdx, ['properties', 'packages', 'items', 'required']), ['packages', 1]],
  [
    'spdx-2.3',
    'spdx-2.3',
    get(spdx, ['properties', 'relationships', 'items', 'required']),
    ['relationships', 1],
  ],
  [
    'spdx-2.3',
    'spdx-2.3',
    get(spdx, ['properties', 'packages', 'items', 'properties', 'externalRefs', 'items', 'required']),
    ['packages', 1, 'externalRefs', 0],
  ],
  ['in-toto', 'slsa', get(inToto, ['required']), []],
  ['in-toto', 'slsa', ['digest'], ['subject', 0]],
  ['slsa', 'slsa', get(inToto, ['required']), []],
  ['slsa', 'slsa', get(slsa, ['definitions', 'Provenance', 'required']), ['predicate']],
  [
    'slsa',
    'slsa',
    get(slsa, ['definitions', 'BuildDefinition', 'required']),
    ['predicate', 'buildDefinition'],
  ],
  ['slsa', 'slsa', get(slsa, ['definitions', 'RunDetails', 'required']), ['predicate', 'runDetails']],
  ['slsa', 'slsa', get(slsa, ['definitions', 'Builder', 'required']), ['predicate', 'runDetails', 'builder']],
);

void test('the documents are valid as written', () => {
  for (const [name, format] of [
    ['cyclonedx-1.6', 'cyclonedx-1.6'],
    ['cyclonedx-1.7', 'cyclonedx-1.7'],
    ['spdx-2.3', 'spdx-2.3'],
    ['in-toto', 'slsa'],
    ['slsa', 'slsa'],
  ] as const) {
    const validate = validators()[name];
    assert.ok(validate(doc(format)), `${name}: ${describeErrors(validate)}`);
  }
});

for (const [name, format, required, path] of CASES) {
  void test(`${name} rejects a document lacking ${path.length ? `${path.join('.')}.` : ''}{${required.join(', ')}}`, () => {
    const validate = validators()[name];
    for (const field of required) {
      const d = doc(format);
      const parent = at(d, path);
      assert.ok(field in parent, `our document has ${[...path, field].join('.')}`);
      delete parent[field];
      assert.equal(validate(d), false, `${name} accepted a document without ${[...path, field].join('.')}`);
    }
  });
}

void test('the SLSA schema wants the SLSA predicate type, the in-toto one the v1 statement type', () => {
  const wrongPredicate = doc('slsa');
  wrongPredicate.predicateType = 'https://slsa.dev/provenance/v0.2';
  assert.equal(validators().slsa(wrongPredicate), false);
  assert.equal(validators()['in-toto'](wrongPredicate), true, 'any predicate type is a valid statement');
  const wrongType = doc('slsa');
  wrongType._type = 'https://in-toto.io/Statement/v0.1';
  assert.equal(validators()['in-toto'](wrongType), false);
  const badDigest = doc('slsa');
  at(badDigest, ['subject', 0]).digest = { sha256: 'not hex' };
  assert.equal(validators()['in-toto'](badDigest), false);
});

void test('extension fields are allowed, as the in-toto parsing rules say', () => {
  const d = doc('slsa');
  at(d, ['predicate', 'runDetails']).example_org_note = 'extra';
  assert.ok(validators().slsa(d));
});
