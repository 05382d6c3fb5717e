/**
 * Which numbers Guix's `match` patterns such as `('version 4 ...)` or `('version 0)` accept: a literal
 * in a pattern is compared with `equal?`, so the datum must be an EXACT integer of that value, whatever
 * syntax it was written in. Guile reads `#x4`, `#e4.0`, `8/2`, `#b100` and `04` as the exact integer 4;
 * `4.0` and `#i4` are inexact and never `equal?` to 4. The reader keeps a number's text (Num.text), so
 * this decodes that text.
 */
import { Num } from './sexp/datum.js';
import type { Datum } from './sexp/datum.js';

const RADIX: Record<string, number> = { x: 16, o: 8, b: 2, d: 10 };
const DIGITS: Record<number, RegExp> = { 16: /^[0-9a-f]+$/i, 10: /^[0-9]+$/, 8: /^[0-7]+$/, 2: /^[01]+$/ };

/** The value of `d` when Guile reads it as an exact integer (as a bigint), else undefined. */
export function exactInteger(d: Datum | undefined): bigint | undefined {
  if (!(d instanceof Num)) return undefined;
  let text = d.text;
  let radix = 10;
  let exactness: 'e' | 'i' | undefined;
  let radixSeen = false;
  // Up to one radix and one exactness prefix, in either order.
  while (text.length >= 2 && text[0] === '#') {
    const p = text[1]!.toLowerCase();
    if ((p === 'e' || p === 'i') && exactness === undefined) exactness = p;
    else if (p in RADIX && !radixSeen) {
      radix = RADIX[p]!;
      radixSeen = true;
    } else return undefined;
    text = text.slice(2);
  }
  if (exactness === 'i') return undefined;
  const sign = text.startsWith('-') ? -1n : 1n;
  if (text.startsWith('-') || text.startsWith('+')) text = text.slice(1);
  const int = (s: string): bigint | undefined =>
    DIGITS[radix]!.test(s)
      ? [...s.toLowerCase()].reduce((a, c) => a * BigInt(radix) + BigInt(parseInt(c, radix)), 0n)
      : undefined;

  const slash = text.indexOf('/');
  if (slash >= 0) {
    const n = int(text.slice(0, slash));
    const q = int(text.slice(slash + 1));
    if (n === undefined || q === undefined || q === 0n || n % q !== 0n) return undefined;
    return (sign * n) / q;
  }
  const whole = int(text);
  if (whole !== undefined) return sign * whole;
  // A decimal is inexact unless `#e` makes it exact: `#e4.0`, `#e4e0`, `#e40e-1` are all 4.
  if (exactness !== 'e' || radix !== 10) return undefined;
  const m = /^(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?$/i.exec(text);
  if (m === null || (m[1] === '' && (m[2] ?? '') === '')) return undefined;
  const frac = m[2] ?? '';
  const exp = Number(m[3] ?? '0') - frac.length;
  if (!Number.isSafeInteger(exp) || Math.abs(exp) > 10_000) return undefined;
  let mantissa = BigInt((m[1] ?? '') + frac || '0');
  if (exp >= 0) return sign * mantissa * 10n ** BigInt(exp);
  const div = 10n ** BigInt(-exp);
  if (mantissa % div !== 0n) return undefined;
  mantissa /= div;
  return sign * mantissa;
}
