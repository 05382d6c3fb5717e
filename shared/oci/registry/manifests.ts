/**
 * Manifests over the distribution API (distribution-spec "Pulling manifests"): GET for the bytes,
 * HEAD for the descriptor alone. Both share one check of what the registry says the answer is
 * (`manifestContentType`: schema 1 refused by name). `getManifest` returns the bytes as found with
 * the digest they must have; hashing them is the caller's (content/verified-source.ts), done once.
 */
import { RecipeError } from '../../errors.js';
import { digestAlgorithm, type Digest } from '../../content/digest.js';
import type { Descriptor } from '../../content/descriptor.js';
import type { RawManifest } from '../../content/image-source.js';
import {
  MANIFEST_ACCEPT,
  isImageManifestMediaType,
  isIndexMediaType,
  isSchema1MediaType,
} from '../../content/media-types.js';
import { manifestReference, type Reference } from '../reference.js';
import { pullScope } from './auth.js';
import { discard, readCapped } from './body-readers.js';
import { parseDigestHeader } from './registry-error.js';
import { header, type Call, type Headers, type Transport } from './transport.js';

/** `manifest host/repo:tag` or `manifest host/repo@digest`, for messages. */
export function manifestWhat(ref: Reference): string {
  return `manifest ${ref.registry}/${ref.repository}${ref.digest ? '@' : ':'}${manifestReference(ref)}`;
}

function manifestCall(ref: Reference, method: 'GET' | 'HEAD', accept: string[]): Call {
  return {
    registry: ref.registry,
    method,
    path: `/v2/${ref.repository}/manifests/${manifestReference(ref)}`,
    headers: { accept: accept.join(', ') },
    scope: pullScope(ref.repository),
    what: manifestWhat(ref),
  };
}

/**
 * What the answer's `Content-Type` says it is: a manifest or index media type, or '' when it names
 * none we know (the bytes then tell). Schema 1 is refused by name, for GET and HEAD alike.
 */
export function manifestContentType(headers: Headers, what: string): string {
  const contentType = (header(headers, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (isSchema1MediaType(contentType))
    throw new RecipeError(
      'unsupported-media-type',
      `${what} is a Docker schema 1 manifest (${contentType}), which is not supported`,
    );
  return isIndexMediaType(contentType) || isImageManifestMediaType(contentType) ? contentType : '';
}

/**
 * The digest the answer's bytes must have: the one asked for (by digest), else the one
 * `Docker-Content-Digest` names. A header naming another digest of the asked algorithm is refused
 * without hashing; one of another algorithm is not checked (the asked digest decides).
 */
function claimedDigest(headers: Headers, asked: Digest | undefined, what: string): Digest | undefined {
  const value = header(headers, 'docker-content-digest');
  const named = value === undefined ? undefined : parseDigestHeader(value, what);
  if (asked === undefined) return named;
  if (named !== undefined && digestAlgorithm(named) === digestAlgorithm(asked) && named !== asked)
    throw new RecipeError('digest-mismatch', `${what}: the registry says its digest is ${named}`, {
      details: { expected: asked, actual: named },
    });
  return asked;
}

/** GET a manifest (by digest when the reference has one, else by tag): bytes capped, not hashed. */
export async function getManifest(
  t: Transport,
  ref: Reference,
  opts: { signal: AbortSignal; accept?: string[] },
): Promise<RawManifest> {
  const call = manifestCall(ref, 'GET', opts.accept ?? MANIFEST_ACCEPT);
  return t.call(call, { signal: opts.signal, timeoutMs: t.settings.timeouts.requestMs }, async (a) => {
    let mediaType: string;
    let digest: Digest | undefined;
    try {
      mediaType = manifestContentType(a.headers, call.what);
      digest = claimedDigest(a.headers, ref.digest, call.what);
    } catch (err) {
      discard(a.body);
      throw err;
    }
    const bytes = await readCapped(
      a.body,
      header(a.headers, 'content-length'),
      t.settings.limits.manifestBytes,
      call.what,
    );
    return { bytes, mediaType, ...(digest !== undefined && { digest }) };
  });
}

/**
 * HEAD a manifest: its descriptor from the headers alone, or undefined when they do not tell
 * (no `Docker-Content-Digest`, no length, or a Content-Type that names no manifest).
 */
export async function headManifest(
  t: Transport,
  ref: Reference,
  opts: { signal: AbortSignal },
): Promise<Descriptor | undefined> {
  const call = manifestCall(ref, 'HEAD', MANIFEST_ACCEPT);
  return t.call(call, { signal: opts.signal, timeoutMs: t.settings.timeouts.requestMs }, async (a) => {
    await a.body.dump({ limit: 0 });
    const mediaType = manifestContentType(a.headers, call.what);
    const length = Number(header(a.headers, 'content-length'));
    if (
      header(a.headers, 'docker-content-digest') === undefined ||
      !Number.isSafeInteger(length) ||
      !mediaType
    )
      return undefined;
    const named = parseDigestHeader(header(a.headers, 'docker-content-digest')!, call.what);
    if (ref.digest && named !== ref.digest)
      throw new RecipeError('digest-mismatch', `${call.what}: the registry says ${named}`, {
        details: { expected: ref.digest, actual: named },
      });
    const cap = t.settings.limits.manifestBytes;
    if (length > cap)
      throw new RecipeError('size-limit', `${call.what} is ${length} bytes, over the ${cap} byte cap`);
    return { mediaType, digest: named, size: length } satisfies Descriptor;
  });
}
