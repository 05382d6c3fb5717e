/**
 * The reader: `readDatum` on a large synthetic profile manifest (format version 4, thousands of
 * entries with provenance, search paths, propagated inputs and `repeated` back-references) against
 * `JSON.parse` of the equivalent JSON document (the same tree: lists as arrays, symbols and strings
 * as strings, numbers as numbers). Ratio = JSON.parse time / readDatum time (1.0 would be V8's native
 * parser speed). Then `buildRecipe` end to end (read, decode, export both texts) on the same text.
 */
import { buildRecipe } from '../shared/guix/build-recipe.js';
import { Num, Sym, type Datum } from '../shared/guix/sexp/datum.js';
import { readDatum } from '../shared/guix/sexp/reader.js';
import { bestOf, check, rate, secs, type BenchContext } from './measure.js';

/** readDatum must reach at least this share of JSON.parse's speed. */
export const READER_TARGET = 0.1;
/** buildRecipe end to end must reach at least this share of readDatum's speed alone. */
export const BUILD_TARGET = 0.25;

const NIX32 = '0123456789abcdfghijklmnpqrsvwxyz';

function hash(i: number, salt: number): string {
  let x = (i + 1) * 2654435761 + salt * 40503;
  let s = '';
  for (let k = 0; k < 32; k++) {
    x = (x * 1103515245 + 12345) >>> 0;
    s += NIX32[x >>> 27];
  }
  return s;
}

const INTRO = `(introduction
                 (channel-introduction
                   (version 0)
                   (commit
                     "9edb3f66fd807b096b48283debdcddccfea34bad")
                   (signer
                     "BBB0 2DDF 2CEA F6A8 0D1D  E643 A2A0 6DF2 A33A 54FA")))`;

function provenance(i: number, indent: string): string {
  const commit =
    i % 50 === 0 ? 'eb34ff16cc9038880e87e1a58a93331fca37ad92' : 'fb32a38db1d3a6d9bc970e14df5be95e59a8ab02';
  return `${indent}(properties
${indent}  ((provenance
${indent}     (repository
${indent}       (version 0)
${indent}       (url "https://git.savannah.gnu.org/git/guix.git")
${indent}       (branch "master")
${indent}       (commit
${indent}         "${commit}")
${indent}       (name guix)
${indent}       ${INTRO}))))`;
}

/** A version-4 profile manifest of about `bytes` bytes, written the way Guix pretty-prints it. */
export function syntheticManifest(bytes: number): { text: string; entries: number } {
  const head = `;; This file was automatically generated and is for internal use only.
;; It cannot be passed to the '--manifest' option.
;; Run 'guix package --export-manifest' if you want to export a file
;; suitable for '--manifest'.

(manifest
  (version 4)
  (packages
    (`;
  const parts: string[] = [head];
  let size = head.length;
  let i = 0;
  while (size < bytes) {
    const lib = { name: `lib-${i}`, version: `0.${i}`, path: `/gnu/store/${hash(i, 1)}-lib-${i}-0.${i}` };
    const prev = {
      name: `lib-${i - 1}`,
      version: `0.${i - 1}`,
      path: `/gnu/store/${hash(i - 1, 1)}-lib-${i - 1}-0.${i - 1}`,
    };
    const repeated =
      i > 0
        ? `
         (repeated
           "${prev.name}"
           "${prev.version}"
           "${prev.path}")`
        : '';
    const entry = `${i === 0 ? '' : '\n     '}("pkg-${i}"
      "1.${i % 10}.${i}"
      "${i % 7 === 0 ? 'lib' : 'out'}"
      "/gnu/store/${hash(i, 0)}-pkg-${i}-1.${i % 10}.${i}"
      (propagated-inputs
        (("${lib.name}"
          "${lib.version}"
          "out"
          "${lib.path}"
${provenance(i, '          ')})${repeated}))
      (search-paths
        (("GUIX_PYTHONPATH"
          ("lib/python3.10/site-packages")
          ":"
          directory
          #f)))
${provenance(i, '      ')})`;
    parts.push(entry);
    size += entry.length;
    i++;
  }
  parts.push(')))\n');
  return { text: parts.join(''), entries: i };
}

/** The same tree as JSON values. */
function toJson(d: Datum): unknown {
  if (typeof d === 'string' || typeof d === 'boolean') return d;
  if (d instanceof Sym) return d.name;
  if (d instanceof Num) return Number(d.text);
  if (Array.isArray(d)) return (d as readonly Datum[]).map(toJson);
  throw new Error(`unexpected datum in the synthetic manifest: ${d.constructor.name}`);
}

export async function benchReader(ctx: BenchContext): Promise<void> {
  const { text, entries } = syntheticManifest(ctx.readerMb * 1e6);
  const json = JSON.stringify(toJson(readDatum(text)), null, 1);
  const textBytes = Buffer.byteLength(text);
  ctx.log(
    `reader: ${entries} entries, ${(textBytes / 1e6).toFixed(1)} MB of Scheme, ${(json.length / 1e6).toFixed(1)} MB of JSON`,
  );
  const runs = Math.max(3, ctx.runs);
  let recipePackages = 0;
  const t = await bestOf(runs, {
    read: () => readDatum(text),
    json: () => JSON.parse(json) as unknown,
    build: () => {
      recipePackages = buildRecipe(text, { profile: '/gnu/store/00000000000000000000000000000000-profile' })
        .packages.length;
    },
  });
  check(recipePackages === entries, `buildRecipe gave ${recipePackages} packages for ${entries} entries`);
  ctx.report({
    name: `readDatum, ${(textBytes / 1e6).toFixed(1)} MB manifest`,
    value: `${rate(textBytes, t.read)} (${secs(t.read)})`,
    baseline: `JSON.parse of the same tree ${rate(json.length, t.json)} (${secs(t.json)})`,
    ratio: t.json / t.read,
    target: { min: READER_TARGET, text: `>= ${READER_TARGET}x` },
  });
  ctx.report({
    name: `buildRecipe, ${entries} packages`,
    value: `${rate(textBytes, t.build)} (${secs(t.build)})`,
    baseline: `readDatum alone ${secs(t.read)}`,
    ratio: t.read / t.build,
    target: { min: BUILD_TARGET, text: `>= ${BUILD_TARGET}x` },
    note: 'read + decode + export-manifest + export-channels',
  });
}
