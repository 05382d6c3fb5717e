// SBOMs and SLSA statements of a Guix system image: valid against their schemas, the system
// profile's packages as components with the system's channel commit, and the recipe's files as the
// build's inputs: channels.scm and configuration.scm byte for byte, no manifest.scm.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cli } from '../cli/capture.js';
import { describeErrors, validators } from './validators.js';
import { FIXTURE, FIXTURE_COMMIT, SYSTEM_FIXTURE_ARCHIVE } from '../scan/system-image-builder.js';

const SOURCE = `docker-archive:${SYSTEM_FIXTURE_ARCHIVE}`;
const env = { SOURCE_DATE_EPOCH: '1717171717' };

async function run(output: string): Promise<string> {
  const r = await cli(['inspect', SOURCE, '--output', output], { env });
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

interface FormulaComponent {
  name: string;
  'bom-ref': string;
  version?: string;
  hashes?: { content: string }[];
  data?: { contents: { attachment: { content: string } } }[];
}

void test('CycloneDX: the system packages, and channels.scm and configuration.scm as the formula', async () => {
  const doc = JSON.parse(await run('cyclonedx')) as {
    components: { name: string; properties?: { name: string; value: string }[] }[];
    formulation: {
      components: FormulaComponent[];
      workflows: { steps: { commands: { executed: string }[] }[] }[];
    }[];
  };
  const validate = validators()['cyclonedx-1.6'];
  assert.ok(validate(doc), describeErrors(validate));
  const python = doc.components.find((c) => c.name === 'python');
  assert.ok(python);
  assert.deepEqual(
    python.properties?.filter((p) => p.name === 'guix:channel:guix:commit').map((p) => p.value),
    [FIXTURE_COMMIT],
  );
  const formula = doc.formulation[0]!;
  const file = (name: string) => formula.components.find((c) => c.name === name);
  assert.equal(file('manifest.scm'), undefined);
  for (const [name, text] of [
    ['channels.scm', FIXTURE.channels],
    ['configuration.scm', FIXTURE.configuration],
  ] as const) {
    const c = file(name);
    assert.ok(c, name);
    assert.equal(c.data?.[0]?.contents.attachment.content, text);
    assert.equal(c.hashes?.[0]?.content, sha256(text));
  }
  assert.equal(
    formula.workflows[0]!.steps[0]!.commands[0]!.executed,
    'guix time-machine -C channels.scm -- system image -t docker --save-provenance configuration.scm',
  );
});

void test('SPDX and SLSA: valid, the configuration as an external parameter', async () => {
  const spdx = JSON.parse(await run('spdx')) as object;
  const v = validators();
  assert.ok(v['spdx-2.3'](spdx), describeErrors(v['spdx-2.3']));
  const slsa = JSON.parse(await run('slsa')) as {
    predicate: {
      buildDefinition: {
        externalParameters: Record<string, string>;
        resolvedDependencies: { digest?: { gitCommit: string } }[];
      };
    };
  };
  assert.ok(v['in-toto'](slsa), describeErrors(v['in-toto']));
  assert.ok(v.slsa(slsa), describeErrors(v.slsa));
  const params = slsa.predicate.buildDefinition.externalParameters;
  assert.deepEqual(params, {
    kind: 'system',
    channels: FIXTURE.channels,
    configuration: FIXTURE.configuration,
  });
  assert.ok(
    slsa.predicate.buildDefinition.resolvedDependencies.some((d) => d.digest?.gitCommit === FIXTURE_COMMIT),
  );
});
