/**
 * Content digests (`algorithm:hex`): validation, computing, comparing
 * (https://github.com/opencontainers/image-spec/blob/main/descriptor.md#digests).
 */
import { createHash } from 'node:crypto';
import { RecipeError } from '../errors.js';

/** `algorithm:hex`, e.g. `sha256:6c3c...`. Only sha256 and sha512 are accepted. */
export type Digest = `sha256:${string}` | `sha512:${string}`;

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
