/**
 * The data the reader produces and the printers consume: the subset of Guile's datum syntax that
 * Guix writes (and a little more, so that hostile or unusual input reads without surprises).
 *
 * Representation (strings and symbols are distinct types, as in Guix):
 *   Scheme string   -> JS string
 *   #t / #f         -> JS boolean
 *   symbol          -> Sym
 *   keyword #:k     -> Keyword
 *   character #\a   -> Char
 *   number          -> Num (its text, so exactness and big integers survive)
 *   proper list     -> JS array (the empty list is [])
 *   (a b . c)       -> DottedList (items non-empty, tail not a list)
 *   #( ... )        -> Vector
 *   #vu8( ... ) #u8( ... ) -> Bytevector
 *   'x `x ,x ,@x    -> [Sym('quote'), x] and friends
 */

export class Sym {
  constructor(readonly name: string) {}
}

export class Keyword {
  constructor(readonly name: string) {}
}

export class Char {
  /** One Unicode code point. */
  constructor(readonly value: string) {}
}

export class Num {
  /** The number's text as Guile writes it (e.g. `4`, `-12`, `1/2`, `3.5`, `+inf.0`). */
  constructor(readonly text: string) {}
}

export class DottedList {
  constructor(
    readonly items: readonly Datum[],
    readonly tail: Datum,
  ) {}
}

export class Vector {
  constructor(readonly items: readonly Datum[]) {}
}

export class Bytevector {
  constructor(readonly bytes: Uint8Array) {}
}

export type Datum =
  string | boolean | Sym | Keyword | Char | Num | readonly Datum[] | DottedList | Vector | Bytevector;

export const sym = (name: string): Sym => new Sym(name);
export const num = (n: number | bigint | string): Num => new Num(String(n));

export function isSym(d: Datum | undefined, name?: string): d is Sym {
  return d instanceof Sym && (name === undefined || d.name === name);
}

export function isList(d: Datum | undefined): d is readonly Datum[] {
  return Array.isArray(d);
}

/** The integer value of a Num that holds an exact integer, else undefined. */
export function integerValue(d: Datum | undefined): number | undefined {
  if (!(d instanceof Num) || !/^[+-]?\d+$/.test(d.text)) return undefined;
  const n = Number(d.text);
  return Number.isSafeInteger(n) ? n : undefined;
}
