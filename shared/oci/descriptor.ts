/**
 * The OCI descriptor, the currency every part of the project trades in
 * (https://github.com/opencontainers/image-spec/blob/main/descriptor.md).
 */
import { createHash } from 'node:crypto';
import { RecipeError } from '../errors.js';

/** `algorithm:hex`, e.g. `sha256:6c3c...`. Only sha256 and sha512 are accepted. */
export type Digest = `sha256:${string}` | `sha512:${string}`;

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
  artifactType?: string;
  urls?: string[];
}

const DIGEST_RE = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

export function isDigest(s: unknown): s is Digest {
  return typeof s === 'string' && DIGEST_RE.test(s);
}

/** Validate a digest string taken from untrusted input. */
export function parseDigest(s: string): Digest {
  if (!isDigest(s))
    throw new RecipeError('invalid-reference', `not a valid digest: ${JSON.stringify(s.slice(0, 80))}`);
  return s;
}

export function digestAlgorithm(d: Digest): 'sha256' | 'sha512' {
  return d.startsWith('sha512:') ? 'sha512' : 'sha256';
}

export function digestHex(d: Digest): string {
  return d.slice(d.indexOf(':') + 1);
}

/** The sha256 digest of some bytes. */
export function sha256Digest(bytes: Uint8Array | string): Digest {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Compute the digest of `bytes` with the algorithm of `expected` and fail if they differ. */
export function verifyBytes(bytes: Uint8Array, expected: Digest, what = 'content'): void {
  const actual = `${digestAlgorithm(expected)}:${createHash(digestAlgorithm(expected)).update(bytes).digest('hex')}`;
  if (actual !== expected)
    throw new RecipeError('digest-mismatch', `${what} has digest ${actual}, expected ${expected}`, {
      details: { expected, actual },
    });
}

/** `os/arch[/variant]`, the spelling of `--platform` and of our keys. */
export function formatPlatform(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

/** The variant a platform means when it names none, as containerd normalises them (arm64 is v8, ...). */
function normalVariant(p: Platform): string | undefined {
  const v = p.variant === '' ? undefined : p.variant;
  if (p.architecture === 'arm64' && v === 'v8') return undefined;
  if (p.architecture === 'amd64' && v === 'v1') return undefined;
  if (p.architecture === 'arm' && v === undefined) return 'v7';
  return v;
}

/**
 * Does `have` (an index entry's platform) satisfy `want` (what the user asked for)? OS and
 * architecture must be equal; a variant is compared only when `want` names one, after normalising
 * the implied defaults (so `linux/arm64/v8` finds an `arm64` entry that states no variant).
 */
export function platformMatches(have: Platform | undefined, want: Platform): boolean {
  if (have === undefined || have.os !== want.os || have.architecture !== want.architecture) return false;
  if (want.variant === undefined || want.variant === '') return true;
  return normalVariant(have) === normalVariant(want);
}

export function parsePlatform(s: string): Platform {
  const parts = s.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((x) => !/^[a-z0-9._-]+$/i.test(x)))
    throw new RecipeError('usage', `not a platform (want OS/ARCH[/VARIANT]): ${s}`);
  const [os, architecture, variant] = parts as [string, string, string | undefined];
  return variant ? { os, architecture, variant } : { os, architecture };
}
