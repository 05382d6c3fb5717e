/**
 * Names from store file names, as `(guix build utils)` and `(guix store)` derive them: used for the
 * bare-path dependencies of version-2 manifests.
 */
import { generalCategory } from './sexp/unicode-14.js';

/** `/STORE/<32 nix-base32 chars>-<name>`: the store prefix is whatever precedes the last `/`. */
const STORE_ITEM_RE = /^.*\/[0-9a-df-np-sv-z]{32}-([^/]+)$/;

/** `store-path-package-name`: `/gnu/store/<hash>-foo-1.2` -> `foo-1.2`; undefined when not a store item. */
export function storePathPackageName(path: string): string | undefined {
  return STORE_ITEM_RE.exec(path)?.[1];
}

/**
 * `package-name->name+version`: the version starts at the first `-` followed by a digit (Guile's
 * `char-set:digit`: the Unicode 14.0 decimal digits, category Nd, the same set in Guile 3.0.8). Without
 * one, the version is null (Guile's `#f`).
 */
export function packageNameToNameVersion(fullName: string): { name: string; version: string | null } {
  const chars = Array.from(fullName);
  for (let i = 0; i + 1 < chars.length; i++) {
    if (chars[i] === '-' && generalCategory(chars[i + 1]!.codePointAt(0)!) === 'Nd') {
      return { name: chars.slice(0, i).join(''), version: chars.slice(i + 1).join('') };
    }
  }
  return { name: fullName, version: null };
}
