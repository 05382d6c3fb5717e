/**
 * Pushing OCI artifacts the way `apptainer push` / `oras push` do, with the distribution API and
 * nothing else: each blob uploaded (HEAD to skip one the registry has, POST to start an upload, one
 * PUT of the whole blob with its digest), then the manifest bytes PUT exactly as given, with the
 * media type given. Blobs come from memory or, streamed, from a file (a large SIF is never held).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { request } from 'node:http';
import type { Readable } from 'node:stream';

export type Digest = `sha256:${string}`;

/** A blob to upload: bytes in memory, or a file with its digest (computed by `fileBlob`). */
export type BlobToPush = { bytes: Uint8Array } | { path: string; digest: Digest; size: number };

/** The descriptor fields of bytes. */
export function describeBytes(bytes: Uint8Array): { digest: Digest; size: number } {
  return { digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, size: bytes.length };
}

/** A file as a blob: its sha256 and size, read once as a stream. */
export async function fileBlob(path: string): Promise<{ path: string; digest: Digest; size: number }> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 }))
    hash.update(chunk as Buffer);
  return { path, digest: `sha256:${hash.digest('hex')}`, size: (await stat(path)).size };
}

/** One HTTP exchange; the body a Buffer or a stream of known length. */
function exchange(
  url: string,
  method: string,
  headers: Record<string, string>,
  body?: Buffer | Readable,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, timeout: 120_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d.length < 2000 ? d : d.slice(0, 2000)));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`${method} ${url}: timed out`)));
    if (body === undefined) req.end();
    else if (Buffer.isBuffer(body)) req.end(body);
    else body.pipe(req);
  });
}

/** Upload one blob to `repository` (skipped when the registry has it). */
export async function uploadBlob(registryUrl: string, repository: string, blob: BlobToPush): Promise<Digest> {
  const { digest, size } = 'bytes' in blob ? describeBytes(blob.bytes) : blob;
  const head = await exchange(`${registryUrl}/v2/${repository}/blobs/${digest}`, 'HEAD', {});
  if (head.status === 200) return digest;
  const start = await exchange(`${registryUrl}/v2/${repository}/blobs/uploads/`, 'POST', {
    'content-length': '0',
  });
  const location = start.headers.location;
  if (start.status !== 202 || typeof location !== 'string')
    throw new Error(`POST upload to ${repository}: HTTP ${start.status} ${start.text}`);
  const target = new URL(location, registryUrl);
  target.searchParams.set('digest', digest);
  const body =
    'bytes' in blob ? Buffer.from(blob.bytes) : createReadStream(blob.path, { highWaterMark: 1024 * 1024 });
  const put = await exchange(
    target.toString(),
    'PUT',
    { 'content-type': 'application/octet-stream', 'content-length': String(size) },
    body,
  );
  if (put.status !== 201)
    throw new Error(`PUT blob ${digest} to ${repository}: HTTP ${put.status} ${put.text}`);
  return digest;
}

/** PUT manifest bytes under `tag` with `mediaType`; returns the digest the registry names. */
export async function putManifest(
  registryUrl: string,
  repository: string,
  tag: string,
  bytes: Uint8Array,
  mediaType: string,
): Promise<Digest> {
  const res = await exchange(
    `${registryUrl}/v2/${repository}/manifests/${tag}`,
    'PUT',
    { 'content-type': mediaType, 'content-length': String(bytes.length) },
    Buffer.from(bytes),
  );
  const named = res.headers['docker-content-digest'];
  if (res.status !== 201 || typeof named !== 'string')
    throw new Error(`PUT manifest ${repository}:${tag}: HTTP ${res.status} ${res.text}`);
  return named as Digest;
}

/** Upload every blob, then PUT the manifest: what an artifact push does. */
export async function pushArtifact(
  registryUrl: string,
  repository: string,
  tag: string,
  artifact: { manifest: Uint8Array; mediaType: string; blobs: BlobToPush[] },
): Promise<Digest> {
  for (const blob of artifact.blobs) await uploadBlob(registryUrl, repository, blob);
  return putManifest(registryUrl, repository, tag, artifact.manifest, artifact.mediaType);
}
