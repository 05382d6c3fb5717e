/**
 * `inspect --output cyclonedx|cyclonedx-1.7|spdx|slsa`: which document, its subject and its scan time.
 * The document itself comes from shared/attest (renderAttestation), the same function the API calls,
 * so both print the same bytes for the same recipe, subject and time.
 */
import { createReadStream } from 'node:fs';
import { RecipeError } from '../../shared/errors.js';
import type { AttestSubject } from '../../shared/attest/attest-input.js';
import { registryImageSubject } from '../../shared/attest/attest-input.js';
import type { AttestationFormat } from '../../shared/attest/render-attestation.js';
import type { Descriptor } from '../../shared/content/descriptor.js';
import { digester } from '../../shared/content/digest.js';
import type { Platform } from '../../shared/content/platform.js';
import { parseReference } from '../../shared/oci/reference.js';
import { registryTransportReference } from '../../shared/oci/sources/registry-source.js';
import type { LocalProfile } from './profile-source.js';

/** `--output` words for documents, and the format each prints. */
export const ATTESTATION_OUTPUTS = {
  cyclonedx: 'cyclonedx-1.6',
  'cyclonedx-1.6': 'cyclonedx-1.6',
  'cyclonedx-1.7': 'cyclonedx-1.7',
  spdx: 'spdx-2.3',
  slsa: 'slsa',
} as const satisfies Record<string, AttestationFormat>;

export type AttestationOutput = keyof typeof ATTESTATION_OUTPUTS;

export function isAttestationOutput(output: string): output is AttestationOutput {
  return Object.hasOwn(ATTESTATION_OUTPUTS, output);
}

/**
 * The scan time the documents carry: `SOURCE_DATE_EPOCH` (whole seconds since 1970, as
 * reproducible-builds.org defines it) when set, else `now`. A malformed value is a usage error, as that
 * specification asks.
 */
export function scanTime(env: Record<string, string | undefined>, now: Date = new Date()): string {
  const epoch = env.SOURCE_DATE_EPOCH;
  if (epoch === undefined) return now.toISOString();
  const seconds = /^[0-9]{1,12}$/.test(epoch) ? Number(epoch) : NaN;
  const date = new Date(seconds * 1000);
  if (Number.isNaN(date.getTime()) || date.getUTCFullYear() > 9999)
    throw new RecipeError(
      'usage',
      `SOURCE_DATE_EPOCH must be a whole number of seconds since 1970-01-01 (got ${JSON.stringify(epoch.slice(0, 40))})`,
    );
  return date.toISOString();
}

/**
 * The subject of one image manifest scanned from SOURCE: for `docker://` and `oras://`, `registry/repository` (as the
 * API names it); for local sources, the source as opened (`sourceName`, paths made absolute).
 */
export function imageSubject(
  source: string,
  sourceName: string,
  manifest: Descriptor,
  platform: Platform | undefined,
): AttestSubject {
  const registry = registryTransportReference(source);
  if (registry !== undefined) {
    const ref = parseReference(registry.rest);
    return registryImageSubject({
      registry: ref.registry,
      repository: ref.repository,
      digest: manifest.digest,
      ...(platform === undefined ? {} : { platform }),
    });
  }
  return {
    kind: 'image',
    name: sourceName,
    digest: manifest.digest,
    ...(platform === undefined ? {} : { platform }),
  };
}

/** The subject of a profile on disk: its directory (or the manifest file named), digest of the manifest file. */
/**
 * The subject of an image file on disk (`sif:`, `squashfs:`): the source as opened, and the sha256 of
 * the whole file (read once more, in 1 MiB chunks: the scan itself reads only the blocks it needs).
 */
export async function fileSubject(name: string, path: string, signal: AbortSignal): Promise<AttestSubject> {
  const d = digester('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024, signal }))
    d.update(chunk as Buffer);
  return { kind: 'image', name, digest: d.digest() };
}

export function profileSubject(local: LocalProfile): AttestSubject {
  return { kind: 'profile', name: local.profile ?? local.manifestPath, digest: local.digest };
}
