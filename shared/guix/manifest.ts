/**
 * Guix profile manifests (`/gnu/store/<hash>-profile/manifest`), decoded as `sexp->manifest` in
 * guix/profiles.scm does: format versions 2, 3 and 4 (extra minor
 * version numbers allowed), `repeated` back-references, spliced v3 properties, v2 bare-path
 * dependencies. Unknown fields are ignored, optional v4 fields may come in any order.
 *
 * The input is hostile by assumption: the walk is iterative (no recursion on input depth), every shape
 * is checked, and failures are RecipeErrors: `unsupported-manifest-version` for a version we do not
 * read, `invalid-manifest` for anything else of the wrong shape.
 *
 * NOTE: `repeated` makes the entry graph a DAG (one ManifestEntry object reachable along several
 * paths). Never expand it naively (JSON.stringify of an entry can be exponential in the input size);
 * walk with a seen-set, as build-recipe does.
 */
import { RecipeError } from '../errors.js';
import { DottedList, isSym, Num } from './sexp/datum.js';
import type { Datum } from './sexp/datum.js';
import { readDatum } from './sexp/reader.js';
import { assq, assqRef } from './alist.js';
import { exactInteger } from './exact-integer.js';
import { packageNameToNameVersion, storePathPackageName } from './package-name.js';

/** A search-path specification as `search-path-specification->sexp` writes it. */
export interface SearchPathSpec {
  variable: string;
  files: string[];
  /** `":"` usually; null (`#f`) means only the first match is used. */
  separator: string | null;
  /** The file type symbol: `directory` or `regular`. */
  fileType: string;
  /** A regular expression, or null (`#f`). */
  filePattern: string | null;
}

/** One entry of a profile manifest (a `<manifest-entry>`). */
export interface ManifestEntry {
  name: string;
  /** The package version; '' for a v2 dependency whose store file name has no version part. */
  version: string;
  output: string;
  /** The store path of that output, e.g. `/gnu/store/<hash>-glib-2.78.0-bin`. */
  item: string;
  /** The package's propagated inputs, resolved (a `repeated` form yields the earlier entry object). */
  propagatedInputs: ManifestEntry[];
  searchPaths: SearchPathSpec[];
  /** The properties alist as written: elements like `(provenance R ...)` or `(key . atom)`. */
  properties: readonly Datum[];
}

/** A decoded profile manifest. */
export interface Manifest {
  /** The major format version: 2, 3 or 4. */
  version: 2 | 3 | 4;
  /** Minor version numbers after the major one (ignored by Guix, kept for the record). */
  minorVersion: Datum[];
  /** The top-level entries, in file order, `repeated` resolved. */
  entries: ManifestEntry[];
}

/** Parse a manifest's text (header comments allowed) and decode it. Reader errors pass through. */
export function readManifest(text: string, readerOptions?: Parameters<typeof readDatum>[1]): Manifest {
  return decodeManifest(readDatum(text, readerOptions));
}

const SHAPE = 'not a Guix profile manifest: expected (manifest (version N) (packages (ENTRY ...)))';

/** Decode the manifest datum `(manifest (version N MINOR...) (packages (ENTRY ...)))`. */
export function decodeManifest(sexp: Datum): Manifest {
  if (!Array.isArray(sexp)) throw new RecipeError('invalid-manifest', SHAPE);
  const top = sexp as readonly Datum[];
  if (!isSym(top[0], 'manifest')) throw new RecipeError('invalid-manifest', SHAPE);
  const versionForm = top[1];
  if (!Array.isArray(versionForm) || !isSym((versionForm as readonly Datum[])[0], 'version')) {
    throw new RecipeError('invalid-manifest', `${SHAPE}: no (version N) form`);
  }
  const vf = versionForm as readonly Datum[];
  // `('version 4 minor ...)` compares with equal?: any spelling of the exact integer 4 (`#x4`, `8/2`).
  const exact = exactInteger(vf[1]);
  const major = exact === 2n ? 2 : exact === 3n ? 3 : exact === 4n ? 4 : undefined;
  if (major === undefined) {
    const shown =
      vf[1] instanceof Num ? vf[1].text : vf[1] === undefined ? '(none)' : 'of an unexpected type';
    throw new RecipeError('unsupported-manifest-version', `unsupported manifest format version ${shown}`, {
      details: { version: vf[1] instanceof Num ? vf[1].text : null },
    });
  }
  const packagesForm = top[2];
  if (
    top.length !== 3 ||
    !Array.isArray(packagesForm) ||
    (packagesForm as readonly Datum[]).length !== 2 ||
    !isSym((packagesForm as readonly Datum[])[0], 'packages') ||
    !Array.isArray((packagesForm as readonly Datum[])[1])
  ) {
    throw new RecipeError('invalid-manifest', SHAPE);
  }
  const list = (packagesForm as readonly Datum[])[1] as readonly Datum[];
  const entries = major === 4 ? decodeV4(list) : decodeV2V3(list, major);
  return { version: major, minorVersion: vf.slice(2), entries };
}

/** One pending list of entry sexps, and what to do with the decoded results once all are done. */
interface Frame {
  items: readonly Datum[];
  next: number;
  out: ManifestEntry[];
  /** Where this list sits, for error messages. */
  where: string;
  done?: (deps: ManifestEntry[]) => void;
}

function describe(where: string): string {
  return where === '' ? 'top-level manifest entry' : `manifest entry in the propagated inputs of ${where}`;
}

/** The fixed head `(NAME VERSION OUTPUT ITEM ...)` of a full entry. */
function entryHead(
  sexp: Datum,
  where: string,
): { list: readonly Datum[]; head: [string, string, string, string] } {
  if (Array.isArray(sexp)) {
    const list = sexp as readonly Datum[];
    const [n, v, o, p] = list;
    if (typeof n === 'string' && typeof v === 'string' && typeof o === 'string' && typeof p === 'string') {
      return { list, head: [n, v, o, p] };
    }
  }
  throw new RecipeError(
    'invalid-manifest',
    `invalid ${describe(where)}: expected (NAME VERSION OUTPUT ITEM FIELD ...)`,
  );
}

/** `let-fields`: the single value of `(FIELD VALUE)` found with assq, or undefined when absent. */
function field(fields: readonly Datum[], key: string, owner: string): Datum | undefined {
  const f = assq(fields, key);
  if (f === undefined) return undefined;
  if (f instanceof DottedList || f.length !== 2) {
    throw new RecipeError('invalid-manifest', `invalid (${key} ...) field in manifest entry ${owner}`);
  }
  return f[1];
}

function listField(fields: readonly Datum[], key: string, owner: string): readonly Datum[] {
  const v = field(fields, key, owner);
  if (v === undefined) return [];
  if (!Array.isArray(v))
    throw new RecipeError('invalid-manifest', `invalid (${key} ...) field in manifest entry ${owner}`);
  return v as readonly Datum[];
}

/**
 * The properties alist of an entry. Guix looks properties up with `assq`-like walks that treat a
 * value that is not a list as "no properties" and stop at an improper tail, so we do the same
 * rather than refusing a manifest Guix would export.
 */
function propertiesOf(v: Datum | undefined): readonly Datum[] {
  if (Array.isArray(v)) return v as readonly Datum[];
  if (v instanceof DottedList) return v.items;
  return [];
}

/** Version 4: optional fields in any order; `repeated` refers to an entry registered earlier. */
function decodeV4(list: readonly Datum[]): ManifestEntry[] {
  const table = new Map<string, ManifestEntry>();
  const root: ManifestEntry[] = [];
  const stack: Frame[] = [{ items: list, next: 0, out: root, where: '' }];
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    if (frame.next >= frame.items.length) {
      stack.pop();
      frame.done?.(frame.out);
      continue;
    }
    const sexp = frame.items[frame.next++]!;
    if (
      Array.isArray(sexp) &&
      isSym((sexp as readonly Datum[])[0], 'repeated') &&
      (sexp as readonly Datum[]).length === 4
    ) {
      const [, n, v, p] = sexp as readonly Datum[];
      const found =
        typeof n === 'string' && typeof v === 'string' && typeof p === 'string'
          ? table.get(key(n, v, p))
          : undefined;
      if (found === undefined) {
        throw new RecipeError(
          'invalid-manifest',
          `invalid repeated entry in profile${typeof n === 'string' ? `: ${JSON.stringify(n)}` : ''}`,
        );
      }
      frame.out.push(found);
      continue;
    }
    const { list: e, head } = entryHead(sexp, frame.where);
    const [name, version, output, item] = head;
    const owner = JSON.stringify(name);
    const fields = e.slice(4);
    const deps = listField(fields, 'propagated-inputs', owner);
    const searchPaths = listField(fields, 'search-paths', owner).map((s) => searchPath(s, owner));
    const properties = propertiesOf(field(fields, 'properties', owner));
    const parentOut = frame.out;
    stack.push({
      items: deps,
      next: 0,
      out: [],
      where: owner,
      done: (propagatedInputs) => {
        const entry: ManifestEntry = {
          name,
          version,
          output,
          item,
          propagatedInputs,
          searchPaths,
          properties,
        };
        // Registered after its dependencies, as Guix does: a `repeated` form can only refer backwards.
        table.set(key(name, version, item), entry);
        parentOut.push(entry);
      },
    });
  }
  return root;
}

function key(name: string, version: string, item: string): string {
  return JSON.stringify([name, version, item]);
}

/**
 * Versions 2 and 3: `(NAME VERSION OUTPUT ITEM (propagated-inputs DEPS) (search-paths SPECS) EXTRA...)`,
 * fields positional and always present. v3 deps are full entries and its properties are spliced:
 * `(properties (provenance ...) ...)`. v2 deps are bare store paths and properties are ignored.
 */
function decodeV2V3(list: readonly Datum[], version: 2 | 3): ManifestEntry[] {
  const root: ManifestEntry[] = [];
  const stack: Frame[] = [{ items: list, next: 0, out: root, where: '' }];
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    if (frame.next >= frame.items.length) {
      stack.pop();
      frame.done?.(frame.out);
      continue;
    }
    const sexp = frame.items[frame.next++]!;
    const { list: e, head } = entryHead(sexp, frame.where);
    const [name, ver, output, item] = head;
    const owner = JSON.stringify(name);
    const deps = positional(e[4], 'propagated-inputs', owner, version);
    const searchPaths = positional(e[5], 'search-paths', owner, version).map((s) => searchPath(s, owner));
    const extra = e.slice(6);
    const parentOut = frame.out;
    if (version === 2) {
      const propagatedInputs = deps.map((d) => inferDependency(d, owner));
      parentOut.push({ name, version: ver, output, item, propagatedInputs, searchPaths, properties: [] });
      continue;
    }
    const properties = propertiesOf(assqRef(extra, 'properties'));
    stack.push({
      items: deps,
      next: 0,
      out: [],
      where: owner,
      done: (propagatedInputs) => {
        parentOut.push({ name, version: ver, output, item, propagatedInputs, searchPaths, properties });
      },
    });
  }
  return root;
}

function positional(d: Datum | undefined, key: string, owner: string, version: number): readonly Datum[] {
  if (Array.isArray(d)) {
    const f = d as readonly Datum[];
    if (f.length === 2 && isSym(f[0], key) && Array.isArray(f[1])) return f[1] as readonly Datum[];
  }
  throw new RecipeError(
    'invalid-manifest',
    `invalid version ${version} manifest entry ${owner}: expected (${key} (...)) in position ${key === 'propagated-inputs' ? 5 : 6}`,
  );
}

/** v2 `infer-dependency`: name and version from the store file name; output "out". */
function inferDependency(d: Datum, owner: string): ManifestEntry {
  const base = typeof d === 'string' ? storePathPackageName(d) : undefined;
  if (typeof d !== 'string' || base === undefined) {
    throw new RecipeError(
      'invalid-manifest',
      `invalid propagated input of manifest entry ${owner}: expected a store path`,
    );
  }
  const { name, version } = packageNameToNameVersion(base);
  return {
    name,
    version: version ?? '',
    output: 'out',
    item: d,
    propagatedInputs: [],
    searchPaths: [],
    properties: [],
  };
}

/** `sexp->search-path-specification`: `(VARIABLE (FILE ...) SEPARATOR TYPE PATTERN)`. */
function searchPath(s: Datum, owner: string): SearchPathSpec {
  if (Array.isArray(s)) {
    const [variable, files, separator, type, pattern] = s as readonly Datum[];
    if (
      (s as readonly Datum[]).length === 5 &&
      typeof variable === 'string' &&
      Array.isArray(files) &&
      (files as readonly Datum[]).every((f) => typeof f === 'string') &&
      (typeof separator === 'string' || separator === false) &&
      type !== undefined &&
      isSym(type) &&
      (typeof pattern === 'string' || pattern === false)
    ) {
      return {
        variable,
        files: [...(files as readonly string[])],
        separator: separator === false ? null : separator,
        fileType: type.name,
        filePattern: pattern === false ? null : pattern,
      };
    }
  }
  throw new RecipeError('invalid-manifest', `invalid search-path specification in manifest entry ${owner}`);
}
