// Every fixture image, through `inspect docker-archive:... --output cyclonedx|cyclonedx-1.7|spdx|slsa`:
// each document valid against its published schema (ours for in-toto and SLSA), one component / package
// per distinct store path with its store path and channel commits, dependency edges equal to the
// propagated inputs, deterministic bytes, and the same bytes as renderAttestation (what the API calls).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { cli } from '../cli/capture.js';
import { FIXTURE_NAMES, FIXTURES_DIR } from '../harness/skopeo.js';
import { describeErrors, validators } from './validators.js';
import type { ProfileRecipe as Recipe, RecipeDependency, RecipePackage } from '../../shared/guix/recipe.js';
import type { ImageScan } from '../../shared/scan/scan-result.js';
import { renderAttestation } from '../../shared/attest/render-attestation.js';
import { SPDX_ID_RE } from '../../shared/attest/spdx.js';

const EPOCH = '1717171717';
const EPOCH_ISO = '2024-05-31T16:08:37Z';
const env = { SOURCE_DATE_EPOCH: EPOCH };

interface Property {
  name: string;
  value: string;
}
interface CdxComponent {
  type: string;
  name: string;
  version?: string;
  'bom-ref': string;
  purl?: string;
  properties?: Property[];
}
interface CdxDocument {
  specVersion: string;
  serialNumber: string;
  metadata: { timestamp: string; component: CdxComponent };
  components: CdxComponent[];
  dependencies: { ref: string; dependsOn?: string[] }[];
  formulation: {
    components: { name: string; 'bom-ref': string; version?: string; data?: unknown[] }[];
    workflows: { steps: { commands: { executed: string }[] }[]; inputs: { resource: { ref: string } }[] }[];
  }[];
}
interface SpdxDocument {
  documentNamespace: string;
  creationInfo: { created: string; creators: string[] };
  packages: { SPDXID: string; name: string; versionInfo?: string; packageFileName?: string }[];
  relationships: { spdxElementId: string; relationshipType: string; relatedSpdxElement: string }[];
}
interface SlsaDocument {
  subject: { name: string; digest: Record<string, string> }[];
  predicate: {
    buildDefinition: {
      externalParameters: { channels?: string; manifest: string };
      resolvedDependencies: { name: string; uri?: string; digest?: { gitCommit: string } }[];
    };
  };
}

/** Distinct store paths and propagated-input edges, walked here independently of shared/attest. */
function expectedGraph(recipe: Recipe): { paths: Set<string>; edges: Set<string> } {
  const paths = new Set<string>();
  const edges = new Set<string>();
  const walk = (node: RecipePackage | RecipeDependency): void => {
    paths.add(node.storePath);
    for (const d of node.propagated) {
      if (d.storePath !== node.storePath) edges.add(`${node.storePath} -> ${d.storePath}`);
      walk(d);
    }
  };
  recipe.packages.forEach(walk);
  return { paths, edges };
}

const props = (c: CdxComponent, name: string) =>
  (c.properties ?? []).filter((p) => p.name === name).map((p) => p.value);

async function run(source: string, output: string): Promise<string> {
  const r = await cli(['inspect', source, '--output', output], { env });
  assert.equal(r.stderr, '');
  assert.equal(r.code, 0);
  return r.stdout;
}

void test('there are fixture images, one of them with repeated propagated inputs', async () => {
  assert.ok(FIXTURE_NAMES.length >= 9, `found ${FIXTURE_NAMES.length}`);
  const scan = JSON.parse(
    await run(`docker-archive:${join(FIXTURES_DIR, 'propagated/image.tar.gz')}`, 'json'),
  ) as ImageScan;
  const first = scan.results[0]!;
  assert.equal(first.kind, 'recipe');
  assert.match(JSON.stringify(first.kind === 'recipe' && first.recipe.packages), /"repeated":true/);
});

for (const fixture of FIXTURE_NAMES) {
  const source = `docker-archive:${join(FIXTURES_DIR, fixture, 'image.tar.gz')}`;
  void describe(`fixture ${fixture}`, () => {
    let recipe: Recipe;
    let digest: string;
    const scanOnce = async () => {
      if (recipe) return;
      const scan = JSON.parse(await run(source, 'json')) as ImageScan;
      assert.equal(scan.results.length, 1);
      const result = scan.results[0]!;
      assert.equal(result.kind, 'recipe');
      if (result.kind !== 'recipe' || result.recipe.kind !== 'profile') return;
      recipe = result.recipe;
      digest = result.manifest.digest;
    };

    for (const [output, version] of [
      ['cyclonedx', '1.6'],
      ['cyclonedx-1.7', '1.7'],
    ] as const) {
      void test(`--output ${output}: valid CycloneDX ${version}, one component per store path, edges = propagated inputs`, async () => {
        await scanOnce();
        const text = await run(source, output);
        const doc = JSON.parse(text) as CdxDocument;
        const validate = validators()[`cyclonedx-${version}`];
        assert.ok(validate(doc), describeErrors(validate));
        assert.equal(doc.specVersion, version);
        assert.equal(doc.metadata.timestamp, EPOCH_ISO);
        assert.match(
          doc.serialNumber,
          /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
        );

        // The subject: the image, by its manifest digest.
        assert.equal(doc.metadata.component.type, 'container');
        assert.equal(
          doc.metadata.component.name,
          `docker-archive:${resolve(FIXTURES_DIR, fixture, 'image.tar.gz')}`,
        );
        assert.equal(doc.metadata.component.version, digest);
        assert.deepEqual(
          props(doc.metadata.component, 'guix:profile'),
          recipe.profile === null ? [] : [recipe.profile],
        );

        const { paths, edges } = expectedGraph(recipe);
        assert.equal(doc.components.length, paths.size);
        assert.deepEqual(new Set(doc.components.map((c) => props(c, 'guix:store-path')[0])), paths);
        const refs = doc.components.map((c) => c['bom-ref']);
        assert.equal(new Set(refs).size, refs.length, 'bom-refs are unique');

        for (const pkg of recipe.packages) {
          const c = doc.components.find((x) => x['bom-ref'] === pkg.storePath);
          assert.ok(c, `a component for ${pkg.storePath}`);
          assert.equal(c.name, pkg.name);
          assert.equal(c.version, pkg.version);
          assert.deepEqual(props(c, 'guix:store-path'), [pkg.storePath]);
          assert.deepEqual(props(c, 'guix:output'), [pkg.output]);
          assert.deepEqual(props(c, 'guix:top-level'), ['true']);
          for (const ch of pkg.channels) {
            assert.deepEqual(props(c, `guix:channel:${ch.name}:commit`), [ch.commit]);
            assert.deepEqual(props(c, `guix:channel:${ch.name}:url`), [ch.url]);
          }
          assert.equal(props(c, 'guix:transformation').length, pkg.transformations.length);
        }
        const got = new Set<string>();
        for (const d of doc.dependencies) {
          if (d.ref === 'subject') {
            assert.deepEqual(new Set(d.dependsOn), new Set(recipe.packages.map((p) => p.storePath)));
            continue;
          }
          for (const to of d.dependsOn ?? []) got.add(`${d.ref} -> ${to}`);
        }
        assert.deepEqual(got, edges);
        assert.equal(doc.dependencies.length, paths.size + 1, 'every component is listed in the graph');

        // The recipe as the formula: manifest (and channels when known) as inputs, the command as its step.
        const formula = doc.formulation[0]!;
        const names = formula.components.map((c) => c.name);
        assert.ok(names.includes('manifest.scm'));
        assert.equal(names.includes('channels.scm'), recipe.channels.length > 0);
        for (const ch of recipe.channels) {
          const c = formula.components.find((x) => x['bom-ref'] === `channel:${ch.name}`);
          assert.equal(c?.version, ch.commit);
        }
        const executed = formula.workflows[0]!.steps[0]!.commands[0]!.executed;
        assert.equal(
          executed,
          recipe.channels.length > 0
            ? 'guix time-machine -C channels.scm -- pack -f docker -m manifest.scm'
            : 'guix pack -f docker -m manifest.scm',
        );
        assert.equal(formula.workflows[0]!.inputs.length, formula.components.length);

        assert.equal(await run(source, output), text, 'a second run prints the same bytes');
        assert.equal(
          renderAttestation(`cyclonedx-${version}`, {
            recipe,
            subject: {
              kind: 'image',
              name: doc.metadata.component.name,
              digest: digest as `sha256:${string}`,
            },
            scannedAt: EPOCH_ISO,
          }).body,
          text,
          'renderAttestation gives the same bytes',
        );
      });
    }

    void test('--output spdx: valid SPDX 2.3, one package per store path, DEPENDS_ON = propagated inputs', async () => {
      await scanOnce();
      const text = await run(source, 'spdx');
      const doc = JSON.parse(text) as SpdxDocument;
      const validate = validators()['spdx-2.3'];
      assert.ok(validate(doc), describeErrors(validate));
      assert.equal(doc.creationInfo.created, EPOCH_ISO);
      assert.deepEqual(doc.creationInfo.creators, [`Tool: guix-recipes-${await toolVersion()}`]);
      assert.match(doc.documentNamespace, /^urn:uuid:[0-9a-f-]{36}$/);

      const { paths, edges } = expectedGraph(recipe);
      const items = doc.packages.filter((p) => p.SPDXID !== 'SPDXRef-Subject');
      assert.equal(doc.packages.length, paths.size + 1);
      assert.deepEqual(new Set(items.map((p) => p.packageFileName)), paths);
      const ids = doc.packages.map((p) => p.SPDXID);
      assert.equal(new Set(ids).size, ids.length, 'SPDX ids are unique');
      for (const id of [...ids, 'SPDXRef-DOCUMENT']) assert.match(id, SPDX_ID_RE);

      const pathOf = new Map(items.map((p) => [p.SPDXID, p.packageFileName]));
      const dependsOn = doc.relationships.filter((r) => r.relationshipType === 'DEPENDS_ON');
      assert.deepEqual(
        new Set(
          dependsOn.map((r) => `${pathOf.get(r.spdxElementId)} -> ${pathOf.get(r.relatedSpdxElement)}`),
        ),
        edges,
      );
      assert.equal(dependsOn.length, edges.size);
      const contains = doc.relationships.filter((r) => r.relationshipType === 'CONTAINS');
      assert.equal(contains.length, paths.size);
      assert.deepEqual(
        doc.relationships.filter((r) => r.relationshipType === 'DESCRIBES'),
        [
          {
            spdxElementId: 'SPDXRef-DOCUMENT',
            relationshipType: 'DESCRIBES',
            relatedSpdxElement: 'SPDXRef-Subject',
          },
        ],
      );
      for (const pkg of recipe.packages) {
        const p = items.find((x) => x.packageFileName === pkg.storePath);
        assert.equal(p?.name, pkg.name);
        assert.equal(p?.versionInfo, pkg.version);
      }
      assert.equal(await run(source, 'spdx'), text, 'a second run prints the same bytes');
    });

    void test('--output slsa: a valid in-toto Statement with a valid SLSA predicate, channels as resolved dependencies', async () => {
      await scanOnce();
      const text = await run(source, 'slsa');
      const doc = JSON.parse(text) as SlsaDocument;
      const { 'in-toto': statement, slsa } = validators();
      assert.ok(statement(doc), describeErrors(statement));
      assert.ok(slsa(doc), describeErrors(slsa));
      assert.deepEqual(doc.subject[0]!.digest, { sha256: digest.slice('sha256:'.length) });
      const def = doc.predicate.buildDefinition;
      assert.equal(def.externalParameters.manifest, recipe.texts.manifest);
      assert.equal(def.externalParameters.channels, recipe.texts.channels);
      for (const ch of recipe.channels) {
        for (const commit of ch.commits) {
          assert.ok(
            def.resolvedDependencies.some(
              (d) => d.name === ch.name && d.uri === `git+${ch.url}` && d.digest?.gitCommit === commit,
            ),
            `${ch.name} at ${commit} is a resolved dependency`,
          );
        }
      }
      assert.equal(
        def.resolvedDependencies.length,
        recipe.channels.reduce((n, ch) => n + ch.commits.length, 0),
      );
      assert.equal(await run(source, 'slsa'), text, 'a second run prints the same bytes');
    });
  });
}

let version: string | undefined;
async function toolVersion(): Promise<string> {
  if (version === undefined) {
    const { readFile } = await import('node:fs/promises');
    version = (JSON.parse(await readFile('package.json', 'utf8')) as { version: string }).version;
  }
  return version;
}
