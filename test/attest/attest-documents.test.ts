// shared/attest on hand-made recipes: the store graph (repeated entries, a top-level package met first
// as an input, self-edges, deep nesting), determinism (bytes from the input only, never the clock),
// derived identifiers, and inputs only a hand-made manifest has, which must still give valid documents.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { storeGraph } from '../../shared/attest/store-items.js';
import {
  ATTESTATION_FORMATS,
  ATTESTATION_MEDIA_TYPES,
  attestationDocument,
  renderAttestation,
} from '../../shared/attest/render-attestation.js';
import type { AttestInput, AttestRecipe } from '../../shared/attest/attest-input.js';
import { documentTimestamp, registryImageSubject } from '../../shared/attest/attest-input.js';
import { contentUuid, serialiseDocument } from '../../shared/attest/serialise.js';
import { cycloneDxDocument, itemRef } from '../../shared/attest/cyclonedx.js';
import { spdxDocument, SPDX_ID_RE } from '../../shared/attest/spdx.js';
import { slsaStatement } from '../../shared/attest/slsa.js';
import { channelUri, genericPurl } from '../../shared/attest/identifiers.js';
import type { RecipeDependency, RecipePackage } from '../../shared/guix/recipe.js';
import { isRecipeError } from '../../shared/errors.js';
import { sha256Digest } from '../../shared/content/digest.js';
import { describeErrors, validators } from './validators.js';

const GUIX = { name: 'guix', url: 'https://git.guix.gnu.org/guix.git', commit: 'a'.repeat(40) };

function dep(storePath: string, propagated: RecipeDependency[] = [], repeated = false): RecipeDependency {
  const name = storePath.slice(storePath.lastIndexOf('/') + 1);
  return {
    name,
    version: '1.0',
    output: 'out',
    storePath,
    propagated,
    ...(repeated ? { repeated: true } : {}),
  };
}

function pkg(
  storePath: string,
  propagated: RecipeDependency[] = [],
  extra: Partial<RecipePackage> = {},
): RecipePackage {
  return { ...dep(storePath, propagated), channels: [GUIX], transformations: [], ...extra };
}

function recipeOf(packages: RecipePackage[], extra: Partial<AttestRecipe> = {}): AttestRecipe {
  return {
    kind: 'profile',
    profile: '/gnu/store/00000000000000000000000000000000-profile',
    manifestVersion: 4,
    packages,
    channels: [{ ...GUIX, branch: 'master', introduction: null, commits: [GUIX.commit, 'b'.repeat(40)] }],
    packagesWithoutProvenance: [],
    texts: { channels: '(list)\n', manifest: '(specifications->manifest (list))\n' },
    ...extra,
  };
}

function inputOf(recipe: AttestRecipe, scannedAt = '2024-01-02T03:04:05.678Z'): AttestInput {
  return {
    recipe,
    subject: registryImageSubject({
      registry: 'registry.example',
      repository: 'team/app',
      digest: sha256Digest('m'),
    }),
    scannedAt,
    tool: { name: 'guix-recipes', version: '9.9.9' },
  };
}

/** Every document of `input` is valid against its schema. */
function assertAllValid(input: AttestInput): void {
  const v = validators();
  for (const [name, doc] of [
    ['cyclonedx-1.6', attestationDocument('cyclonedx-1.6', input)],
    ['cyclonedx-1.7', attestationDocument('cyclonedx-1.7', input)],
    ['spdx-2.3', attestationDocument('spdx-2.3', input)],
    ['in-toto', attestationDocument('slsa', input)],
    ['slsa', attestationDocument('slsa', input)],
  ] as const) {
    assert.ok(v[name](doc), `${name}: ${describeErrors(v[name])}`);
  }
}

void test('store graph: one item per store path, first-seen order, edges unioned over every occurrence', () => {
  const [a, b, c, d] = ['/s/a', '/s/b', '/s/c', '/s/d'];
  const graph = storeGraph(
    recipeOf([
      // b is met first as an input of a, then as a top-level entry of its own (with channels).
      pkg(a, [dep(b, [dep(c)]), dep(c, [], true), dep(a), dep(b, [], true)]),
      pkg(b, [dep(d)], { transformations: [{ option: 'with-debug-info', value: 'b' }] }),
    ]),
  );
  assert.deepEqual(
    graph.items.map((i) => i.storePath),
    [a, b, c, d],
  );
  assert.deepEqual(graph.topLevel, [a, b]);
  const byPath = new Map(graph.items.map((i) => [i.storePath, i]));
  assert.deepEqual(byPath.get(a)!.dependsOn, [b, c], 'no self-edge, no duplicate edge');
  assert.deepEqual(byPath.get(b)!.dependsOn, [c, d], 'the edges of both occurrences');
  assert.equal(byPath.get(b)!.topLevel, true);
  assert.deepEqual(byPath.get(b)!.channels, [GUIX], 'channels from the top-level entry');
  assert.deepEqual(byPath.get(b)!.transformations, [{ option: 'with-debug-info', value: 'b' }]);
  assert.equal(byPath.get(c)!.topLevel, false);
  assert.deepEqual(byPath.get(c)!.channels, []);
});

void test('store graph: 20 000 levels of propagated inputs do not overflow the stack', () => {
  let chain: RecipeDependency[] = [];
  for (let i = 20_000; i > 0; i--) chain = [dep(`/s/${i}`, chain)];
  const graph = storeGraph(recipeOf([pkg('/s/0', chain)]));
  assert.equal(graph.items.length, 20_001);
  assert.deepEqual(graph.items[19_999]!.dependsOn, ['/s/20000']);
  const bom = cycloneDxDocument(inputOf(recipeOf([pkg('/s/0', chain)])));
  assert.equal(bom.components!.length, 20_001);
});

void test('the bytes depend on the input only: not on the clock, and each format has its media type', (t) => {
  const input = inputOf(recipeOf([pkg('/s/a', [dep('/s/b')])]));
  t.mock.timers.enable({ apis: ['Date'], now: 0 });
  const early = ATTESTATION_FORMATS.map((f) => renderAttestation(f, input));
  t.mock.timers.tick(86_400_000 * 400);
  const late = ATTESTATION_FORMATS.map((f) => renderAttestation(f, input));
  t.mock.timers.reset();
  assert.deepEqual(late, early);
  for (const r of early) {
    assert.equal(r.mediaType, ATTESTATION_MEDIA_TYPES[r.format]);
    assert.ok(r.body.endsWith('}\n') && !r.body.endsWith('\n\n'), 'one trailing newline');
    assert.ok(r.body.includes('2024-01-02T03:04:05Z'), `${r.format} carries the scan time, in whole seconds`);
    assert.equal(r.body, serialiseDocument(JSON.parse(r.body)), 'the text is JSON.stringify with two spaces');
  }
  assert.deepEqual(
    ATTESTATION_FORMATS.map((f) => ATTESTATION_MEDIA_TYPES[f]),
    [
      'application/vnd.cyclonedx+json; version=1.6',
      'application/vnd.cyclonedx+json; version=1.7',
      'application/spdx+json',
      'application/vnd.in-toto+json',
    ],
  );
});

void test('serial number and document namespace: UUIDs of the document text without them', () => {
  const input = inputOf(recipeOf([pkg('/s/a')]));
  const bom = cycloneDxDocument(input);
  const serial = bom.serialNumber;
  assert.equal(serial, `urn:uuid:${contentUuid(serialiseDocument({ ...bom, serialNumber: '' }))}`);
  const spdx = spdxDocument(input);
  assert.equal(
    spdx.documentNamespace,
    `urn:uuid:${contentUuid(serialiseDocument({ ...spdx, documentNamespace: '' }))}`,
  );
  // Another scan time, another document: another serial number.
  const later = cycloneDxDocument(inputOf(input.recipe, '2024-01-02T03:04:06Z'));
  assert.notEqual(later.serialNumber, serial);
  assert.equal(cycloneDxDocument(inputOf(input.recipe, '2024-01-02T03:04:05.999Z')).serialNumber, serial);
  assert.match(contentUuid('x'), /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

void test('scan times: any ISO 8601 date-time, printed UTC in whole seconds; anything else is a usage error', () => {
  assert.equal(documentTimestamp('2024-01-02T03:04:05.999Z'), '2024-01-02T03:04:05Z');
  assert.equal(documentTimestamp('2024-01-02T05:04:05+02:00'), '2024-01-02T03:04:05Z');
  for (const bad of ['', 'yesterday', '+010000-01-01T00:00:00Z']) {
    assert.throws(
      () => documentTimestamp(bad),
      (e) => isRecipeError(e, 'usage'),
      bad,
    );
    assert.throws(
      () => renderAttestation('slsa', { ...inputOf(recipeOf([])), scannedAt: bad }),
      (e) => isRecipeError(e, 'usage'),
    );
  }
});

void test('identifiers: generic purls, channel URIs', () => {
  assert.equal(genericPurl('gtk+', '3.24.41'), 'pkg:generic/gtk%2B@3.24.41');
  assert.equal(genericPurl('tzdata', ''), 'pkg:generic/tzdata');
  assert.equal(genericPurl('', '1'), undefined);
  assert.equal(channelUri('https://Git.Example.ORG/Guix.git'), 'git+https://git.example.org/Guix.git');
  assert.equal(channelUri('git://example.org/x.git'), 'git://example.org/x.git');
  assert.equal(channelUri('git+ssh://example.org/x.git'), 'git+ssh://example.org/x.git');
  assert.equal(channelUri('example.org:x.git'), 'git+example.org:x.git');
  assert.equal(channelUri('/srv/guix'), undefined, 'no scheme');
  assert.equal(channelUri('https://example.org/a b'), undefined, 'a space');
});

void test('what only hand-made manifests hold still gives valid documents with unique identifiers', () => {
  const recipe = recipeOf(
    [
      // Not a store path, and spelled like the subject's bom-ref: prefixed, it cannot clash with it.
      pkg('subject', [dep('/gnu/store/aaa-x+y'), dep('/gnu/store/aaa-x_y'), dep('/other/aaa-x-y')], {
        name: '',
        version: '',
        channels: [
          { name: 'odd', url: 'not a url', commit: 'c'.repeat(40) },
          { name: 'worse', url: '/local path', commit: 'HEAD' },
        ],
        transformations: [
          { option: 'with-input', value: 'a=b' },
          { option: 'with-input', value: 'a=b' },
        ],
      }),
      pkg('/gnu/store/ééé-café-1.0', [], { name: 'café' }),
    ],
    {
      channels: [
        {
          name: 'odd',
          url: 'not a url',
          branch: null,
          commit: 'c'.repeat(40),
          introduction: null,
          commits: ['c'.repeat(40)],
        },
        {
          name: 'worse',
          url: '/local path',
          branch: null,
          commit: 'HEAD',
          introduction: null,
          commits: ['HEAD'],
        },
      ],
    },
  );
  const input = inputOf(recipe);
  assertAllValid(input);

  const bom = cycloneDxDocument(input);
  const refs = bom.components!.map((c) => c['bom-ref']!);
  assert.equal(refs[0], 'store-item:subject');
  assert.equal(itemRef('subject'), 'store-item:subject');
  assert.equal(new Set([...refs, 'subject']).size, refs.length + 1);
  assert.equal(bom.components![0]!.purl, undefined, 'no name, no purl');
  assert.equal(bom.components![0]!.version, undefined);
  assert.equal(bom.components![0]!.properties!.filter((p) => p.name === 'guix:transformation').length, 1);

  const spdx = spdxDocument(input);
  const ids = spdx.packages.map((p) => p.SPDXID);
  assert.equal(new Set(ids).size, ids.length);
  for (const id of ids) assert.match(id, SPDX_ID_RE);
  assert.deepEqual(ids.slice(2, 5), [
    'SPDXRef-Package-aaa-x-y',
    'SPDXRef-Package-aaa-x-y-2',
    'SPDXRef-Package-aaa-x-y-3',
  ]);

  const deps = slsaStatement(input).predicate.buildDefinition.resolvedDependencies;
  assert.deepEqual(deps, [
    {
      name: 'odd',
      digest: { gitCommit: 'c'.repeat(40) },
      annotations: { url: 'not a url', inChannelsFile: true },
    },
  ]);
  assert.ok(renderAttestation('cyclonedx-1.6', input).body.includes('"café"'), 'non-ASCII is written as is');
});

void test('without provenance: no channels file, no time machine, no resolved dependencies', () => {
  const recipe = recipeOf([pkg('/s/a', [], { channels: [] })], {
    channels: [],
    packagesWithoutProvenance: ['a@1.0'],
    texts: { manifest: '(specifications->manifest (list "a@1.0"))\n' },
  });
  const input = inputOf(recipe);
  assertAllValid(input);
  const bom = cycloneDxDocument(input);
  const formula = bom.formulation[0]!;
  assert.deepEqual(
    formula.components.map((c) => c.name),
    ['manifest.scm'],
  );
  assert.equal(formula.workflows[0]!.steps[0]!.commands[0]!.executed, 'guix pack -f docker -m manifest.scm');
  assert.deepEqual(
    bom.metadata!.component!.properties!.filter((p) => p.name === 'guix:package-without-provenance'),
    [{ name: 'guix:package-without-provenance', value: 'a@1.0' }],
  );
  const slsa = slsaStatement(input);
  assert.deepEqual(slsa.predicate.buildDefinition.resolvedDependencies, []);
  assert.equal('channels' in slsa.predicate.buildDefinition.externalParameters, false);
  assert.deepEqual(slsa.predicate.buildDefinition.internalParameters.recovery.packagesWithoutProvenance, [
    'a@1.0',
  ]);
});

void test('a profile subject, and a recipe of another kind, with the same packages and channels', () => {
  const profile: AttestInput = {
    ...inputOf(recipeOf([pkg('/s/a')])),
    subject: { kind: 'profile', name: '/gnu/store/xyz-profile', digest: sha256Digest('manifest file') },
  };
  assertAllValid(profile);
  const bom = cycloneDxDocument(profile);
  assert.equal(bom.metadata!.component!.type, 'application');
  assert.equal(bom.metadata!.component!.purl, undefined);
  assert.deepEqual(
    bom.metadata!.component!.properties!.find((p) => p.name === 'guix:digest-of'),
    { name: 'guix:digest-of', value: 'profile-manifest' },
  );
  assert.equal(
    bom.formulation[0]!.workflows[0]!.steps[0]!.commands[0]!.executed,
    'guix time-machine -C channels.scm -- package -m manifest.scm',
  );
  assert.equal(spdxDocument(profile).packages[0]!.primaryPackagePurpose, 'APPLICATION');
  assert.deepEqual(slsaStatement(profile).subject[0]!.annotations, { digestOf: 'profile-manifest' });

  const other = inputOf(recipeOf([pkg('/s/a')], { kind: 'bundle' }));
  assertAllValid(other);
  assert.equal(slsaStatement(other).predicate.buildDefinition.externalParameters.kind, 'bundle');
  assert.equal(
    cycloneDxDocument(other).formulation[0]!.workflows[0]!.steps[0]!.commands[0]!.executed,
    'guix time-machine -C channels.scm -- build -m manifest.scm',
  );
});

void test("a system's recipe: configuration.scm instead of manifest.scm, and the system image command", () => {
  const configuration = '(operating-system (host-name "x"))\n';
  const system = inputOf(
    recipeOf([pkg('/s/a')], { kind: 'system', texts: { channels: '(list)\n', configuration } }),
  );
  assertAllValid(system);
  const bom = cycloneDxDocument(system);
  assert.deepEqual(
    bom.formulation[0]!.components.filter((c) => c.type === 'data').map((c) => c.name),
    ['channels.scm', 'configuration.scm'],
  );
  assert.equal(
    bom.formulation[0]!.workflows[0]!.steps[0]!.commands[0]!.executed,
    'guix time-machine -C channels.scm -- system image -t docker --save-provenance configuration.scm',
  );
  const slsa = slsaStatement(system);
  assert.deepEqual(slsa.predicate.buildDefinition.externalParameters, {
    kind: 'system',
    channels: '(list)\n',
    configuration,
  });
  assert.match(
    slsa.predicate.buildDefinition.internalParameters.recovery.note,
    /Guix system's provenance files/,
  );
  assert.match(spdxDocument(system).creationInfo.comment ?? '', /Guix system's provenance files/);

  const bare = inputOf(recipeOf([pkg('/s/a')], { kind: 'system', texts: {} }));
  assertAllValid(bare);
  assert.equal(
    cycloneDxDocument(bare).formulation[0]!.workflows[0]!.steps[0]!.commands[0]!.executed,
    'guix system image -t docker configuration.scm',
  );
  assert.equal('configuration' in slsaStatement(bare).predicate.buildDefinition.externalParameters, false);
});

void test('a registry image: pkg:oci purl with the platform, subject named registry/repository', () => {
  const input: AttestInput = {
    ...inputOf(recipeOf([pkg('/s/a')])),
    subject: registryImageSubject({
      registry: 'localhost:5000',
      repository: 'guix/multi',
      digest: sha256Digest('arm'),
      platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
    }),
  };
  const subject = cycloneDxDocument(input).metadata!.component!;
  assert.equal(subject.name, 'localhost:5000/guix/multi');
  assert.equal(
    subject.purl,
    `pkg:oci/multi@${sha256Digest('arm')}?arch=arm64&repository_url=localhost%3A5000%2Fguix%2Fmulti`,
  );
  assert.deepEqual(subject.properties!.find((p) => p.name === 'guix:platform')?.value, 'linux/arm64/v8');
  assert.deepEqual(slsaStatement(input).subject[0]!.annotations, {
    digestOf: 'image-manifest',
    platform: 'linux/arm64/v8',
  });
});
