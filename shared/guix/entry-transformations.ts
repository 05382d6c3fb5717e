/**
 * A manifest entry's `transformations` property, as Guix's `manifest->code` (guix/profiles.scm) uses it:
 * `(assoc-ref properties 'transformations)`, matched with `#f` ("none") or `options` (anything else),
 * then quoted verbatim into `(options->transformation 'OPTIONS)` and shared between entries whose
 * options are `equal?`.
 *
 * What Guix writes itself is a proper list of `(OPTION . "VALUE")` pairs, kept as typed options. Guix
 * reads anything, though: a string, a number, a list of symbols, `((tune))`; such a value is kept as
 * the text Guile's `write` gives it (`sexp`), so that a Recipe can print it back without the manifest.
 * Its numbers are first put in the form Guile prints (`#x2A` is written `42`, guile-number.ts).
 */
import { RecipeError } from '../errors.js';
import { DottedList, Num, Sym, Vector } from './sexp/datum.js';
import type { Datum } from './sexp/datum.js';
import { writeNumber } from './sexp/guile-number.js';
import { readDatum } from './sexp/reader.js';
import { writeDatum } from './sexp/writer.js';
import { assqRef } from './alist.js';
import type { ManifestEntry } from './manifest.js';

/** One `(option . "value")` pair of a `transformations` property. */
export interface Transformation {
  option: string;
  value: string;
}

/** The property as `manifest->code` sees it. */
export type EntryTransformations =
  /** Absent, or `#f`: the entry is not wrapped in a transformation procedure. */
  | { kind: 'none' }
  /** A proper list (maybe empty) of `(SYMBOL . "STRING")` pairs, in recorded order. */
  | { kind: 'options'; options: Transformation[] }
  /** Anything else, as Guile's `write` prints it (numbers in Guile's canonical form). */
  | { kind: 'sexp'; sexp: string };

/** The entry's `transformations` property. Throws RecipeError `invalid-manifest` for what we cannot print. */
export function entryTransformations(e: Pick<ManifestEntry, 'name' | 'properties'>): EntryTransformations {
  const t = assqRef(e.properties, 'transformations');
  if (t === undefined || t === false) return { kind: 'none' };
  const options = optionsOf(t);
  if (options !== undefined) return { kind: 'options', options };
  const sexp = writeDatum(withGuileNumbers(t, e.name));
  // The text must read back as the same datum, or a Recipe could not print it again: Guile's `write` is
  // not injective for a few extended symbols (a backslash inside `#{...}#`).
  let again: string | undefined;
  try {
    again = writeDatum(readDatum(sexp));
  } catch {
    again = undefined;
  }
  if (again !== sexp) {
    throw new RecipeError(
      'invalid-manifest',
      `transformations property of manifest entry ${JSON.stringify(e.name)} cannot be printed back as Guile does`,
    );
  }
  return { kind: 'sexp', sexp };
}

/** The options datum quoted into `(options->transformation '...)`, from a recorded `sexp`. */
export function sexpOptions(sexp: string): Datum {
  return readDatum(sexp);
}

/** `(SYMBOL . "STRING") ...` as typed options, or undefined when `t` is anything else. */
function optionsOf(t: Datum): Transformation[] | undefined {
  if (!Array.isArray(t)) return undefined;
  const out: Transformation[] = [];
  for (const pair of t as readonly Datum[]) {
    if (
      !(pair instanceof DottedList) ||
      pair.items.length !== 1 ||
      !(pair.items[0] instanceof Sym) ||
      typeof pair.tail !== 'string'
    ) {
      return undefined;
    }
    out.push({ option: pair.items[0].name, value: pair.tail });
  }
  return out;
}

/**
 * `d` with every number replaced by the text Guile writes for its value. Iterative (the input's depth
 * is the reader's bound, not ours). Throws for a number whose printed form we cannot tell (complex).
 */
function withGuileNumbers(d: Datum, entryName: string): Datum {
  const fix = (x: Datum): Datum => {
    if (!(x instanceof Num)) return x;
    const text = writeNumber(x.text);
    if (text === undefined) {
      throw new RecipeError(
        'invalid-manifest',
        `transformations property of manifest entry ${JSON.stringify(entryName)} holds a number we cannot print as Guile does: ${x.text}`,
      );
    }
    return text === x.text ? x : new Num(text);
  };
  // Post-order rebuild with an explicit stack: each frame collects its rebuilt children.
  interface Frame {
    src: Datum;
    parts: Datum[];
    /** The children still to visit, in order. */
    todo: Datum[];
  }
  const children = (x: Datum): Datum[] | undefined =>
    Array.isArray(x)
      ? [...(x as readonly Datum[])]
      : x instanceof DottedList
        ? [...x.items, x.tail]
        : x instanceof Vector
          ? [...x.items]
          : undefined;
  const rebuild = (src: Datum, parts: Datum[]): Datum =>
    Array.isArray(src)
      ? parts
      : src instanceof DottedList
        ? new DottedList(parts.slice(0, -1), parts.at(-1)!)
        : new Vector(parts);
  const top = children(d);
  if (top === undefined) return fix(d);
  const stack: Frame[] = [{ src: d, parts: [], todo: top.reverse() }];
  for (;;) {
    const f = stack.at(-1)!;
    const next = f.todo.pop();
    if (next === undefined) {
      stack.pop();
      const built = rebuild(f.src, f.parts);
      if (stack.length === 0) return built;
      stack.at(-1)!.parts.push(built);
      continue;
    }
    const kids = children(next);
    if (kids === undefined) f.parts.push(fix(next));
    else stack.push({ src: next, parts: [], todo: kids.reverse() });
  }
}
