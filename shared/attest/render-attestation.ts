/**
 * The one entry point the API and the CLI share: a format and an AttestInput in, the exact bytes and
 * their media type out. Both edges call this, so they print byte-identical documents.
 */
import { packageInfo } from '../package-info.js';
import type { AttestInput } from './attest-input.js';
import { cycloneDxDocument } from './cyclonedx.js';
import { serialiseDocument } from './serialise.js';
import { slsaStatement } from './slsa.js';
import { spdxDocument } from './spdx.js';

export type AttestationFormat = 'cyclonedx-1.6' | 'cyclonedx-1.7' | 'spdx-2.3' | 'slsa';
export const ATTESTATION_FORMATS: readonly AttestationFormat[] = [
  'cyclonedx-1.6',
  'cyclonedx-1.7',
  'spdx-2.3',
  'slsa',
];

/** The media type each document is served with. */
export const ATTESTATION_MEDIA_TYPES: Readonly<Record<AttestationFormat, string>> = {
  'cyclonedx-1.6': 'application/vnd.cyclonedx+json; version=1.6',
  'cyclonedx-1.7': 'application/vnd.cyclonedx+json; version=1.7',
  'spdx-2.3': 'application/spdx+json',
  slsa: 'application/vnd.in-toto+json',
};

export interface RenderedAttestation {
  format: AttestationFormat;
  mediaType: string;
  /** The document's text (UTF-8 JSON ending with a newline). */
  body: string;
}

/** The document object of a format (see serialiseDocument for its bytes). */
export function attestationDocument(format: AttestationFormat, input: AttestInput): unknown {
  switch (format) {
    case 'cyclonedx-1.6':
      return cycloneDxDocument(input, '1.6');
    case 'cyclonedx-1.7':
      return cycloneDxDocument(input, '1.7');
    case 'spdx-2.3':
      return spdxDocument(input);
    case 'slsa':
      return slsaStatement(input);
  }
}

/**
 * The document of `format` for `input`, as bytes to send or print. `tool` defaults to this program
 * (package.json's name and version). Throws RecipeError `usage` for a `scannedAt` that is no date-time.
 */
export function renderAttestation(
  format: AttestationFormat,
  input: Omit<AttestInput, 'tool'> & Partial<Pick<AttestInput, 'tool'>>,
): RenderedAttestation {
  const { name, version } = packageInfo();
  const full: AttestInput = { ...input, tool: input.tool ?? { name, version } };
  return {
    format,
    mediaType: ATTESTATION_MEDIA_TYPES[format],
    body: serialiseDocument(attestationDocument(format, full)),
  };
}
