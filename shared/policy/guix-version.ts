/**
 * Package versions compared the way Guix compares them. Guix versions are not semver ("2023.12.1",
 * "1.0-0.1a2b3c4", "3.10rc1"), and Guix never parses them: its `version-compare` (Guix's
 * `guix/utils.scm`) calls GNU libc's `strverscmp` on the two strings, and `version>?` / `version>=?`
 * are that comparison's `>` and `>=`. This module is `strverscmp` written out, state machine and tables
 * as glibc's `string/strverscmp.c` has them, over the UTF-8 bytes Guile hands to C
 * (`string->pointer`). The tests check it against glibc itself, called from Guile as Guix does.
 *
 * What strverscmp does: find the first byte where the strings differ. If that position is not inside
 * runs of digits in both strings, compare the two bytes. Otherwise compare the digit runs: a run with
 * no leading zero is an integer (the longer run is greater, equal lengths compare byte-wise); a run
 * with leading zeros is a fraction (so "000" < "00" < "01" < "010" < "09" < "0" < "1" < "9" < "10").
 */

const S_N = 0; // normal
const S_I = 3; // comparing an integral part
const S_F = 6; // comparing a fractional part
const S_Z = 9; // idem, leading zeros only so far

const CMP = 2; // return the byte difference
const LEN = 3; // compare the lengths of the digit runs, then the byte difference

// prettier-ignore
/** next state, by state and the class of the next byte of the first string: other, 1-9, 0. */
const NEXT_STATE: readonly number[] = [
  /* S_N */ S_N, S_I, S_Z,
  /* S_I */ S_N, S_I, S_I,
  /* S_F */ S_N, S_F, S_F,
  /* S_Z */ S_N, S_F, S_Z,
];

// prettier-ignore
/** What to do at the first difference, by state and the classes of both bytes (x: other, d: 1-9, 0). */
const RESULT_TYPE: readonly number[] = [
  /*         x/x  x/d  x/0  d/x  d/d  d/0  0/x  0/d  0/0 */
  /* S_N */ CMP, CMP, CMP, CMP, LEN, CMP, CMP, CMP, CMP,
  /* S_I */ CMP, -1, -1, +1, LEN, LEN, +1, LEN, LEN,
  /* S_F */ CMP, CMP, CMP, CMP, CMP, CMP, CMP, CMP, CMP,
  /* S_Z */ CMP, +1, +1, -1, CMP, CMP, -1, CMP, CMP,
];

const ZERO = 0x30;
const NINE = 0x39;

function isDigit(c: number): boolean {
  return c >= ZERO && c <= NINE;
}

/** 0 for other bytes, 1 for 1-9, 2 for 0 (glibc's `(c == '0') + (isdigit (c) != 0)`). */
function byteClass(c: number): number {
  return (c === ZERO ? 1 : 0) + (isDigit(c) ? 1 : 0);
}

const encoder = new TextEncoder();

/** The bytes C sees: UTF-8, ending at the first NUL as a C string does; reads past the end give 0. */
function cBytes(s: string): Uint8Array {
  const nul = s.indexOf('\0');
  return encoder.encode(nul === -1 ? s : s.slice(0, nul));
}

/** glibc's `strverscmp(a, b)`: negative, zero or positive, as the C function returns. */
export function strverscmp(a: string, b: string): number {
  const p1 = cBytes(a);
  const p2 = cBytes(b);
  const at1 = (i: number): number => p1[i] ?? 0;
  const at2 = (i: number): number => p2[i] ?? 0;
  let i = 0;
  let c1 = at1(i);
  let c2 = at2(i);
  i++;
  let state = S_N + byteClass(c1);
  let diff: number;
  while ((diff = c1 - c2) === 0) {
    if (c1 === 0) return diff;
    state = NEXT_STATE[state]!;
    c1 = at1(i);
    c2 = at2(i);
    i++;
    state += byteClass(c1);
  }
  const result = RESULT_TYPE[state * 3 + byteClass(c2)]!;
  if (result === CMP) return diff;
  if (result === LEN) {
    // `while (isdigit (*p1++)) if (!isdigit (*p2++)) return 1; return isdigit (*p2) ? -1 : diff;`
    let j1 = i;
    let j2 = i;
    while (isDigit(at1(j1++))) if (!isDigit(at2(j2++))) return 1;
    return isDigit(at2(j2)) ? -1 : diff;
  }
  return result;
}

/** Guix's `version-compare`: -1 when `a` is older than `b`, 1 when newer, 0 when they are equal. */
export function compareVersions(a: string, b: string): -1 | 0 | 1 {
  const r = strverscmp(a, b);
  return r > 0 ? 1 : r < 0 ? -1 : 0;
}

/** The dot-separated components, empty ones dropped (Guile's `string-tokenize` on non-dot characters). */
function components(v: string): string[] {
  return v.split('.').filter((c) => c !== '');
}

/**
 * Guix's `version-prefix?`: true when the components of `prefix` start those of `version`
 * ("4.1" is a prefix of "4.1.2", not of "4.16.2"). This is what `name@version` means on Guix's
 * command line (`find-packages-by-name` in Guix's `gnu/packages.scm`).
 */
export function isVersionPrefix(prefix: string, version: string): boolean {
  const p = components(prefix);
  const v = components(version);
  if (p.length > v.length) return false;
  return p.every((c, i) => c === v[i]);
}
