/**
 * Image manifests and indexes (OCI and Docker schema 2) from untrusted JSON, validated: descriptors
 * checked, counts bounded, schema 1 refused by name.
 */
import { RecipeError } from '../errors.js';
import { parseDescriptor, type Descriptor } from './descriptor.js';
import { isImageManifestMediaType, isIndexMediaType, isSchema1MediaType, MediaType } from './media-types.js';

export interface ParsedImageManifest {
  kind: 'image';
  mediaType: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
}

export interface ParsedIndex {
  kind: 'index';
  mediaType: string;
  manifests: Descriptor[];
}

/** Most layers of one image and manifests of one index. */
const MAX_DESCRIPTORS = 10_000;

function fail(what: string, msg: string): never {
  throw new RecipeError('invalid-image', `${what}: ${msg}`);
}

function descriptors(v: unknown, what: string): Descriptor[] {
  if (!Array.isArray(v)) fail(what, 'expected a list of descriptors');
  if (v.length > MAX_DESCRIPTORS)
    throw new RecipeError('size-limit', `${what}: more than ${MAX_DESCRIPTORS} descriptors`);
  return v.map((x, i) => parseDescriptor(x, `${what}[${i}]`));
}

/**
 * Parse manifest bytes; `declared` is the media type the source announced (may be empty). A manifest
 * naming its own media type must agree with an announced manifest media type.
 */
export function parseManifest(
  bytes: Uint8Array,
  declared: string,
  what = 'manifest',
): ParsedImageManifest | ParsedIndex {
  if (isSchema1MediaType(declared))
    throw new RecipeError(
      'unsupported-media-type',
      `${what}: Docker schema 1 manifests (${declared}) are not supported`,
    );
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw new RecipeError('parse-error', `${what} is not JSON: ${(err as Error).message}`, { cause: err });
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) fail(what, 'not a JSON object');
  const m = json as Record<string, unknown>;
  const own = typeof m.mediaType === 'string' ? m.mediaType : '';
  if (m.schemaVersion === 1 || isSchema1MediaType(own))
    throw new RecipeError('unsupported-media-type', `${what}: Docker schema 1 manifests are not supported`);
  if (own !== '' && own !== declared && (isIndexMediaType(declared) || isImageManifestMediaType(declared)))
    fail(what, `announced as ${declared}, but the manifest says ${own.slice(0, 100)}`);
  let mediaType = declared || own;
  // Neither announced nor stated: the shape tells (an OCI manifest need not state its media type).
  if (mediaType === '' && Array.isArray(m.manifests)) mediaType = MediaType.OciIndex;
  else if (mediaType === '' && m.config !== undefined && Array.isArray(m.layers))
    mediaType = MediaType.OciManifest;
  if (isIndexMediaType(mediaType))
    return { kind: 'index', mediaType, manifests: descriptors(m.manifests, `${what} manifests`) };
  if (!isImageManifestMediaType(mediaType))
    throw new RecipeError(
      'unsupported-media-type',
      `${what}: media type ${JSON.stringify(mediaType.slice(0, 100))} is not an image manifest or index`,
    );
  const out: ParsedImageManifest = {
    kind: 'image',
    mediaType,
    config: parseDescriptor(m.config, `${what} config`),
    layers: descriptors(m.layers, `${what} layers`),
  };
  if (typeof m.artifactType === 'string') out.artifactType = m.artifactType;
  return out;
}
