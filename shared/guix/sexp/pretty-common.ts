/**
 * What both pretty-printers share: a pair view of lists (Scheme's car/cdr walk over a Datum list or
 * dotted list, without consing), the output buffer, and the nesting bound.
 */

import { RecipeError } from '../../errors.js';
import type { Datum } from './datum.js';
import { DottedList } from './datum.js';
import { normalizeDotted } from './writer.js';

/**
 * How deep the printers recurse into nested lists and vectors. Deeper data throw
 * `RecipeError('size-limit')`; the reader's default depth cap (1000) is well inside it.
 */
export const PRINT_MAX_DEPTH = 1000;

/** A position in a list: the pair whose car is `items[i]`, or past the last item, the tail. */
export interface Cursor {
  readonly items: readonly Datum[];
  readonly i: number;
  /** The dotted tail, undefined for a proper list. */
  readonly tail: Datum | undefined;
}

/** A cursor at the first pair of `d` when `d` is a pair (a non-empty list or a dotted list). */
export function pairCursor(d: Datum): Cursor | undefined {
  if (Array.isArray(d)) {
    const items = d as readonly Datum[];
    return items.length > 0 ? { items, i: 0, tail: undefined } : undefined;
  }
  if (d instanceof DottedList) {
    const { items, tail } = normalizeDotted(d);
    if (items.length > 0) return { items, i: 0, tail };
    return tail === undefined ? undefined : pairCursor(tail);
  }
  return undefined;
}

export const isPair = (c: Cursor): boolean => c.i < c.items.length;
export const isNull = (c: Cursor): boolean => c.i >= c.items.length && c.tail === undefined;
export const car = (c: Cursor): Datum => c.items[c.i] as Datum;
export const cdr = (c: Cursor): Cursor => ({ items: c.items, i: c.i + 1, tail: c.tail });
/** The improper tail reached by a cursor that is neither a pair nor null. */
export const tailOf = (c: Cursor): Datum => c.tail as Datum;

/** How many items are left from the cursor (the tail not counted). */
export function restLength(c: Cursor): number {
  return c.items.length - c.i;
}

/** Collects output chunks. */
export class Out {
  private readonly parts: string[] = [];
  put(s: string): void {
    this.parts.push(s);
  }
  text(): string {
    return this.parts.join('');
  }
}

/** Throws the documented size-limit error once nesting passes PRINT_MAX_DEPTH. */
export function checkDepth(depth: number): void {
  if (depth > PRINT_MAX_DEPTH) {
    throw new RecipeError(
      'size-limit',
      `datum nested deeper than ${PRINT_MAX_DEPTH} levels cannot be pretty-printed`,
      {
        details: { maxDepth: PRINT_MAX_DEPTH },
      },
    );
  }
}
