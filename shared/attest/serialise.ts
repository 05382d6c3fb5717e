/**
 * The exact bytes of an attestation document, and the identifiers derived from them.
 *
 * Rules (docs/sbom.md, "Determinism"): `JSON.stringify` with two-space indentation, keys in the order
 * the document builders write them (fixed in code, never taken from input), `\n` line ends, one
 * trailing `\n`, UTF-8 with non-ASCII characters unescaped. The builders order every array from the
 * recipe's own order, so the same input always gives the same text.
 */
import { createHash } from 'node:crypto';

/** The text of a document (plain JSON data), ending with a newline. */
export function serialiseDocument(doc: unknown): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/**
 * A UUID derived from some text: the first 128 bits of its SHA-256, with the version set to 8 and the
 * RFC 9562 variant (UUIDv8, the "custom" version RFC 9562 gives for name-based UUIDs from hashes
 * other than MD5 and SHA-1). Same text, same UUID; lower-case hex, 8-4-4-4-12.
 */
export function contentUuid(text: string): string {
  const b = createHash('sha256').update(text, 'utf8').digest().subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x80;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
