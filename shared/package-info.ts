/**
 * The project's own package.json facts (name, version, description), found by walking up from this
 * file: the same code runs from the sources (tsx) and from the compiled dist/ one level deeper.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PackageInfo {
  name: string;
  version: string;
  description: string;
}

let cached: PackageInfo | undefined;

export function packageInfo(): PackageInfo {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as Partial<PackageInfo>;
      if (pkg.name === 'guix-recipes') {
        cached = { name: pkg.name, version: pkg.version ?? 'unknown', description: pkg.description ?? '' };
        return cached;
      }
    }
    dir = dirname(dir);
  }
  cached = { name: 'guix-recipes', version: 'unknown', description: '' };
  return cached;
}
