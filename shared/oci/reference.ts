/**
 * An image's identity, in one place: references parsed and normalised the way Docker does
 * (distribution/reference), their canonical strings, and the ids derived from them (the scan id,
 * the BullMQ job ids, the store's record keys).
 *
 * Normalisation:
 * `nginx` is `docker.io/library/nginx:latest`, `index.docker.io` is `docker.io`, the first path
 * component is a registry only when it has a `.` or a `:`, is `localhost`, or has upper case.
 * Grammar: https://github.com/distribution/distribution/blob/main/reference/reference.go
 */
import { createHash } from 'node:crypto';
import { RecipeError } from '../errors.js';
import { isDigest, type Digest } from '../content/digest.js';

/** A fully normalised image reference. */
export interface Reference {
  /** The registry as written in references, `host[:port]` (`docker.io` for Docker Hub). */
  registry: string;
  /** The repository path, lower case (`library/nginx`). */
  repository: string;
  /** The tag; `latest` when neither a tag nor a digest was given. Informational when `digest` is set. */
  tag?: string;
  /** The manifest digest; wins over the tag. */
  digest?: Digest;
}

/** A repository of a registry: where tags and manifests live. */
export type RepositoryName = Pick<Reference, 'registry' | 'repository'>;

/** One image: a repository pinned to a manifest digest. A tag, when present, is informational. */
export interface ImageRef extends RepositoryName {
  digest: Digest;
  tag?: string;
}

/** A tag of a repository, not yet resolved to a digest. */
export interface TagRef extends RepositoryName {
  tag: string;
}

/** Docker Hub's name in references. */
export const DOCKER_HUB = 'docker.io';
/** The host Docker Hub's API is served from. */
export const DOCKER_HUB_API_HOST = 'registry-1.docker.io';
/** The transport prefix skopeo uses for registries. */
export const DOCKER_TRANSPORT = 'docker://';
/** The prefix Apptainer uses for images stored as OCI artifacts in registries (the same registries). */
export const ORAS_TRANSPORT = 'oras://';

const MAX_NAME_LENGTH = 255;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_RE = new RegExp(
  `^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`,
);
const PATH_COMPONENT_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const ANY_DIGEST_RE = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;

function invalid(input: string, why: string): RecipeError {
  return new RecipeError(
    'invalid-reference',
    `invalid reference ${JSON.stringify(input.slice(0, 300))}: ${why}`,
  );
}

/** Whether the first component of a name is a registry host rather than a Docker Hub namespace. */
function looksLikeRegistry(component: string): boolean {
  return (
    component.includes('.') ||
    component.includes(':') ||
    component === 'localhost' ||
    component.toLowerCase() !== component
  );
}

/**
 * Parse an image reference (`[HOST[:PORT]/]NAME[:TAG][@DIGEST]`, optionally prefixed with
 * `docker://`) into its normalised form; throws `invalid-reference` with the reason.
 */
export function parseReference(input: string): Reference {
  let s = input.startsWith(DOCKER_TRANSPORT) ? input.slice(DOCKER_TRANSPORT.length) : input;
  if (s.startsWith('//')) s = s.slice(2); // `docker:` + `//host/repo`, as skopeo accepts it
  if (s === '') throw invalid(input, 'empty');
  if (s.length > 1024 || /[\s\0]/.test(s)) throw invalid(input, 'contains white space or is too long');

  let digest: Digest | undefined;
  const at = s.indexOf('@');
  if (at >= 0) {
    const d = s.slice(at + 1);
    s = s.slice(0, at);
    if (!ANY_DIGEST_RE.test(d)) throw invalid(input, 'malformed digest');
    if (!isDigest(d))
      throw invalid(input, 'unsupported digest (want sha256:<64 hex> or sha512:<128 hex>, lower case)');
    digest = d;
  }

  let tag: string | undefined;
  const lastSlash = s.lastIndexOf('/');
  const colon = s.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = s.slice(colon + 1);
    s = s.slice(0, colon);
    if (!TAG_RE.test(tag)) throw invalid(input, 'malformed tag');
  }

  let registry: string;
  let repository: string;
  const slash = s.indexOf('/');
  if (slash >= 0 && looksLikeRegistry(s.slice(0, slash))) {
    registry = s.slice(0, slash);
    repository = s.slice(slash + 1);
    if (!DOMAIN_RE.test(registry)) throw invalid(input, 'malformed registry host');
  } else {
    registry = DOCKER_HUB;
    repository = s;
  }
  registry = registry.toLowerCase();
  if (registry === 'index.docker.io') registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`;

  if (repository === '') throw invalid(input, 'empty repository name');
  if (repository.toLowerCase() !== repository) throw invalid(input, 'repository name must be lowercase');
  if (!repository.split('/').every((c) => PATH_COMPONENT_RE.test(c)))
    throw invalid(input, 'malformed repository name');
  if (registry.length + 1 + repository.length > MAX_NAME_LENGTH)
    throw invalid(input, `name longer than ${MAX_NAME_LENGTH} characters`);

  if (tag === undefined && digest === undefined) tag = 'latest';
  const ref: Reference = { registry, repository };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

/** The canonical string: `host/repo[:tag][@digest]` (no transport prefix). */
export function formatReference(ref: Reference): string {
  return `${ref.registry}/${ref.repository}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

/** `host/repo@digest`: the canonical name of one image (the tag left out), as stored and logged. */
export function imageName(img: ImageRef): string {
  return formatReference({ registry: img.registry, repository: img.repository, digest: img.digest });
}

/** `host/repo:tag`: the canonical name of a tag. */
export function tagName(ref: TagRef): string {
  return formatReference({ registry: ref.registry, repository: ref.repository, tag: ref.tag });
}

/** Parse `host/repo@digest` (as `imageName` writes it) back; undefined when it is not one. */
export function parseImageName(s: string): ImageRef | undefined {
  const at = s.lastIndexOf('@');
  const slash = s.indexOf('/');
  if (at < 0 || slash < 0 || slash > at) return undefined;
  const digest = s.slice(at + 1);
  if (!isDigest(digest)) return undefined;
  return { registry: s.slice(0, slash), repository: s.slice(slash + 1, at), digest };
}

/**
 * The id of one image: hex sha256 of `imageName` (64 characters, no `:`). It is the scan id of the
 * API, the id of the image's scan job in BullMQ and the key of its record in the store.
 */
export function imageId(img: ImageRef): string {
  return createHash('sha256').update(imageName(img)).digest('hex');
}

/** The id of a tag: hex sha256 of `tagName` (the resolve job's id is derived from it). */
export function tagId(ref: TagRef): string {
  return createHash('sha256').update(tagName(ref)).digest('hex');
}

/**
 * Check the repository path and tag a webhook names (no host: the registry is chosen from
 * configuration) against the reference grammar; throws `invalid-reference` when malformed.
 */
export function checkRepositoryPath(repository: string, tag?: string): void {
  if (repository === '' || repository.length > MAX_NAME_LENGTH)
    throw invalid(repository, 'empty repository name or too long');
  if (!repository.split('/').every((c) => PATH_COMPONENT_RE.test(c)))
    throw invalid(repository, 'malformed repository name');
  if (tag !== undefined && !TAG_RE.test(tag)) throw invalid(`${repository}:${tag}`, 'malformed tag');
}

/** What goes after `/manifests/`: the digest when there is one, else the tag. */
export function manifestReference(ref: Reference): string {
  return ref.digest ?? ref.tag ?? 'latest';
}

/** The same reference pinned to a digest (the tag is kept for information). */
export function withDigest(ref: Reference, digest: Digest): Reference {
  return { ...ref, digest };
}

/** The host:port API calls go to (`registry-1.docker.io` for Docker Hub). */
export function apiHost(registry: string): string {
  return registry === DOCKER_HUB ? DOCKER_HUB_API_HOST : registry;
}

/** Normalise a registry name as written in configuration or an auth file (`https://index.docker.io/v1/` → `docker.io`). */
export function normaliseRegistryHost(s: string): string {
  let h = s.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  h = h.replace(/\/+$/, '').replace(/\/v[12]$/, '');
  h = h.toLowerCase();
  const slash = h.indexOf('/');
  const host = slash >= 0 ? h.slice(0, slash) : h;
  const rest = slash >= 0 ? h.slice(slash) : '';
  const canonical = host === 'index.docker.io' || host === DOCKER_HUB_API_HOST ? DOCKER_HUB : host;
  return canonical + rest;
}
