/**
 * Association lists as Guile sees them, over the reader's Datum: `assq` / `assq-ref` semantics
 * (first pair whose car is the symbol wins; elements that are not pairs are skipped, where Guile would
 * raise — hostile input must not crash us, and skipping never invents data).
 */
import { DottedList, isSym } from './sexp/datum.js';
import type { Datum } from './sexp/datum.js';

/** The first pair of `alist` whose car is the symbol `key` (a list `(key ...)` or `(key . tail)`). */
export function assq(alist: readonly Datum[], key: string): readonly Datum[] | DottedList | undefined {
  for (const el of alist) {
    if (Array.isArray(el)) {
      const list = el as readonly Datum[];
      if (list.length > 0 && isSym(list[0], key)) return list;
    } else if (el instanceof DottedList && isSym(el.items[0], key)) {
      return el;
    }
  }
  return undefined;
}

/** The cdr of a non-empty list or pair: `(k a b)` -> `(a b)`, `(k . x)` -> `x`, `(k a . x)` -> `(a . x)`. */
export function cdr(pair: readonly Datum[] | DottedList): Datum {
  if (pair instanceof DottedList) {
    return pair.items.length === 1 ? pair.tail : new DottedList(pair.items.slice(1), pair.tail);
  }
  return pair.slice(1);
}

/** `(assq-ref alist key)`: the cdr of the first pair keyed `key`, or undefined (Guile's `#f`). */
export function assqRef(alist: readonly Datum[], key: string): Datum | undefined {
  const pair = assq(alist, key);
  return pair === undefined ? undefined : cdr(pair);
}
