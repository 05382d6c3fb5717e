/**
 * Guile's `pretty-print`, byte for byte, in the two algorithms Guix users meet: `classic` (Guile
 * <= 3.0.9, what every real export file seen so far was printed with; the default) and `modern`
 * (Guile >= 3.0.10). Both abbreviate quote forms (`'x`, `` `x ``, `,x`, `,@x`); plain `write` does not
 * (see writer.ts).
 *
 * Data may come from hostile manifests: nesting deeper than PRINT_MAX_DEPTH throws
 * `RecipeError('size-limit')`; flat forms are computed iteratively and lazily.
 */

import type { Datum } from './datum.js';
import { prettyClassic } from './pretty-classic.js';
import { prettyModern } from './pretty-modern.js';

export { PRINT_MAX_DEPTH } from './pretty-common.js';

/** Which Guile pretty-printer to imitate. */
export type PrinterStyle = 'classic' | 'modern';

/** Options of `prettyPrint`, with Guile's defaults. */
export interface PrettyPrintOptions {
  /** Default `classic`. */
  printer?: PrinterStyle;
  /** Guile's `#:width`, default 79 (the prefix counts against it). */
  width?: number;
  /** Guile's `#:per-line-prefix`, default '': printed first and at the start of every new line. */
  perLinePrefix?: string;
}

/**
 * What `(pretty-print d port #:width width #:per-line-prefix perLinePrefix)` prints: starts with the
 * prefix, ends with a newline.
 */
export function prettyPrint(d: Datum, opts: PrettyPrintOptions = {}): string {
  const width = opts.width ?? 79;
  const prefix = opts.perLinePrefix ?? '';
  return (opts.printer ?? 'classic') === 'modern'
    ? prettyModern(d, width, prefix)
    : prettyClassic(d, width, prefix);
}
