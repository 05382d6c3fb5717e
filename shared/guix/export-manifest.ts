/**
 * `guix package --export-manifest`, byte for byte: `manifest->code` over the
 * top-level entries, printed form by form after Guix's header.
 *
 * Styles: `pinned` qualifies every package as `name@version` (exact under `guix time-machine`, whatever
 * packages the exporting Guix has; our default), `guix` writes bare names (what Guix prints when each
 * package has a single version in the Guix running the export; Guix's own prefix choice depends on its
 * package set and cannot be computed offline, §2.4).
 */
import { DottedList, sym } from './sexp/datum.js';
import type { Datum } from './sexp/datum.js';
import { prettyPrint } from './sexp/pretty-print.js';
import type { PrinterStyle } from './sexp/pretty-print.js';
import { sexpOptions, type Transformation } from './entry-transformations.js';

export type { Transformation } from './entry-transformations.js';

/** `pinned` (every package `name@version`, the default) or `guix` (no version qualifiers). */
export type ManifestStyle = 'pinned' | 'guix';

export const MANIFEST_STYLES: readonly ManifestStyle[] = ['pinned', 'guix'];

/** One option of a `transformations` property: `(OPTION . "VALUE")`. */
/** What `manifest->code` needs of a top-level entry. */
export interface ManifestCodeEntry {
  name: string;
  version: string;
  output: string;
  /** In recorded order; [] when the entry has none. */
  transformations: readonly Transformation[];
  /**
   * True when the entry records an EMPTY `transformations` property: `manifest->code` only skips #f, so
   * `'()` still gets its own `transformN` procedure. Absent or false otherwise.
   */
  emptyTransformations?: boolean;
  /**
   * A `transformations` property that is not a list of `(SYMBOL . "STRING")` pairs (a string, a number,
   * `((tune))`...), as Guile's `write` prints it; `manifest->code` quotes it as it is. When present, it
   * is the entry's transformations (`transformations` is then []).
   */
  transformationsSexp?: string;
}

/** Guix's header (English), then the forms each preceded by an empty line. */
export const MANIFEST_HEADER =
  ';; This "manifest" file can be passed to \'guix package -m\' to reproduce\n' +
  ';; the content of your profile.  This is "symbolic": it only specifies\n' +
  ';; package names.  To reproduce the exact same profile, you also need to\n' +
  ';; capture the channels being used, as returned by "guix describe".\n' +
  ';; See the "Replicating Guix" section in the manual.\n';

/** `qualified-name`: `name`, or `name@version` in the pinned style. */
function qualifiedName(e: ManifestCodeEntry, style: ManifestStyle): string {
  return style === 'pinned' && e.version !== '' ? `${e.name}@${e.version}` : e.name;
}

/**
 * The key under which `manifest->code` shares a procedure: its `assoc-ref` compares options with
 * `equal?`, which for these data is equality of what Guile writes (numbers already canonical).
 */
function optionsKey(e: ManifestCodeEntry): string {
  if (e.transformationsSexp !== undefined) return `sexp:${e.transformationsSexp}`;
  return `options:${JSON.stringify(e.transformations.map((x) => [x.option, x.value]))}`;
}

/** Whether `manifest->code` wraps the entry in a transformation procedure (its options are not #f). */
function hasTransformations(e: ManifestCodeEntry): boolean {
  return (
    e.transformations.length > 0 || e.emptyTransformations === true || e.transformationsSexp !== undefined
  );
}

/** The options datum of an entry's procedure. */
function optionsDatum(e: ManifestCodeEntry): Datum {
  if (e.transformationsSexp !== undefined) return sexpOptions(e.transformationsSexp);
  return e.transformations.map((x) => new DottedList([sym(x.option)], x.value));
}

/**
 * `manifest->code`: the top-level forms inside its `begin`. Transformation procedures are numbered in
 * order of first appearance and their `define`s come out in REVERSE order (Guix builds the list with
 * `alist-cons`): `transformN` first, `transform1` last.
 */
export function manifestToCode(entries: readonly ManifestCodeEntry[], style: ManifestStyle): Datum[] {
  const procs = new Map<string, { name: string; entry: ManifestCodeEntry }>();
  for (const e of entries) {
    if (!hasTransformations(e)) continue;
    const k = optionsKey(e);
    if (!procs.has(k)) procs.set(k, { name: `transform${procs.size + 1}`, entry: e });
  }

  if (procs.size === 0) {
    const specs = entries.map((e) =>
      e.output === 'out' ? qualifiedName(e, style) : `${qualifiedName(e, style)}:${e.output}`,
    );
    return [[sym('specifications->manifest'), [sym('list'), ...specs]]];
  }

  const defines: Datum[] = [...procs.values()]
    .reverse()
    .map((p) => [
      sym('define'),
      sym(p.name),
      [sym('options->transformation'), [sym('quote'), optionsDatum(p.entry)]],
    ]);
  const items = entries.map((e): Datum => {
    const pkg: Datum = [sym('specification->package'), qualifiedName(e, style)];
    const transformed: Datum = hasTransformations(e) ? [sym(procs.get(optionsKey(e))!.name), pkg] : pkg;
    return e.output === 'out' ? transformed : [sym('list'), transformed, e.output];
  });
  return [
    [sym('use-modules'), [sym('guix'), sym('transformations')]],
    ...defines,
    [sym('packages->manifest'), [sym('list'), ...items]],
  ];
}

/** Options of `exportManifest`. */
export interface ExportManifestOptions {
  /** Default `pinned`. */
  style?: ManifestStyle;
  /** Which Guile pretty-printer to imitate. Default `classic` (Guile <= 3.0.9). */
  printer?: PrinterStyle;
}

/** The manifest.scm text for these top-level entries. */
export function exportManifest(
  entries: readonly ManifestCodeEntry[],
  opts: ExportManifestOptions = {},
): string {
  const printer = opts.printer ?? 'classic';
  let out = MANIFEST_HEADER;
  for (const form of manifestToCode(entries, opts.style ?? 'pinned'))
    out += '\n' + prettyPrint(form, { printer });
  return out;
}
