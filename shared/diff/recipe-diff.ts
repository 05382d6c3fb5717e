/**
 * What changed between two Recipes: channels (added, removed, commit moved, other commits used),
 * top-level packages (added, removed, version changed, rebuilt at the same version) and package
 * transformations. Pure: no I/O, deterministic order (the `to` recipe's order, then `from`'s).
 *
 * Packages are matched by (name, output), as a Guix profile holds one entry per name and output.
 * Should a recipe hold several entries with the same name and output, equal versions are paired
 * first and the rest in recorded order; leftovers are added or removed.
 * Channels are matched by name, as `guix package --export-channels` names them.
 *
 * A Guix system's recipe (kind `system`) diffs the same way: its channels, and its system profile's
 * packages. What makes it a system's is its configuration.scm: the `system` part says whether it
 * changed (byte for byte), and is present only when either side is a system's recipe.
 */
import type { Recipe, RecipeChannel, RecipeKind, RecipePackage } from '../guix/recipe.js';

/** A top-level package, as the diff names it. */
export interface PackageRef {
  name: string;
  version: string;
  output: string;
  storePath: string;
}

export interface Transformation {
  option: string;
  value: string;
}

/** One side of a changed package. */
export interface PackageSide {
  version: string;
  storePath: string;
  transformations: Transformation[];
  /** The recipe's `transformationsSexp` (a property that is not an option list), when it has one. */
  transformationsSexp?: string;
}

/** A package present on both sides whose version, store item or transformations differ. */
export interface PackageChange {
  name: string;
  output: string;
  /** `version`: the version changed; `rebuilt`: same version, another store item. */
  change: 'version' | 'rebuilt' | 'transformations';
  from: PackageSide;
  to: PackageSide;
  /** True when the transformations differ (also with a version change or a rebuild). */
  transformationsChanged: boolean;
}

/** A channel as the diff names it. */
export interface ChannelRef {
  name: string;
  url: string;
  /** null when the provenance recorded none (`#f`). */
  commit: string | null;
  /** Every commit of this channel the profile's packages came from (the exported one first). */
  commits: (string | null)[];
}

/** A channel present on both sides with another URL, exported commit or set of commits used. */
export interface ChannelChange {
  name: string;
  from: ChannelRef;
  to: ChannelRef;
  /** The exported commit moved. */
  commitMoved: boolean;
  urlChanged: boolean;
  /** Commits used on the `to` side only, and on the `from` side only (order kept). */
  commitsAdded: (string | null)[];
  commitsRemoved: (string | null)[];
}

/** The system side of a diff: the recipe kinds and the stored configuration.scm of each side. */
export interface SystemDiff {
  kinds: { from: RecipeKind; to: RecipeKind };
  /** The system directory on each side (null: a profile's recipe). */
  directories: { from: string | null; to: string | null };
  /** The configuration.scm store item on each side (null: none stored, or a profile's recipe). */
  configurations: { from: string | null; to: string | null };
  /** The configuration.scm texts differ (one side without one counts as a change). */
  configurationChanged: boolean;
}

export interface RecipeDiff {
  channels: { added: ChannelRef[]; removed: ChannelRef[]; changed: ChannelChange[] };
  packages: {
    added: PackageRef[];
    removed: PackageRef[];
    /** Version changes, rebuilds and transformation changes (see PackageChange.change). */
    changed: PackageChange[];
    /** Packages identical on both sides (name, output, version, store item, transformations). */
    unchanged: number;
  };
  /** Present when either side is a Guix system's recipe. */
  system?: SystemDiff;
  /** True when nothing above differs. */
  identical: boolean;
}

const pkgRef = (p: RecipePackage): PackageRef => ({
  name: p.name,
  version: p.version,
  output: p.output,
  storePath: p.storePath,
});

const channelRef = (c: RecipeChannel): ChannelRef => ({
  name: c.name,
  url: c.url,
  commit: c.commit,
  commits: c.commits.length > 0 ? [...c.commits] : [c.commit],
});

const sameTransformations = (a: RecipePackage, b: RecipePackage): boolean =>
  a.transformationsSexp === b.transformationsSexp &&
  a.emptyTransformations === b.emptyTransformations &&
  a.transformations.length === b.transformations.length &&
  a.transformations.every(
    (t, i) => t.option === b.transformations[i]!.option && t.value === b.transformations[i]!.value,
  );

const side = (p: RecipePackage): PackageSide => {
  const s: PackageSide = {
    version: p.version,
    storePath: p.storePath,
    transformations: [...p.transformations],
  };
  if (p.transformationsSexp !== undefined) s.transformationsSexp = p.transformationsSexp;
  return s;
};

/** Pair `from` and `to` entries sharing a key: equal versions first, then in recorded order. */
function pairPackages(
  from: readonly RecipePackage[],
  to: readonly RecipePackage[],
): { pairs: [RecipePackage, RecipePackage][]; added: RecipePackage[]; removed: RecipePackage[] } {
  const key = (p: RecipePackage): string => `${p.name}\u0000${p.output}`;
  const left = new Map<string, RecipePackage[]>();
  for (const p of from) {
    const k = key(p);
    const l = left.get(k);
    if (l) l.push(p);
    else left.set(k, [p]);
  }
  const pairs: [RecipePackage, RecipePackage][] = [];
  const unmatched: RecipePackage[] = [];
  // Equal versions first, so a profile holding two versions of one name diffs sensibly.
  for (const p of to) {
    const cands = left.get(key(p));
    const i = cands ? cands.findIndex((c) => c.version === p.version) : -1;
    if (cands && i >= 0) pairs.push([cands.splice(i, 1)[0]!, p]);
    else unmatched.push(p);
  }
  const added: RecipePackage[] = [];
  for (const p of unmatched) {
    const cands = left.get(key(p));
    const c = cands?.shift();
    if (c) pairs.push([c, p]);
    else added.push(p);
  }
  const paired = new Set(pairs.map(([f]) => f));
  const removed = from.filter((p) => !paired.has(p));
  // Report pairs in `to` order.
  const order = new Map(to.map((p, i) => [p, i]));
  pairs.sort((a, b) => order.get(a[1])! - order.get(b[1])!);
  return { pairs, added, removed };
}

function diffPackages(from: Recipe, to: Recipe): RecipeDiff['packages'] {
  const { pairs, added, removed } = pairPackages(from.packages, to.packages);
  const changed: PackageChange[] = [];
  let unchanged = 0;
  for (const [f, t] of pairs) {
    const transformationsChanged = !sameTransformations(f, t);
    const change: PackageChange['change'] | undefined =
      f.version !== t.version
        ? 'version'
        : f.storePath !== t.storePath
          ? 'rebuilt'
          : transformationsChanged
            ? 'transformations'
            : undefined;
    if (change === undefined) {
      unchanged++;
      continue;
    }
    changed.push({
      name: t.name,
      output: t.output,
      change,
      from: side(f),
      to: side(t),
      transformationsChanged,
    });
  }
  return { added: added.map(pkgRef), removed: removed.map(pkgRef), changed, unchanged };
}

function diffChannels(from: Recipe, to: Recipe): RecipeDiff['channels'] {
  const before = new Map(from.channels.map((c) => [c.name, channelRef(c)]));
  const added: ChannelRef[] = [];
  const changed: ChannelChange[] = [];
  for (const c of to.channels) {
    const t = channelRef(c);
    const f = before.get(c.name);
    if (!f) {
      added.push(t);
      continue;
    }
    before.delete(c.name);
    const commitsAdded = t.commits.filter((x) => !f.commits.includes(x));
    const commitsRemoved = f.commits.filter((x) => !t.commits.includes(x));
    const commitMoved = f.commit !== t.commit;
    const urlChanged = f.url !== t.url;
    if (commitMoved || urlChanged || commitsAdded.length > 0 || commitsRemoved.length > 0)
      changed.push({ name: c.name, from: f, to: t, commitMoved, urlChanged, commitsAdded, commitsRemoved });
  }
  return { added, removed: [...before.values()], changed };
}

function diffSystem(from: Recipe, to: Recipe): SystemDiff | undefined {
  if (from.kind !== 'system' && to.kind !== 'system') return undefined;
  const conf = (r: Recipe): string | undefined => (r.kind === 'system' ? r.texts.configuration : undefined);
  const path = (r: Recipe): string | null => (r.kind === 'system' ? r.system.files.configuration : null);
  const dir = (r: Recipe): string | null => (r.kind === 'system' ? r.system.directory : null);
  return {
    kinds: { from: from.kind, to: to.kind },
    directories: { from: dir(from), to: dir(to) },
    configurations: { from: path(from), to: path(to) },
    configurationChanged: conf(from) !== conf(to),
  };
}

/** The difference from `from` to `to`. */
export function diffRecipes(from: Recipe, to: Recipe): RecipeDiff {
  const channels = diffChannels(from, to);
  const packages = diffPackages(from, to);
  const system = diffSystem(from, to);
  const identical =
    channels.added.length + channels.removed.length + channels.changed.length === 0 &&
    packages.added.length + packages.removed.length + packages.changed.length === 0 &&
    (system === undefined || (system.kinds.from === system.kinds.to && !system.configurationChanged));
  return { channels, packages, ...(system !== undefined && { system }), identical };
}
