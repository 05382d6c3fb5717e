/**
 * A recipe as an SPDX 2.3 document (JSON): one package for the subject, one per distinct store item,
 * `CONTAINS` from the subject to every item and `DEPENDS_ON` for propagated inputs. Written by hand,
 * typed after the SPDX 2.3 JSON schema: no maintained JavaScript library writes SPDX 2.3 documents.
 * Choices are documented in docs/sbom.md.
 */
import type { AttestInput } from './attest-input.js';
import { documentTimestamp, recoveryNote, subjectPlatform } from './attest-input.js';
import { channelUri, genericPurl, ociPurl } from './identifiers.js';
import { contentUuid, serialiseDocument } from './serialise.js';
import { storeGraph, type StoreItem } from './store-items.js';

export interface SpdxExternalRef {
  referenceCategory: 'PACKAGE-MANAGER' | 'OTHER';
  referenceType: string;
  referenceLocator: string;
  comment?: string;
}

export interface SpdxPackage {
  name: string;
  SPDXID: string;
  versionInfo?: string;
  packageFileName?: string;
  downloadLocation: 'NOASSERTION';
  filesAnalyzed: false;
  primaryPackagePurpose: 'CONTAINER' | 'APPLICATION' | 'LIBRARY';
  licenseConcluded: 'NOASSERTION';
  licenseDeclared: 'NOASSERTION';
  copyrightText: 'NOASSERTION';
  externalRefs?: SpdxExternalRef[];
  comment?: string;
}

export interface SpdxRelationship {
  spdxElementId: string;
  relationshipType: 'DESCRIBES' | 'CONTAINS' | 'DEPENDS_ON';
  relatedSpdxElement: string;
}

export interface SpdxDocument {
  spdxVersion: 'SPDX-2.3';
  dataLicense: 'CC0-1.0';
  SPDXID: 'SPDXRef-DOCUMENT';
  name: string;
  documentNamespace: string;
  creationInfo: { created: string; creators: string[]; comment: string };
  packages: SpdxPackage[];
  relationships: SpdxRelationship[];
}

/** The pattern SPDX 2.3 gives element identifiers. */
export const SPDX_ID_RE = /^SPDXRef-[a-zA-Z0-9.-]+$/;

const SUBJECT_ID = 'SPDXRef-Subject';
const PACKAGE_PREFIX = 'SPDXRef-Package-';

/**
 * SPDX identifiers for store items, in item order: `SPDXRef-Package-` and the store file name
 * (`<hash>-<name>-<version>[-<output>]`) with every character SPDX does not allow replaced by `-`.
 * The hash makes them unique; should two still clash (only hostile manifests can), the later one gets
 * `-2`, `-3`, ... — deterministic, since the item order is.
 */
function packageIds(items: StoreItem[]): Map<string, string> {
  const ids = new Map<string, string>();
  const used = new Set<string>();
  for (const item of items) {
    const base =
      PACKAGE_PREFIX +
      item.storePath.slice(item.storePath.lastIndexOf('/') + 1).replace(/[^a-zA-Z0-9.-]/g, '-');
    let id = base;
    for (let n = 2; used.has(id); n++) id = `${base}-${n}`;
    used.add(id);
    ids.set(item.storePath, id);
  }
  return ids;
}

/** Whitespace percent-encoded: external reference locators are "strings with no spaces". */
function locator(s: string): string {
  return s.replace(/\s/gu, (c) => encodeURIComponent(c));
}

function itemPackage(item: StoreItem, id: string): SpdxPackage {
  const refs: SpdxExternalRef[] = [];
  const purl = genericPurl(item.name, item.version);
  if (purl !== undefined)
    refs.push({ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: purl });
  for (const ch of item.channels) {
    refs.push({
      referenceCategory: 'OTHER',
      referenceType: 'guix-channel',
      referenceLocator: locator(`${channelUri(ch.url) ?? ch.url}@${ch.commit}`),
      comment: `Guix channel ${ch.name}`,
    });
  }
  const facts = [
    `Guix output "${item.output}"`,
    item.topLevel ? 'a top-level entry of the profile manifest' : 'a propagated input only',
  ];
  if (item.transformations.length > 0)
    facts.push(`transformations: ${item.transformations.map((t) => `${t.option}=${t.value}`).join(', ')}`);
  const pkg: SpdxPackage = {
    name: item.name,
    SPDXID: id,
    ...(item.version === '' ? {} : { versionInfo: item.version }),
    packageFileName: item.storePath,
    downloadLocation: 'NOASSERTION',
    filesAnalyzed: false,
    primaryPackagePurpose: 'LIBRARY',
    licenseConcluded: 'NOASSERTION',
    licenseDeclared: 'NOASSERTION',
    copyrightText: 'NOASSERTION',
  };
  if (refs.length > 0) pkg.externalRefs = refs;
  pkg.comment = `${facts.join('; ')}.`;
  return pkg;
}

function subjectPackage(input: AttestInput): SpdxPackage {
  const { subject, recipe } = input;
  const purl = ociPurl(subject);
  const facts = [
    subject.kind === 'image'
      ? `versionInfo is the image manifest digest`
      : `versionInfo is the digest of the profile's manifest file`,
  ];
  const platform = subjectPlatform(subject);
  if (platform !== undefined) facts.push(`platform ${platform}`);
  if (recipe.profile !== null) facts.push(`Guix profile ${recipe.profile}`);
  if (recipe.packagesWithoutProvenance.length > 0)
    facts.push(`packages without provenance: ${recipe.packagesWithoutProvenance.join(', ')}`);
  const pkg: SpdxPackage = {
    name: subject.name,
    SPDXID: SUBJECT_ID,
    versionInfo: subject.digest,
    downloadLocation: 'NOASSERTION',
    filesAnalyzed: false,
    primaryPackagePurpose: subject.kind === 'image' ? 'CONTAINER' : 'APPLICATION',
    licenseConcluded: 'NOASSERTION',
    licenseDeclared: 'NOASSERTION',
    copyrightText: 'NOASSERTION',
  };
  if (purl !== undefined)
    pkg.externalRefs = [
      { referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: purl },
    ];
  pkg.comment = `${facts.join('; ')}.`;
  return pkg;
}

/** The SPDX 2.3 document of a recipe (plain JSON data; `serialiseDocument` gives its bytes). */
export function spdxDocument(input: AttestInput): SpdxDocument {
  const created = documentTimestamp(input.scannedAt);
  const graph = storeGraph(input.recipe);
  const ids = packageIds(graph.items);
  const packages = [
    subjectPackage(input),
    ...graph.items.map((item) => itemPackage(item, ids.get(item.storePath)!)),
  ];
  const relationships: SpdxRelationship[] = [
    { spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: SUBJECT_ID },
  ];
  for (const item of graph.items)
    relationships.push({
      spdxElementId: SUBJECT_ID,
      relationshipType: 'CONTAINS',
      relatedSpdxElement: ids.get(item.storePath)!,
    });
  for (const item of graph.items) {
    for (const dep of item.dependsOn)
      relationships.push({
        spdxElementId: ids.get(item.storePath)!,
        relationshipType: 'DEPENDS_ON',
        relatedSpdxElement: ids.get(dep)!,
      });
  }
  const assemble = (documentNamespace: string): SpdxDocument => ({
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: `${input.subject.name}@${input.subject.digest}`,
    documentNamespace,
    creationInfo: {
      created,
      creators: [`Tool: ${input.tool.name}-${input.tool.version}`],
      comment: recoveryNote(input),
    },
    packages,
    relationships,
  });
  // Unique per document: a UUID derived from the document's own text without it (docs/sbom.md).
  return assemble(`urn:uuid:${contentUuid(serialiseDocument(assemble('')))}`);
}
