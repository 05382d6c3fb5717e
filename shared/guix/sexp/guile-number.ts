/**
 * Numbers as Guile 3.0 reads and then `write`s them. The reader keeps a number's text as written
 * (Num.text: `#x2A`, `1e3`, `2/4`); Guile prints the VALUE it read, in its own canonical form: `42`,
 * `1000.0`, `1/2`. Wherever a datum from a manifest is printed back (a `transformations` property that
 * is not an alist), its numbers must first be put into that form.
 *
 * Covered: real numbers in any radix, with exactness prefixes, rationals, decimals with any exponent
 * marker (`e s f d l`), `+inf.0`, `-inf.0`, `+nan.0`. Exact results print as reduced integers or
 * fractions; inexact ones as Guile prints a double: its shortest round-trip digits (the same as
 * JavaScript's), in positional notation when the decimal exponent E of the first digit satisfies
 * -3 <= E <= max(6, digits + 2), else as `D.DDDeE` (checked against Guile 3.0.8 on 20,000 random
 * doubles). Not covered (undefined): complex numbers (`1+2i`, `1@2`), and an inexact fraction whose
 * numerator or denominator exceeds 2^53 (no correctly rounded division at hand).
 */

/** The real value of a number token: exact (p/q) or inexact (a double). */
export type RealValue = { exact: true; num: bigint; den: bigint } | { exact: false; value: number };

const RADIX: Record<string, number> = { x: 16, o: 8, b: 2, d: 10 };
const DIGITS: Record<number, RegExp> = { 16: /^[0-9a-f]+$/i, 10: /^[0-9]+$/, 8: /^[0-7]+$/, 2: /^[01]+$/ };
const DECIMAL = /^(\d*)(?:\.(\d*))?(?:[esfdl]([+-]?\d+))?$/i;
const MAX_EXACT_EXPONENT = 10_000;

function gcd(a: bigint, b: bigint): bigint {
  a = a < 0n ? -a : a;
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

function parseInteger(s: string, radix: number): bigint | undefined {
  if (!DIGITS[radix]!.test(s)) return undefined;
  let n = 0n;
  const r = BigInt(radix);
  for (const c of s.toLowerCase()) n = n * r + BigInt(parseInt(c, radix));
  return n;
}

/** The value of a real number token as Guile reads it; undefined for complex numbers or non-numbers. */
export function readReal(text: string): RealValue | undefined {
  let t = text;
  let radix = 10;
  let exactness: 'e' | 'i' | undefined;
  let radixSeen = false;
  while (t.length >= 2 && t[0] === '#') {
    const p = t[1]!.toLowerCase();
    if ((p === 'e' || p === 'i') && exactness === undefined) exactness = p;
    else if (p in RADIX && !radixSeen) {
      radix = RADIX[p]!;
      radixSeen = true;
    } else return undefined;
    t = t.slice(2);
  }
  const negative = t.startsWith('-');
  const signed = negative || t.startsWith('+');
  if (signed) t = t.slice(1);
  const lower = t.toLowerCase();
  if (signed && (lower === 'inf.0' || /^nan\.0+$/.test(lower))) {
    if (exactness === 'e') return undefined;
    return { exact: false, value: lower === 'inf.0' ? (negative ? -Infinity : Infinity) : NaN };
  }
  const sign = negative ? -1n : 1n;
  let exact: { num: bigint; den: bigint } | undefined;
  const slash = t.indexOf('/');
  if (slash >= 0) {
    const n = parseInteger(t.slice(0, slash), radix);
    const d = parseInteger(t.slice(slash + 1), radix);
    if (n === undefined || d === undefined || d === 0n) return undefined;
    exact = { num: sign * n, den: d };
  } else {
    const whole = parseInteger(t, radix);
    if (whole !== undefined) exact = { num: sign * whole, den: 1n };
  }
  if (exact !== undefined) {
    if (exactness !== 'i') {
      const g = gcd(exact.num, exact.den);
      return { exact: true, num: exact.num / g, den: exact.den / g };
    }
    const limit = 2n ** 53n;
    const abs = exact.num < 0n ? -exact.num : exact.num;
    if (exact.den !== 1n && (abs > limit || exact.den > limit)) return undefined;
    // Number(bigint) rounds correctly; so does one IEEE division of two exactly represented operands.
    const value = exact.den === 1n ? Number(abs) : Number(abs) / Number(exact.den);
    return { exact: false, value: negative ? -value : value };
  }
  // A decimal: radix 10 only.
  if (radix !== 10) return undefined;
  const m = DECIMAL.exec(t);
  if (m === null || (m[1] === '' && (m[2] ?? '') === '')) return undefined;
  if (exactness !== 'e') {
    const value = Number(`${m[1] || '0'}.${m[2] || '0'}e${m[3] ?? '0'}`);
    return { exact: false, value: negative ? -value : value };
  }
  const frac = m[2] ?? '';
  const exp = Number(m[3] ?? '0') - frac.length;
  if (!Number.isSafeInteger(exp) || Math.abs(exp) > MAX_EXACT_EXPONENT) return undefined;
  const mantissa = sign * BigInt((m[1] ?? '') + frac || '0');
  const num = exp >= 0 ? mantissa * 10n ** BigInt(exp) : mantissa;
  const den = exp >= 0 ? 1n : 10n ** BigInt(-exp);
  const g = gcd(num, den);
  return { exact: true, num: num / g, den: den / g };
}

/** A double as Guile 3.0 `write`s it (`1.0`, `0.001`, `1.0e-4`, `1.0e7`, `-0.0`, `+inf.0`, `+nan.0`). */
export function writeFlonum(x: number): string {
  if (Number.isNaN(x)) return '+nan.0';
  if (x === Infinity) return '+inf.0';
  if (x === -Infinity) return '-inf.0';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  const [mantissa, expText] = Math.abs(x).toExponential().split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  const e = Number(expText);
  const n = digits.length;
  if (e < -3 || e > Math.max(6, n + 2)) return `${sign}${digits[0]!}.${n > 1 ? digits.slice(1) : '0'}e${e}`;
  if (e < 0) return `${sign}0.${'0'.repeat(-e - 1)}${digits}`;
  const int = digits.slice(0, e + 1).padEnd(e + 1, '0');
  return `${sign}${int}.${digits.slice(e + 1) || '0'}`;
}

/** Guile's `write` of the number read from `text`; undefined when `readReal` cannot tell its value. */
export function writeNumber(text: string): string | undefined {
  const v = readReal(text);
  if (v === undefined) return undefined;
  if (!v.exact) return writeFlonum(v.value);
  return v.den === 1n ? v.num.toString() : `${v.num.toString()}/${v.den.toString()}`;
}
