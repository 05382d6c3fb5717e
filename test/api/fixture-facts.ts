/**
 * Facts read straight from a fixture's profile-manifest text with plain regular expressions,
 * independently of shared/guix, to check what the API says about it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES_DIR } from '../harness/skopeo.js';

export interface FixturePackage {
  name: string;
  version: string;
  output: string;
  storePath: string;
}

/** Top-level entries (fixtures without propagated inputs only) and every (url, commit) of provenance. */
export function fixtureFacts(fixture: string): {
  packages: FixturePackage[];
  commits: { url: string; commit: string }[];
} {
  const text = readFileSync(join(FIXTURES_DIR, fixture, 'profile-manifest'), 'utf8');
  const packages = [...text.matchAll(/\("([^"]+)"\s+"([^"]*)"\s+"([^"]+)"\s+"(\/gnu\/store\/[^"]+)"/g)].map(
    (m) => ({
      name: m[1]!,
      version: m[2]!,
      output: m[3]!,
      storePath: m[4]!,
    }),
  );
  const commits = [
    ...text.matchAll(/\(url "([^"]+)"\)\s+\(branch [^)]*\)\s+\(commit\s+"([0-9a-f]{40})"\)/g),
  ].map((m) => ({
    url: m[1]!,
    commit: m[2]!,
  }));
  return { packages, commits };
}

export function fixtureRecipeInput(fixture: string): { text: string; profile: string } {
  return {
    text: readFileSync(join(FIXTURES_DIR, fixture, 'profile-manifest'), 'utf8'),
    profile: readFileSync(join(FIXTURES_DIR, fixture, 'profile-path'), 'utf8').trim(),
  };
}
