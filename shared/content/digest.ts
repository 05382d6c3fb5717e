/**
 * Content digests (`algorithm:hex`): validation, comparing, and the one way content is hashed.
 * (https://github.com/opencontainers/image-spec/blob/main/descriptor.md#digests).
 *
 * Every blob, manifest and archive member the project hashes goes through `digester`, which
 * publishes each finished digest on the diagnostics channel `DIGEST_CHANNEL` (free while nobody
 * subscribes): a test can count how often each blob of a scan is hashed, and with how many bytes.
 */
import { createHash } from 'node:crypto';
import { channel } from 'node:diagnostics_channel';
import { RecipeError } from '../errors.js';

/** `algorithm:hex`, e.g. `sha256:6c3c...`. Only sha256 and sha512 are accepted. */
export type Digest = `sha256:${string}` | `sha512:${string}`;

export type DigestAlgorithm = 'sha256' | 'sha512';

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

export function digestAlgorithm(d: Digest): DigestAlgorithm {
  return d.startsWith('sha512:') ? 'sha512' : 'sha256';
}

export function digestHex(d: Digest): string {
  return d.slice(d.indexOf(':') + 1);
}

/** The name of the diagnostics channel each finished digest is published on. */
export const DIGEST_CHANNEL = 'guix-recipes:content-digest';

/** What `DIGEST_CHANNEL` carries: one message per finished digest. */
export interface DigestComputed {
  digest: Digest;
  /** How many bytes went into it. */
  bytes: number;
}

const published = channel(DIGEST_CHANNEL);

/** An incremental hash that counts its bytes; `digest()` finishes it (once). */
export interface Digester {
  readonly algorithm: DigestAlgorithm;
  update(chunk: Uint8Array | string): void;
  /** Bytes hashed so far. */
  readonly bytes: number;
  digest(): Digest;
}

/** The one way to hash content (see the file comment). */
export function digester(algorithm: DigestAlgorithm = 'sha256'): Digester {
  const hash = createHash(algorithm);
  let bytes = 0;
  return {
    algorithm,
    update(chunk) {
      hash.update(chunk);
      bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    },
    get bytes() {
      return bytes;
    },
    digest() {
      const digest = `${algorithm}:${hash.digest('hex')}` as Digest;
      if (published.hasSubscribers) published.publish({ digest, bytes } satisfies DigestComputed);
      return digest;
    },
  };
}

/** The digest of some bytes held whole. */
export function digestOf(bytes: Uint8Array | string, algorithm: DigestAlgorithm = 'sha256'): Digest {
  const d = digester(algorithm);
  d.update(bytes);
  return d.digest();
}

/** The sha256 digest of some bytes. */
export function sha256Digest(bytes: Uint8Array | string): Digest {
  return digestOf(bytes, 'sha256');
}
