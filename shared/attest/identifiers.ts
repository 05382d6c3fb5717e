/**
 * The identifiers the documents give things that have no identifier of their own: package URLs for
 * Guix packages and for registry images, and URIs for channels (docs/sbom.md says why these).
 */
import { PackageURL } from 'packageurl-js';
import type { AttestSubject } from './attest-input.js';

/**
 * The package URL of a Guix package. There is no `guix` purl type (one was proposed and never
 * defined), so the purl spec's own fallback is used: `pkg:generic/NAME@VERSION`. All outputs of a
 * package share it: they come from one source at one version. Undefined when no purl can be formed.
 */
export function genericPurl(name: string, version: string): string | undefined {
  if (name === '') return undefined;
  try {
    return new PackageURL(
      'generic',
      undefined,
      name,
      version === '' ? undefined : version,
      undefined,
      undefined,
    ).toString();
  } catch {
    return undefined;
  }
}

/** `pkg:oci/NAME@DIGEST?arch=...&repository_url=REGISTRY/REPOSITORY`, for an image in a registry. */
export function ociPurl(subject: AttestSubject): string | undefined {
  if (subject.kind !== 'image' || subject.registry === undefined) return undefined;
  const { registry, repository } = subject.registry;
  const qualifiers: Record<string, string> = {};
  if (subject.platform) qualifiers.arch = subject.platform.architecture;
  qualifiers.repository_url = `${registry}/${repository}`;
  try {
    const name = repository.slice(repository.lastIndexOf('/') + 1);
    return new PackageURL('oci', undefined, name, subject.digest, qualifiers, undefined).toString();
  } catch {
    return undefined;
  }
}

/**
 * A channel URL as a ResourceURI: `git+URL` (the SPDX download-location spelling in-toto recommends)
 * unless the scheme already names git; scheme and authority lower-cased, as in-toto requires of URIs.
 * Undefined when the URL is not a URI at all (no scheme, or characters no URI may hold): Guix writes
 * URLs there, only a hand-made manifest has anything else.
 */
export function channelUri(url: string): string | undefined {
  const m = /^([a-z][a-z0-9+.-]*:)(\/\/[^/?#]*)?/i.exec(url);
  if (m === null || /[\s<>"{}|\\^`\p{Cc}]/u.test(url)) return undefined;
  const normal = m[1]!.toLowerCase() + (m[2] ?? '').toLowerCase() + url.slice(m[0].length);
  return /^git(\+[a-z0-9.+-]+)?:/.test(normal) ? normal : `git+${normal}`;
}
