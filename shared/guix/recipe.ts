/**
 * The Recipe: what we know about how a Guix profile or a Guix system was built, as JSON. It is the
 * CLI's `--output json` and the API's recipe document (schema in docs/recipe-schema.md).
 *
 * A profile's recipe holds everything needed to print channels.scm and manifest.scm again, in any
 * style and with either printer (build-recipe.ts: renderChannels, renderManifest), without the
 * manifest text. A system's recipe holds its stored channels.scm and configuration.scm as they are.
 *
 * NOTE for implementers: field names here are the contract between shared/guix, the store and the
 * API. Add fields freely; rename none without bumping `schemaVersion`.
 */

/** A channel as `guix package --export-channels` would write it: one per channel name, in export order. */
export interface RecipeChannel {
  name: string;
  url: string;
  /** null when the provenance recorded `#f` (printed `(branch #f)`). */
  branch: string | null;
  /**
   * The commit exported (the first one seen for this channel name, as Guix does); null when that
   * provenance recorded `#f`: the channel is then printed without a `(commit ...)` line.
   */
  commit: string | null;
  /** The introduction, its signer formatted as `openpgp-format-fingerprint` prints it. */
  introduction: { commit: string; signer: string } | null;
  /**
   * The commits of this channel name among the top-level entries, first-seen order; `commit` is the
   * first, the others are Guix's `;; Note:` lines. As with Guix's `channel=?`, a commit already seen
   * (under any channel name) is not listed again; a null (`#f`) commit equals nothing, so every one is
   * listed (printed `#f`).
   */
  commits: (string | null)[];
}

/** A reference from a package to one channel of its provenance. */
export interface PackageChannelRef {
  name: string;
  url: string;
  /** null when the provenance recorded `#f`. */
  commit: string | null;
}

/** One top-level manifest entry. */
export interface RecipePackage {
  name: string;
  version: string;
  output: string;
  storePath: string;
  /** Channels from this entry's provenance (guix first); [] when it has none. */
  channels: PackageChannelRef[];
  /** `transformations` property, in recorded order: e.g. [{ option: 'without-tests', value: 'python-pandas' }]. */
  transformations: { option: string; value: string }[];
  /**
   * Present (true) only when the entry records an empty `transformations` property, which Guix still
   * exports as a `transformN` procedure over `'()`; absent otherwise. `transformations` is then [].
   */
  emptyTransformations?: true;
  /**
   * Present only when the entry's `transformations` property is not a list of `(SYMBOL . "STRING")`
   * pairs (Guix reads any datum there): the value as Guile's `write` prints it, e.g. `"with-input=a=b"`,
   * `42`, `((tune))`. Guix quotes it as it is into `(options->transformation '...)`. `transformations`
   * is then [].
   */
  transformationsSexp?: string;
  /** Propagated inputs, recursively (names, versions, outputs, store paths). */
  propagated: RecipeDependency[];
}

export interface RecipeDependency {
  name: string;
  version: string;
  output: string;
  storePath: string;
  /** [] when `repeated` is true: the entry's inputs are listed where it first appears. */
  propagated: RecipeDependency[];
  /**
   * True when the same entry was already listed in full earlier in this recipe (depth-first,
   * pre-order over `packages`), as the manifest's own `repeated` forms do. Keeps the document linear
   * in the manifest's size. Absent when false.
   */
  repeated?: true;
}

/** What every kind of Recipe holds: packages and the channels they came from. */
interface RecipeBase {
  schemaVersion: 1;
  /** The profile's store path, e.g. /gnu/store/<hash>-profile (when known). */
  profile: string | null;
  packages: RecipePackage[];
  /** As exported; [] when the profile has no provenance. */
  channels: RecipeChannel[];
  /** Top-level packages that carry no (usable) provenance, as specs `name@version[:output]`. */
  packagesWithoutProvenance: string[];
}

/** The recipe of a profile: its channels.scm and manifest.scm. */
export interface ProfileRecipe extends RecipeBase {
  kind: 'profile';
  /** The manifest's format version (2, 3 or 4). */
  manifestVersion: number;
  texts: {
    /** channels.scm as Guix prints it (classic printer); absent without provenance. */
    channels?: string;
    /** manifest.scm, default style (pinned), classic printer. */
    manifest: string;
  };
}

/**
 * The recipe of a Guix system (`guix system image`): the `channels.scm` and `configuration.scm` that
 * `provenance-service-type` stores in the system directory, byte for byte. `profile` and `packages`
 * are the system profile's (`<system>/profile`), whose manifest records no provenance of its own:
 * each package carries the system's channels instead, for lookups, diffs and policies.
 */
export interface SystemRecipe extends RecipeBase {
  kind: 'system';
  /** The system profile manifest's format version; null when the image holds no system profile. */
  manifestVersion: number | null;
  system: SystemFacts;
  texts: {
    /** The system's channels.scm as stored, byte for byte; absent when it stores none. */
    channels?: string;
    /** The system's configuration.scm as stored, byte for byte; absent when it stores none. */
    configuration?: string;
  };
}

/** Where a system's recipe was found, and what its `provenance` file says. */
export interface SystemFacts {
  /** The system directory, `/gnu/store/<hash>-system`. */
  directory: string;
  /** How it was found: the entry point's second element, or `var/guix/profiles/system-1-link`. */
  foundBy: 'entry-point' | 'system-link';
  /** The store items the system directory's links lead to (null: the link is absent). */
  files: {
    provenance: string | null;
    channels: string | null;
    configuration: string | null;
  };
  /** The `provenance` file as read; null when the system has none (built without --save-provenance). */
  provenance: SystemProvenanceFile | null;
  /** True when `provenance-service-type` left its files: the image was built with --save-provenance. */
  savedProvenance: boolean;
  /** Oddities met on the way (an unreadable provenance file, links that disagree, ...); [] when none. */
  warnings: string[];
}

/**
 * The `provenance` file: `read` as Guix's `sexp->system-provenance` reads it. `read`: the shape
 * Guix writes, `(provenance (version 0) (channels CHANNEL...) (configuration-file FILE))`;
 * `unrecognised`: a datum of another shape (Guix then knows nothing from it); `unreadable`: not an
 * s-expression at all.
 */
export type SystemProvenanceFile =
  | {
      status: 'read';
      /** The channels as recorded: name, URL, branch and commit, no introduction. */
      channels: SystemProvenanceChannel[];
      /** The configuration file's store path, null when recorded as `#f`. */
      configurationFile: string | null;
    }
  | { status: 'unrecognised' | 'unreadable'; reason: string };

/** A channel of the `provenance` file (`channel->sexp` writes exactly these four fields). */
export interface SystemProvenanceChannel {
  name: string;
  url: string;
  /** null when recorded as `#f`. */
  branch: string | null;
  /** null when recorded as `#f`. */
  commit: string | null;
}

/** A Recipe, by `kind`. */
export type Recipe = ProfileRecipe | SystemRecipe;

/** The kinds of Recipe. */
export type RecipeKind = Recipe['kind'];

/**
 * A Recipe from stored or received JSON, of any shape this code ever wrote: a document without
 * `kind` (or with any kind other than `system`) is a profile's recipe, as every document was before
 * system recipes existed. Only the discriminant is checked: the document is trusted otherwise (it
 * was written by this code).
 */
export function readRecipe(json: unknown): Recipe {
  if (json === null || typeof json !== 'object') return json as Recipe; // not a recipe: the caller's to see
  const doc = json as Partial<Recipe> & Record<string, unknown>;
  if (doc.kind === 'system') return doc as SystemRecipe;
  return { ...(doc as ProfileRecipe), kind: 'profile' };
}
