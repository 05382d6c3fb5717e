/**
 * The distinct store items of a recipe and the propagated-input edges between them: one CycloneDX
 * component / SPDX package each. A store path can appear many times in a Recipe (a top-level entry
 * that is also another's propagated input, `repeated` back-references, shared version-3 subtrees);
 * here it is one item whose edges are the union of every place it appears.
 */
import type { PackageChannelRef, RecipeDependency, RecipePackage } from '../guix/recipe.js';
import type { AttestRecipe } from './attest-input.js';

export interface StoreItem {
  storePath: string;
  /** Name, version and output where the store path is first seen. */
  name: string;
  version: string;
  output: string;
  /** A top-level entry of the recipe (else only a propagated input). */
  topLevel: boolean;
  /** The provenance of its first top-level entry; [] for propagated inputs, which record none. */
  channels: PackageChannelRef[];
  /** The transformations of its first top-level entry; [] otherwise. */
  transformations: { option: string; value: string }[];
  /** Store paths of its propagated inputs: first-seen order, each once, never itself. */
  dependsOn: string[];
}

export interface StoreGraph {
  /** Every distinct store path, in first-seen order (depth-first, pre-order over `packages`). */
  items: StoreItem[];
  /** The top-level entries' store paths, in manifest order, each once. */
  topLevel: string[];
}

type Node = RecipePackage | RecipeDependency;

/** The store graph of a recipe. Iterative: propagated inputs can nest deeper than the call stack. */
export function storeGraph(recipe: Pick<AttestRecipe, 'packages'>): StoreGraph {
  const byPath = new Map<string, { item: StoreItem; deps: Set<string>; described: boolean }>();
  const topLevel: string[] = [];

  const visit = (node: Node, isTop: boolean) => {
    let entry = byPath.get(node.storePath);
    if (entry === undefined) {
      entry = {
        item: {
          storePath: node.storePath,
          name: node.name,
          version: node.version,
          output: node.output,
          topLevel: false,
          channels: [],
          transformations: [],
          dependsOn: [],
        },
        deps: new Set(),
        described: false,
      };
      byPath.set(node.storePath, entry);
    }
    if (isTop) {
      if (!entry.item.topLevel) topLevel.push(node.storePath);
      entry.item.topLevel = true;
      if (!entry.described) {
        const pkg = node as RecipePackage;
        entry.item.channels = pkg.channels;
        entry.item.transformations = pkg.transformations;
        entry.described = true;
      }
    }
    for (const dep of node.propagated) {
      if (dep.storePath === node.storePath || entry.deps.has(dep.storePath)) continue;
      entry.deps.add(dep.storePath);
      entry.item.dependsOn.push(dep.storePath);
    }
  };

  for (const pkg of recipe.packages) {
    visit(pkg, true);
    // Pre-order: a node's inputs are visited before its next sibling, children in recorded order.
    const stack: RecipeDependency[] = [...pkg.propagated].reverse();
    while (stack.length > 0) {
      const dep = stack.pop()!;
      visit(dep, false);
      for (let i = dep.propagated.length - 1; i >= 0; i--) stack.push(dep.propagated[i]!);
    }
  }
  return { items: [...byPath.values()].map((e) => e.item), topLevel };
}
