/**
 * Many repositories and tags on a real registry, fast: an image pushed once with skopeo is copied
 * into other repositories by cross-repository blob mount (`POST /v2/<to>/blobs/uploads/?mount=
 * <digest>&from=<from>`, distribution-spec "Mounting a blob from another repository") and a
 * manifest PUT; tags are manifest PUTs. No layer byte moves, so hundreds of tags take seconds.
 */
import { createHash } from 'node:crypto';
import type { PushedImage } from './skopeo.js';

/** A manifest as the registry holds it: its bytes and media type. */
export interface ManifestBytes {
  bytes: Buffer;
  mediaType: string;
  /** Blobs it references (config and layers) that must exist in a repository before it is PUT. */
  blobs: string[];
}

export function manifestOf(p: PushedImage): ManifestBytes {
  return {
    bytes: p.bytes,
    mediaType: p.mediaType,
    blobs: [p.manifest.config.digest, ...p.manifest.layers.map((l) => l.digest)],
  };
}

export function digestOf(bytes: Buffer): `sha256:${string}` {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Mount `digest` from `from` into `to`; throws unless the registry mounted it (201). */
export async function mountBlob(
  registryUrl: string,
  to: string,
  from: string,
  digest: string,
): Promise<void> {
  const res = await fetch(
    `${registryUrl}/v2/${to}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`,
    { method: 'POST', signal: AbortSignal.timeout(30_000) },
  );
  await res.arrayBuffer();
  if (res.status !== 201) throw new Error(`mount ${digest} ${from} -> ${to}: HTTP ${res.status}`);
}

/** PUT a manifest under `reference` (a tag or its digest). */
export async function putManifest(
  registryUrl: string,
  repository: string,
  reference: string,
  m: Pick<ManifestBytes, 'bytes' | 'mediaType'>,
): Promise<void> {
  const res = await fetch(`${registryUrl}/v2/${repository}/manifests/${reference}`, {
    method: 'PUT',
    headers: { 'content-type': m.mediaType },
    body: m.bytes,
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (res.status !== 201)
    throw new Error(`PUT ${repository}:${reference}: HTTP ${res.status} ${text.slice(0, 200)}`);
}

/** Copy an image manifest (its blobs mounted) from `from` into `to` under each of `tags`. */
export async function copyImage(
  registryUrl: string,
  from: string,
  to: string,
  m: ManifestBytes,
  tags: readonly string[],
): Promise<void> {
  for (const b of m.blobs) await mountBlob(registryUrl, to, from, b);
  for (const tag of tags) await putManifest(registryUrl, to, tag, m);
}

/** DELETE a manifest by digest (the registry must allow deletes). */
export async function deleteManifest(registryUrl: string, repository: string, digest: string): Promise<void> {
  const res = await fetch(`${registryUrl}/v2/${repository}/manifests/${digest}`, {
    method: 'DELETE',
    signal: AbortSignal.timeout(30_000),
  });
  await res.arrayBuffer();
  if (res.status !== 202) throw new Error(`DELETE ${repository}@${digest}: HTTP ${res.status}`);
}
