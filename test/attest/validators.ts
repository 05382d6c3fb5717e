/**
 * Ajv validators for the published schemas copied into test/fixtures/schemas (CycloneDX 1.6 and 1.7,
 * SPDX 2.3) and for the in-toto Statement and SLSA Provenance schemas written there. Test code only.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type AnySchema, type ErrorObject, type ValidateFunction } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import addFormatsModule from 'ajv-formats';
import addFormats2019 from 'ajv-formats-draft2019';

// ajv-formats is CommonJS with `exports.default`: under Node's ESM loader the default import is the module object.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ??
  addFormatsModule) as unknown as (ajv: Ajv) => Ajv;

export const SCHEMAS_DIR = 'test/fixtures/schemas';

function load(file: string): AnySchema {
  return JSON.parse(readFileSync(join(SCHEMAS_DIR, file), 'utf8')) as AnySchema;
}

/** Formats the schemas use, as CycloneDX's own JavaScript library validates them. */
function withFormats<T extends Ajv>(ajv: T): T {
  addFormats(ajv);
  addFormats2019(ajv, { formats: ['idn-email'] });
  // No maintained validator implements `iri-reference` (ajv-formats-draft2019's rejects plain
  // `https://...` IRIs); the CycloneDX library accepts any string for it too. The documents written
  // here hold no field of that format.
  ajv.addFormat('iri-reference', true);
  // CycloneDX's annotation of enum values: documentation, no constraint.
  ajv.addKeyword({ keyword: 'meta:enum', schemaType: 'object' });
  return ajv;
}

export interface Validator {
  (doc: unknown): boolean;
  errors?: ErrorObject[] | null;
}

let cache:
  Record<'cyclonedx-1.6' | 'cyclonedx-1.7' | 'spdx-2.3' | 'in-toto' | 'slsa', ValidateFunction> | undefined;

/** Compiled validators (compiled once per test process). */
export function validators() {
  if (cache) return cache;
  // Unknown keywords and formats still fail compilation; the published schemas' loose spots (a `required`
  // naming no declared property, unions without `type`) are theirs, not ours, so those checks are off.
  const published = {
    allErrors: true,
    strictTypes: false,
    strictTuples: false,
    strictRequired: false,
  } as const;
  const cdx = withFormats(new Ajv(published));
  for (const f of ['spdx.schema.json', 'jsf-0.82.schema.json', 'cryptography-defs.schema.json'])
    cdx.addSchema(load(`cyclonedx/${f}`));
  const spdx = withFormats(new Ajv2019(published));
  // Ours are held to Ajv's strict mode, but for `required` inside `anyOf` branches: the idiom for "one of these".
  const attest = withFormats(new Ajv({ strict: true, strictRequired: false, allErrors: true }));
  attest.addSchema(load('in-toto-statement-v1.schema.json'));
  cache = {
    'cyclonedx-1.6': cdx.compile(load('cyclonedx/bom-1.6.schema.json')),
    'cyclonedx-1.7': cdx.compile(load('cyclonedx/bom-1.7.schema.json')),
    'spdx-2.3': spdx.compile(load('spdx-2.3-schema.json')),
    'in-toto': attest.getSchema('urn:guix-recipes:schema:in-toto-statement-v1')!,
    slsa: attest.compile(load('slsa-provenance-v1.schema.json')),
  };
  return cache;
}

/** Ajv's errors as short lines, for assertion messages. */
export function describeErrors(v: ValidateFunction): string {
  return (v.errors ?? [])
    .slice(0, 10)
    .map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`)
    .join('\n');
}
