/**
 * Pushing test images into a registry with `skopeo` (1.9): a fixture archive as Docker schema 2
 * (gzip), OCI (gzip) or OCI (zstd, checked to really be zstd), and a multi-platform OCI index
 * assembled by hand. Test code only: fixtures are unpacked to temp files here.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createGunzip } from 'node:zlib';

export const FIXTURES_DIR = fileURLToPath(new URL('../fixtures/guix-images/', import.meta.url));

/** Every fixture image folder, sorted: tests iterate it rather than a hard-coded list. */
export const FIXTURE_NAMES: readonly string[] = readdirSync(FIXTURES_DIR)
  .filter((n) => statSync(join(FIXTURES_DIR, n)).isDirectory())
  .sort();

/** `{ username, password }` for a registry behind auth. */
export interface PushCredentials {
  username: string;
  password: string;
}

/** What a push produced: the manifest exactly as the registry serves it. */
export interface PushedImage {
  /** `HOST/REPO:TAG` */
  reference: string;
  digest: `sha256:${string}`;
  size: number;
  mediaType: string;
  manifest: {
    mediaType?: string;
    config: { mediaType: string; digest: string; size: number };
    layers: { mediaType: string; digest: string; size: number }[];
  };
  bytes: Buffer;
}

/** Run skopeo; the error carries its stderr. Credentials are passed but never echoed. */
export async function skopeo(args: string[], opts: { timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'skopeo',
      ['--insecure-policy', ...args],
      { timeout: opts.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        const shown = args
          .map((a, i) => (/^--(src-|dest-)?creds$/.test(args[i - 1] ?? '') ? 'REDACTED' : a))
          .join(' ');
        if (err) reject(new Error(`skopeo ${shown} failed: ${stderr || err.message}`));
        else resolve(stdout);
      },
    );
  });
}

/** A temp directory; remove it with `rm(dir, { recursive: true })`. */
export function tempDir(prefix = 'guix-recipes-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** Gunzip a fixture's `image.tar.gz` into `dir` (skopeo reads only uncompressed docker-archives). */
export async function unpackFixture(name: string, dir: string): Promise<string> {
  const out = join(dir, `${name}.tar`);
  await pipeline(
    createReadStream(join(FIXTURES_DIR, name, 'image.tar.gz')),
    createGunzip(),
    createWriteStream(out),
  );
  return out;
}

function credsArgs(flag: '--dest-creds' | '--creds', creds?: PushCredentials): string[] {
  return creds ? [flag, `${creds.username}:${creds.password}`] : [];
}

/** The raw manifest of `HOST/REPO:TAG|@DIGEST` on a plain-http registry. */
export async function inspectRaw(reference: string, creds?: PushCredentials): Promise<Buffer> {
  const out = await skopeo([
    'inspect',
    '--raw',
    '--tls-verify=false',
    ...credsArgs('--creds', creds),
    `docker://${reference}`,
  ]);
  return Buffer.from(out, 'utf8');
}

async function describePushed(reference: string, creds?: PushCredentials): Promise<PushedImage> {
  // skopeo prints the manifest bytes verbatim (JSON is UTF-8), so their hash is the manifest digest.
  const bytes = await inspectRaw(reference, creds);
  const manifest = JSON.parse(bytes.toString('utf8')) as PushedImage['manifest'];
  return {
    reference,
    digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
    size: bytes.length,
    mediaType: manifest.mediaType ?? 'application/vnd.oci.image.manifest.v1+json',
    manifest,
    bytes,
  };
}

export type PushFormat = 'v2s2' | 'oci' | 'oci-zstd';

/**
 * Push a docker-archive to `HOST/REPO:TAG` on a plain-http registry:
 * `v2s2` Docker schema 2 with gzip layers, `oci` OCI with gzip layers, `oci-zstd` OCI with zstd
 * layers (through an OCI layout and `--preserve-digests`; throws unless every pushed layer is zstd).
 */
export async function pushArchive(
  archive: string,
  reference: string,
  format: PushFormat,
  creds?: PushCredentials,
): Promise<PushedImage> {
  const dest = ['--dest-tls-verify=false', ...credsArgs('--dest-creds', creds)];
  if (format === 'v2s2' || format === 'oci') {
    await skopeo(['copy', '--format', format, ...dest, `docker-archive:${archive}`, `docker://${reference}`]);
    return describePushed(reference, creds);
  }
  const layout = await tempDir('guix-recipes-oci-layout-');
  try {
    await skopeo([
      'copy',
      '--dest-compress',
      '--dest-compress-format',
      'zstd',
      `docker-archive:${archive}`,
      `oci:${layout}:image`,
    ]);
    await skopeo(['copy', '--preserve-digests', ...dest, `oci:${layout}:image`, `docker://${reference}`]);
  } finally {
    await rm(layout, { recursive: true, force: true });
  }
  const pushed = await describePushed(reference, creds);
  const notZstd = pushed.manifest.layers.filter((l) => !l.mediaType.endsWith('+zstd'));
  if (notZstd.length > 0)
    throw new Error(
      `pushed ${reference} but layers are not tar+zstd: ${notZstd.map((l) => l.mediaType).join(', ')}`,
    );
  return pushed;
}

/** Push a fixture (by folder name) in one format; unpacks it into `workDir`. */
export async function pushFixture(
  name: string,
  reference: string,
  format: PushFormat,
  workDir: string,
  creds?: PushCredentials,
): Promise<PushedImage> {
  return pushArchive(await unpackFixture(name, workDir), reference, format, creds);
}

/** One image of an index and the platform it stands for. */
export interface IndexEntry {
  image: PushedImage;
  platform: { os: string; architecture: string; variant?: string };
}

/**
 * PUT an OCI index listing already-pushed manifests (same repository) at `registryUrl`/`repository`:`tag`.
 * Returns its digest and bytes.
 */
export async function pushIndex(
  registryUrl: string,
  repository: string,
  tag: string,
  entries: IndexEntry[],
  creds?: PushCredentials,
): Promise<{ digest: `sha256:${string}`; size: number; bytes: Buffer }> {
  const index = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: entries.map((e) => ({
      mediaType: e.image.mediaType,
      digest: e.image.digest,
      size: e.image.size,
      platform: e.platform,
    })),
  };
  const bytes = Buffer.from(JSON.stringify(index));
  const headers: Record<string, string> = { 'content-type': index.mediaType };
  if (creds)
    headers.authorization = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
  const res = await fetch(`${registryUrl}/v2/${repository}/manifests/${tag}`, {
    method: 'PUT',
    headers,
    body: bytes,
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (res.status !== 201)
    throw new Error(`PUT index ${repository}:${tag}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return { digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, size: bytes.length, bytes };
}
