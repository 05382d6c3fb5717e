/**
 * The Recipe: what we know about how a Guix profile was built, as JSON. It is the CLI's
 * `--output json` and the API's recipe document (schema in docs/recipe-schema.md).
 *
 * It holds everything needed to print channels.scm and manifest.scm again, in any style and with
 * either printer (build-recipe.ts: renderChannels, renderManifest), without the manifest text.
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

export interface Recipe {
  schemaVersion: 1;
  kind: 'profile';
  /** The profile's store path, e.g. /gnu/store/<hash>-profile (when known). */
  profile: string | null;
  /** The manifest's format version (2, 3 or 4). */
  manifestVersion: number;
  packages: RecipePackage[];
  /** As exported; [] when the profile has no provenance. */
  channels: RecipeChannel[];
  /** Top-level packages that carry no (usable) provenance, as specs `name@version[:output]`. */
  packagesWithoutProvenance: string[];
  texts: {
    /** channels.scm as Guix prints it (classic printer); absent without provenance. */
    channels?: string;
    /** manifest.scm, default style (pinned), classic printer. */
    manifest: string;
  };
}
