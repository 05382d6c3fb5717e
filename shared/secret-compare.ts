/** Constant-time secret comparison: both sides hashed to equal length, every candidate checked. */
import { createHash, timingSafeEqual } from 'node:crypto';

const h = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** Index of the candidate equal to `presented`, or -1; the time taken does not depend on which. */
export function matchSecret(presented: string | undefined, candidates: readonly string[]): number {
  const p = h(presented ?? '');
  let found = -1;
  candidates.forEach((c, i) => {
    const eq = timingSafeEqual(p, h(c));
    if (eq && found < 0 && presented !== undefined) found = i;
  });
  return found;
}

/** The token of an `Authorization: Bearer <token>` header, else undefined. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  const v = Array.isArray(header) ? header[0] : header;
  if (v === undefined) return undefined;
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(v);
  return m ? m[1] : undefined;
}
