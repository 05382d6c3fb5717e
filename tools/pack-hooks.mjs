// `npm pack` hooks. Before: delete dist/ (the `prepare` script builds it again, so that no output of
// a deleted source file is packed) and copy package-lock.json to npm-shrinkwrap.json, which npm
// honours when installing the tarball: `npm install -g guix-recipes-*.tgz` gets exactly the versions
// the project is tested with. After: delete that copy again (package-lock.json stays the one lockfile).
import { copyFileSync, rmSync } from 'node:fs';

const step = process.argv[2];
if (step === 'before') {
  rmSync('dist', { recursive: true, force: true });
  copyFileSync('package-lock.json', 'npm-shrinkwrap.json');
} else if (step === 'after') {
  rmSync('npm-shrinkwrap.json', { force: true });
} else {
  console.error('usage: node tools/pack-hooks.mjs before|after');
  process.exit(2);
}
