/**
 * Subjects and policies for the verdict tests: recipes built from the fixture images' profile
 * manifests (the scan tests show that scanning the images yields these very recipes), and policy
 * documents checked by the parser before they are compiled.
 */
import { readFileSync } from 'node:fs';
import { buildRecipe } from '../../shared/guix/build-recipe.js';
import type { Recipe } from '../../shared/guix/recipe.js';
import { sha256Digest } from '../../shared/content/digest.js';
import { compilePolicy, type CompiledPolicy } from '../../shared/policy/compile-policy.js';
import { parsePolicyValue } from '../../shared/policy/parse-policy.js';
import type { PolicyDocument, PolicyRules } from '../../shared/policy/policy-schema.js';
import type { PlatformFacts, Subject } from '../../shared/policy/subject.js';

export const IMAGES = 'test/fixtures/guix-images';

export const GUIX_URL = 'https://git.savannah.gnu.org/git/guix.git';
export const GUIX_SCIENCE_URL = 'https://codeberg.org/guix-science/guix-science.git';
export const GUIX_HPC_URL = 'https://gitlab.inria.fr/guix-hpc/guix-hpc.git';
export const GUIX_INTRO = {
  commit: '9edb3f66fd807b096b48283debdcddccfea34bad',
  signer: 'BBB0 2DDF 2CEA F6A8 0D1D  E643 A2A0 6DF2 A33A 54FA',
};
export const GUIX_SCIENCE_INTRO = {
  commit: 'b1fe5aaff3ab48e798a4cce02f0212bc91f423dc',
  signer: 'CA4F 8CF4 37D7 478F DA05  5FD4 4213 7701 1A37 8446',
};
/** The guix commits of the fixtures. */
export const COMMIT_EB = 'eb34ff16cc9038880e87e1a58a93331fca37ad92';
export const COMMIT_36 = '3682bd3e0f1a0c6b9e4cf5a1e1c9f1b5f0a5b6c7';
export const COMMIT_FB = 'fb32a38db1d3a6d9bc970e14df5be95e59a8ab02';

export const FIXTURES = [
  'layered',
  'mixed-commits',
  'multi-output',
  'no-provenance',
  'propagated',
  'seed-python-numpy',
  'transformations',
  'two-channels',
  'v3',
] as const;
export type Fixture = (typeof FIXTURES)[number];

const recipes = new Map<string, Recipe>();

/** The recipe of a fixture image (or of a file under test/fixtures). */
export function recipeOf(fixture: string, file = `${IMAGES}/${fixture}/profile-manifest`): Recipe {
  let r = recipes.get(file);
  if (r === undefined) {
    r = buildRecipe(readFileSync(file, 'utf8'), { profile: null });
    recipes.set(file, r);
  }
  return structuredClone(r);
}

/** A stand-in manifest digest for a fixture (its profile manifest's hash). */
export function digestOf(fixture: string): string {
  return sha256Digest(`manifest of ${fixture}`);
}

export function recipePlatform(fixture: string, platform?: string): PlatformFacts {
  return {
    kind: 'recipe',
    ...(platform === undefined ? {} : { platform }),
    digest: digestOf(fixture),
    recipe: recipeOf(fixture),
  };
}

/** A single-image subject with the fixture's recipe. */
export function subjectOf(fixture: string): Subject {
  return { known: true, digest: digestOf(fixture), platforms: [recipePlatform(fixture)] };
}

/** A policy with these rules (and header fields), validated, then compiled. */
export function policyWith(rules: PolicyRules, head: Partial<PolicyDocument> = {}): CompiledPolicy {
  const doc = parsePolicyValue({
    apiVersion: 'guix-recipes/v1',
    kind: 'Policy',
    name: 'test',
    ...head,
    rules,
  });
  return compilePolicy(doc);
}
