/**
 * The OCI descriptor, the currency every part of the project trades in
 * (https://github.com/opencontainers/image-spec/blob/main/descriptor.md).
 */
import { RecipeError } from '../errors.js';
import { isDigest, type Digest } from './digest.js';
import { platformFromJson, type Platform } from './platform.js';

export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
  artifactType?: string;
  urls?: string[];
}

function fail(what: string, msg: string): never {
  throw new RecipeError('invalid-image', `${what}: ${msg}`);
}

/** A descriptor from untrusted JSON. */
export function parseDescriptor(v: unknown, what: string): Descriptor {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(what, 'descriptor is not an object');
  const d = v as Record<string, unknown>;
  if (typeof d.mediaType !== 'string') fail(what, 'descriptor has no mediaType');
  if (!isDigest(d.digest)) fail(what, `descriptor has no valid digest`);
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0)
    fail(what, 'descriptor has no valid size');
  const out: Descriptor = { mediaType: d.mediaType, digest: d.digest, size: d.size };
  const platform = platformFromJson(d.platform);
  if (platform) out.platform = platform;
  if (typeof d.artifactType === 'string') out.artifactType = d.artifactType;
  if (d.annotations !== null && typeof d.annotations === 'object' && !Array.isArray(d.annotations)) {
    const ann: Record<string, string> = {};
    for (const [k, val] of Object.entries(d.annotations as Record<string, unknown>))
      if (typeof val === 'string') ann[k] = val;
    out.annotations = ann;
  }
  return out;
}
