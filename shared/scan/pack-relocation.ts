/**
 * `guix pack -R` / `-RR`, from what the profile and the layers show. Guix's `wrapped-package`
 * (`guix/scripts/pack.scm`) replaces every manifest entry's item by a wrapper named
 * `<name>-<version>R` (whatever the output; name, version, output and properties are kept), so a
 * relocatable pack is one whose top-level entries all have such store items. `-RR` builds the same
 * wrappers with PRoot as a fallback: their closure holds `proot-static`, which is how `-RR` shows, when
 * the layers read hold that store item and the manifest does not bring it itself. The absence of
 * `proot-static` proves nothing (a wrapper of a package without programs references no PRoot, and the
 * scan stops reading a layer once the profile is found), so `-RR` is otherwise said to be unknown.
 */
import type { Recipe, RecipeDependency } from '../guix/recipe.js';
import type { RebuildOptions, UnknownOption } from './rebuild.js';

const STORE_ITEM = /^\/gnu\/store\/[0123456789abcdfghijklmnpqrsvwxyz]{32}-(.+)$/;
const PROOT_ITEM = /^[0123456789abcdfghijklmnpqrsvwxyz]{32}-proot-static-[^/]*$/;

/** Whether a store path is the wrapper `-R` makes for this entry. */
function isWrapper(entry: { name: string; version: string; storePath: string }): boolean {
  const m = STORE_ITEM.exec(entry.storePath);
  return m !== null && m[1] === `${entry.name}-${entry.version}R`;
}

function bringsProot(deps: readonly RecipeDependency[], depth = 0): boolean {
  if (depth > 64) return false;
  return deps.some((d) => d.name === 'proot-static' || bringsProot(d.propagated, depth + 1));
}

/**
 * The `relocatable` option, or an unknown entry. `storeItems`: names (`<hash>-<name>`) of the store
 * items seen in the layers read.
 */
export function packRelocation(
  recipe: Pick<Recipe, 'packages'>,
  storeItems: Iterable<string>,
): { relocatable: NonNullable<RebuildOptions['relocatable']> | null; unknown?: UnknownOption } {
  const entries = recipe.packages;
  if (entries.length === 0)
    return {
      relocatable: null,
      unknown: { option: '-R', reason: 'the manifest has no entry, so no wrapper shows whether -R was used' },
    };
  const wrapped = entries.filter(isWrapper).length;
  if (wrapped === 0) return { relocatable: null };
  if (wrapped !== entries.length)
    return {
      relocatable: null,
      unknown: {
        option: '-R',
        reason: `${wrapped} of ${entries.length} entries are -R wrappers (<name>-<version>R): no single guix pack makes that`,
      },
    };
  const manifestBringsProot = entries.some((p) => p.name === 'proot-static' || bringsProot(p.propagated));
  if (!manifestBringsProot)
    for (const item of storeItems) if (PROOT_ITEM.test(item)) return { relocatable: 'RR' };
  return {
    relocatable: 'R',
    unknown: {
      option: '-RR',
      reason:
        'the entries are -R wrappers; -RR (PRoot fallback) shows only as a proot-static store item, and none was seen in what was read',
    },
  };
}
