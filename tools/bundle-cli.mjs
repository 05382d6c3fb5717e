// The command's bundle: `npm run build` compiles the sources with tsc into dist/, then this script
// bundles the compiled CLI (dist/services/cli/main.js and everything it imports) into dist/cli/,
// which bin/guix-recipes runs. Why: a command starts by loading its modules, and Node resolves,
// reads and compiles each of the 130-odd files `inspect` imports one by one; as a few files that
// start-up costs about a quarter less (docs/performance.md has the figures). Each command's code stays
// in its own chunk (the dynamic imports of services/cli/commands/index.ts), so `inspect` never
// parses the service's code.
//
// Dependencies stay in node_modules and are loaded by Node as usual (some read their own files at
// run time: bullmq's Lua scripts, swagger-ui's assets), except BUNDLED: plain JavaScript on every
// layer's path that reads no file of its own. Identifiers are kept (readable stack traces, and
// `name` of functions and classes as in the sources); whitespace and syntax are minified.
//
//   node tools/bundle-cli.mjs
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const BUNDLED = new Set(['tar-stream', 'fzstd']);
const { dependencies } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const external = Object.keys(dependencies).filter((d) => !BUNDLED.has(d));
// Optional plug-ins the CycloneDX library looks for at run time; they are not installed.
external.push('libxmljs2', 'xmlbuilder2');

const outdir = join(root, 'dist/cli');
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: [join(root, 'dist/services/cli/main.js')],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: external.flatMap((d) => [d, `${d}/*`]),
  minifyWhitespace: true,
  minifySyntax: true,
  keepNames: true,
  sourcemap: 'linked',
  // Bundled CommonJS (tar-stream) requires Node's own modules; an ES module has no `require`.
  banner: {
    js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
