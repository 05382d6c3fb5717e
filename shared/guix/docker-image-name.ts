/**
 * The name `guix pack -f docker` gives an image: `manifest->friendly-name` (Guix's
 * `guix/scripts/pack.scm`) over the profile's manifest entries, made a repository name by
 * `canonicalize-repository-name` (Guix's `guix/docker.scm`), tagged `latest`. `--image-tag=NAME`
 * replaces the friendly name; the canonicalisation applies to it too.
 *
 * Lengths count characters (code points), as Guile's `string-length` does.
 */
import { generalCategory } from './sexp/unicode-14.js';

/** The tag Guix always writes. */
export const GUIX_IMAGE_TAG = 'latest';

const MIN_LENGTH = 2;
const MAX_LENGTH = 255;
const FRIENDLY_MAX = 40;
const SEPARATORS = new Set(['_', '-', '.']);

/**
 * `manifest->friendly-name`: the entry names joined with `-`; while that is 40 characters or more and
 * more than one name is left, the last name is dropped.
 */
export function friendlyName(names: readonly string[]): string {
  let left = [...names];
  for (;;) {
    const str = left.join('-');
    if ([...str].length < FRIENDLY_MAX || left.length <= 1) return str;
    left = left.slice(0, -1);
  }
}

/** Guile's `char-downcase` (a simple, one-to-one case mapping). */
function downcase(ch: string): string {
  const lower = ch.toLowerCase();
  if ([...lower].length === 1) return lower;
  // U+0130's full lowercase is two characters; its simple mapping is `i`.
  return ch === '\u0130' ? 'i' : ch;
}

/** In Guix's repository character set: `char-set:digit` (Unicode Nd), a-z, `_`, `-`, `.`. */
function inRepoCharSet(ch: string): boolean {
  if (/^[a-z_.-]$/.test(ch)) return true;
  return generalCategory(ch.codePointAt(0)!) === 'Nd';
}

/**
 * `canonicalize-repository-name`: lower-case; trim `_`, `-`, `.` from the left end only (Guile's
 * `string-trim`); every character outside the set becomes `.`; pad to 2 characters with `a`; cut to
 * 255.
 */
export function canonicalizeRepositoryName(name: string): string {
  const chars = [...name].map(downcase);
  let start = 0;
  while (start < chars.length && SEPARATORS.has(chars[start]!)) start++;
  const normalized = chars.slice(start).map((c) => (inRepoCharSet(c) ? c : '.'));
  if (normalized.length > MAX_LENGTH) return normalized.slice(0, MAX_LENGTH).join('');
  return normalized.join('') + 'a'.repeat(Math.max(0, MIN_LENGTH - normalized.length));
}

/** The repository name Guix gives a pack of these manifest entries when no `--image-tag` is given. */
export function defaultRepositoryName(entryNames: readonly string[]): string {
  return canonicalizeRepositoryName(friendlyName(entryNames));
}

/**
 * An `--image-tag` value that Guix turns into exactly `name`, or undefined when no value can (then
 * `name` was not written by Guix). A canonical name is its own value, except that one starting with
 * `.` (which Guix writes for a tag starting with a character it maps to `.`) would lose its leading
 * dots to the trim: its first character is then given as `+`, which maps to `.` and is not trimmed.
 */
export function imageTagFor(name: string): string | undefined {
  if (canonicalizeRepositoryName(name) === name) return name;
  if (name.startsWith('.')) {
    const candidate = `+${name.slice(1)}`;
    if (canonicalizeRepositoryName(candidate) === name) return candidate;
  }
  return undefined;
}
