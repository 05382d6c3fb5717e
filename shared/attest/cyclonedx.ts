/**
 * A recipe as a CycloneDX BOM (JSON, spec 1.6 or 1.7): one component per distinct store item, the
 * dependency graph of propagated inputs, and the recipe itself under `formulation`. The property
 * namespace `guix:` and every choice made here are documented in docs/sbom.md.
 *
 * The BOM proper (metadata, components, dependencies) is built with @cyclonedx/cyclonedx-library's
 * models and JSON normaliser. The library has no model for `formulation`, so that part is written here,
 * typed after the schema (Formula, Workflow, ... below), and appended to the normalised BOM.
 */
import { Enums, Models, Serialize, Spec } from '@cyclonedx/cyclonedx-library';
import type { AttestInput } from './attest-input.js';
import { documentTimestamp, recoveryNote, subjectPlatform } from './attest-input.js';
import {
  CHANNELS_FILE,
  CONFIGURATION_FILE,
  MANIFEST_FILE,
  rebuildCommand,
  recipeFile,
} from './recipe-rebuild.js';
import { contentUuid, serialiseDocument } from './serialise.js';
import { storeGraph, type StoreItem } from './store-items.js';
import { genericPurl, ociPurl } from './identifiers.js';
import { createHash } from 'node:crypto';

export type CycloneDxVersion = '1.6' | '1.7';
export const CYCLONEDX_VERSIONS: readonly CycloneDxVersion[] = ['1.6', '1.7'];

type Normalized = Serialize.JSON.Types.Normalized.Bom;
type NormalizedComponent = Serialize.JSON.Types.Normalized.Component;

interface Property {
  name: string;
  value: string;
}

/** `formula` of the CycloneDX schema, as far as it is used here. */
export interface Formula {
  'bom-ref': string;
  components: FormulationComponent[];
  workflows: Workflow[];
}

export interface FormulationComponent {
  type: 'data' | 'library';
  name: string;
  version?: string;
  'bom-ref': string;
  hashes?: { alg: 'SHA-256'; content: string }[];
  properties?: Property[];
  data?: {
    type: 'configuration';
    name: string;
    contents: { attachment: { contentType: string; content: string } };
  }[];
}

export interface Workflow {
  'bom-ref': string;
  uid: string;
  name: string;
  description: string;
  taskTypes: ['build'];
  steps: { name: string; description: string; commands: { executed: string }[] }[];
  inputs: { resource: { ref: string } }[];
  outputs: { type: 'artifact'; resource: { ref: string } }[];
}

/** The BOM as printed: the library's normalised BOM plus `formulation`, keys in this order. */
export interface CycloneDxDocument {
  $schema?: string;
  bomFormat: 'CycloneDX';
  specVersion: string;
  serialNumber: string;
  version: number;
  metadata?: Serialize.JSON.Types.Normalized.Metadata;
  components?: NormalizedComponent[];
  dependencies?: Serialize.JSON.Types.Normalized.Dependency[];
  formulation: Formula[];
}

/** bom-refs of our own elements. Store items' refs are their store paths (see `itemRef`), never these. */
const REF = {
  subject: 'subject',
  formula: 'recipe',
  workflow: 'recipe:rebuild',
  channelsFile: `recipe:${CHANNELS_FILE}`,
  manifestFile: `recipe:${MANIFEST_FILE}`,
  configurationFile: `recipe:${CONFIGURATION_FILE}`,
  channel: (name: string) => `channel:${name}`,
};

/**
 * A store item's bom-ref: its store path, which is unique within a recipe. A "store path" that is not
 * absolute (only a hostile manifest has one) is prefixed, so that it can never equal one of REF's.
 */
export function itemRef(storePath: string): string {
  return storePath.startsWith('/') ? storePath : `store-item:${storePath}`;
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Add name/value properties, each distinct pair once (the schema wants unique items). */
function addProperties(repo: Models.PropertyRepository, props: [string, string][]): void {
  const seen = new Set<string>();
  for (const [name, value] of props) {
    const key = JSON.stringify([name, value]);
    if (seen.has(key)) continue;
    seen.add(key);
    repo.add(new Models.Property(name, value));
  }
}

function itemProperties(item: StoreItem): [string, string][] {
  const props: [string, string][] = [
    ['guix:store-path', item.storePath],
    ['guix:output', item.output],
    ['guix:top-level', String(item.topLevel)],
  ];
  for (const ch of item.channels) {
    props.push([`guix:channel:${ch.name}:url`, ch.url]);
    // A provenance whose commit is `#f` names no commit: no property rather than an invented value.
    if (ch.commit !== null) props.push([`guix:channel:${ch.name}:commit`, ch.commit]);
  }
  for (const t of item.transformations) props.push(['guix:transformation', `${t.option}=${t.value}`]);
  return props;
}

function subjectComponent(input: AttestInput): Models.Component {
  const { subject, recipe } = input;
  const purl = ociPurl(subject);
  const component = new Models.Component(
    subject.kind === 'image' ? Enums.ComponentType.Container : Enums.ComponentType.Application,
    subject.name,
    { bomRef: REF.subject, version: subject.digest, ...(purl === undefined ? {} : { purl }) },
  );
  const props: [string, string][] = [
    ['guix:digest-of', subject.kind === 'image' ? 'image-manifest' : 'profile-manifest'],
  ];
  const platform = subjectPlatform(subject);
  if (platform !== undefined) props.push(['guix:platform', platform]);
  props.push(['guix:recipe-kind', recipe.kind]);
  if (recipe.profile !== null) props.push(['guix:profile', recipe.profile]);
  if (recipe.manifestVersion !== undefined && recipe.manifestVersion !== null)
    props.push(['guix:manifest-version', String(recipe.manifestVersion)]);
  for (const spec of recipe.packagesWithoutProvenance) props.push(['guix:package-without-provenance', spec]);
  addProperties(component.properties, props);
  return component;
}

/** The BOM without formulation and serial number, through the library. */
function normalisedBom(input: AttestInput, version: CycloneDxVersion): Normalized {
  const graph = storeGraph(input.recipe);
  const bom = new Models.Bom();
  bom.metadata.lifecycles.add(Enums.LifecyclePhase.PostBuild);
  bom.metadata.tools.components.add(
    new Models.Component(Enums.ComponentType.Application, input.tool.name, { version: input.tool.version }),
  );
  const subject = subjectComponent(input);
  bom.metadata.component = subject;

  const components = new Map<string, Models.Component>();
  for (const item of graph.items) {
    const purl = genericPurl(item.name, item.version);
    const c = new Models.Component(Enums.ComponentType.Library, item.name, {
      bomRef: itemRef(item.storePath),
      ...(item.version === '' ? {} : { version: item.version }),
      ...(purl === undefined ? {} : { purl }),
    });
    addProperties(c.properties, itemProperties(item));
    components.set(item.storePath, c);
    bom.components.add(c);
  }
  // Edges hold the very BomRef objects of their targets: the library's dependency graph matches by identity.
  for (const path of graph.topLevel) subject.dependencies.add(components.get(path)!.bomRef);
  for (const item of graph.items) {
    const c = components.get(item.storePath)!;
    for (const dep of item.dependsOn) c.dependencies.add(components.get(dep)!.bomRef);
  }
  const spec = version === '1.7' ? Spec.Spec1dot7 : Spec.Spec1dot6;
  // sortLists stays off: the library sorts with localeCompare, which depends on the process's locale.
  return new Serialize.JSON.Normalize.Factory(spec).makeForBom().normalize(bom, { sortLists: false });
}

function fileComponent(ref: string, name: string, text: string): FormulationComponent {
  return {
    type: 'data',
    name,
    'bom-ref': ref,
    hashes: [{ alg: 'SHA-256', content: sha256Hex(text) }],
    data: [
      { type: 'configuration', name, contents: { attachment: { contentType: 'text/plain', content: text } } },
    ],
  };
}

/** The recipe as the formula of the subject: its files and channels as inputs, the guix command as the step. */
function formulation(input: AttestInput): Formula[] {
  const { recipe } = input;
  const components: FormulationComponent[] = [];
  const inputs: Workflow['inputs'] = [];
  if (recipe.texts.channels !== undefined) {
    components.push(fileComponent(REF.channelsFile, CHANNELS_FILE, recipe.texts.channels));
    inputs.push({ resource: { ref: REF.channelsFile } });
  }
  const file = recipeFile(recipe);
  const fileRef = file.name === MANIFEST_FILE ? REF.manifestFile : REF.configurationFile;
  if (file.text !== undefined) {
    components.push(fileComponent(fileRef, file.name, file.text));
    inputs.push({ resource: { ref: fileRef } });
  }
  const named = new Set<string>();
  for (const ch of recipe.channels) {
    if (named.has(ch.name)) continue;
    named.add(ch.name);
    const props: Property[] = [{ name: 'guix:channel-url', value: ch.url }];
    if (ch.branch !== null) props.push({ name: 'guix:channel-branch', value: ch.branch });
    if (ch.introduction !== null) {
      props.push(
        { name: 'guix:channel-introduction-commit', value: ch.introduction.commit },
        { name: 'guix:channel-introduction-signer', value: ch.introduction.signer },
      );
    }
    for (const other of ch.commits) {
      if (other !== null && other !== ch.commit)
        props.push({ name: 'guix:channel-other-commit', value: other });
    }
    components.push({
      type: 'library',
      name: ch.name,
      ...(ch.commit !== null ? { version: ch.commit } : {}),
      'bom-ref': REF.channel(ch.name),
      properties: props,
    });
    inputs.push({ resource: { ref: REF.channel(ch.name) } });
  }
  const command = rebuildCommand(recipe, input.subject);
  return [
    {
      'bom-ref': REF.formula,
      components,
      workflows: [
        {
          'bom-ref': REF.workflow,
          uid: REF.workflow,
          name: 'guix time-machine',
          description: recoveryNote(input),
          taskTypes: ['build'],
          steps: [
            {
              name: 'rebuild',
              description:
                recipe.texts.channels === undefined
                  ? `No channels are recorded (no provenance): ${file.name} is built with the Guix at hand.`
                  : `Build ${file.name} with the channels of ${CHANNELS_FILE}, at their commits.`,
              commands: [{ executed: command }],
            },
          ],
          inputs,
          outputs: [{ type: 'artifact', resource: { ref: REF.subject } }],
        },
      ],
    },
  ];
}

/** The CycloneDX BOM of a recipe (plain JSON data; `serialiseDocument` gives its bytes). */
export function cycloneDxDocument(input: AttestInput, version: CycloneDxVersion = '1.6'): CycloneDxDocument {
  const timestamp = documentTimestamp(input.scannedAt);
  const bom = normalisedBom(input, version);
  const assemble = (serialNumber: string): CycloneDxDocument => {
    const doc: CycloneDxDocument = {
      $schema: bom.$schema,
      bomFormat: bom.bomFormat,
      specVersion: bom.specVersion,
      serialNumber,
      version: bom.version,
      metadata: { ...bom.metadata, timestamp },
      components: bom.components,
      dependencies: bom.dependencies,
      formulation: formulation(input),
    };
    return doc;
  };
  // The serial number names this exact BOM: derived from the BOM's own text without it.
  return assemble(`urn:uuid:${contentUuid(serialiseDocument(assemble('')))}`);
}
