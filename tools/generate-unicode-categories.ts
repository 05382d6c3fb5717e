/**
 * Regenerates the data section of shared/guix/sexp/unicode-14.ts (between its `BEGIN GENERATED` and
 * `END GENERATED` lines): the Unicode 14.0 General_Category of every code point, as a run table. Unicode 14.0 is what libunistring 1.0 knows, the library Guile 3.0.8
 * asks when it decides whether `write` prints a character raw or escaped (docs/unicode.md).
 *
 * Source: the `@unicode/unicode-14.0.0` package (a devDependency: data derived from the Unicode
 * Character Database 14.0.0), so the table regenerates offline from the lock file alone.
 * Run: `node --import tsx tools/generate-unicode-categories.ts`; test/guix/unicode-14.test.ts fails
 * when the committed section and this output differ.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { GENERAL_CATEGORIES } from '../shared/guix/sexp/unicode-14.js';
import type { GeneralCategory } from '../shared/guix/sexp/unicode-14.js';

/** The package's folder name of each category. */
const LONG_NAMES: Record<GeneralCategory, string> = {
  Lu: 'Uppercase_Letter',
  Ll: 'Lowercase_Letter',
  Lt: 'Titlecase_Letter',
  Lm: 'Modifier_Letter',
  Lo: 'Other_Letter',
  Mn: 'Nonspacing_Mark',
  Mc: 'Spacing_Mark',
  Me: 'Enclosing_Mark',
  Nd: 'Decimal_Number',
  Nl: 'Letter_Number',
  No: 'Other_Number',
  Pc: 'Connector_Punctuation',
  Pd: 'Dash_Punctuation',
  Ps: 'Open_Punctuation',
  Pe: 'Close_Punctuation',
  Pi: 'Initial_Punctuation',
  Pf: 'Final_Punctuation',
  Po: 'Other_Punctuation',
  Sm: 'Math_Symbol',
  Sc: 'Currency_Symbol',
  Sk: 'Modifier_Symbol',
  So: 'Other_Symbol',
  Zs: 'Space_Separator',
  Zl: 'Line_Separator',
  Zp: 'Paragraph_Separator',
  Cc: 'Control',
  Cf: 'Format',
  Cs: 'Surrogate',
  Co: 'Private_Use',
  Cn: 'Unassigned',
};

interface PackageRange {
  begin: number;
  /** Exclusive. */
  end: number;
}

const MAX = 0x10ffff;

/** The generated section: runs `START CATEGORY` (START in hex) in code point order, 12 runs a line. */
export async function generateCategoryRuns(): Promise<string> {
  const cat = new Uint8Array(MAX + 1).fill(255);
  for (let i = 0; i < GENERAL_CATEGORIES.length; i++) {
    const code = GENERAL_CATEGORIES[i]!;
    const path = `@unicode/unicode-14.0.0/General_Category/${LONG_NAMES[code]}/ranges.mjs`;
    const mod = (await import(path)) as { default: PackageRange[] };
    for (const r of mod.default) {
      for (let cp = r.begin; cp < r.end; cp++) {
        if (cat[cp] !== 255) throw new Error(`U+${cp.toString(16)} in two categories`);
        cat[cp] = i;
      }
    }
  }
  const runs: string[] = [];
  for (let cp = 0; cp <= MAX; cp++) {
    if (cat[cp] === 255) throw new Error(`U+${cp.toString(16)} in no category`);
    if (cp === 0 || cat[cp] !== cat[cp - 1]) runs.push(`${cp.toString(16)} ${GENERAL_CATEGORIES[cat[cp]!]}`);
  }
  const lines: string[] = [];
  for (let i = 0; i < runs.length; i += 12) lines.push(`  '${runs.slice(i, i + 12).join(' ')}',`);
  return lines.join('\n') + '\n';
}

export const TARGET = 'shared/guix/sexp/unicode-14.ts';
const BEGIN = '// BEGIN GENERATED';
const END = '// END GENERATED';

/** Where the generated section of `moduleText` starts and ends: the lines between the marker lines. */
export function generatedSection(moduleText: string): { start: number; end: number } {
  const b = moduleText.indexOf(BEGIN);
  const e = moduleText.indexOf(END);
  if (b < 0 || e < b) throw new Error(`${TARGET}: generated-section markers not found`);
  return { start: moduleText.indexOf('\n', b) + 1, end: moduleText.lastIndexOf('\n', e) + 1 };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const text = readFileSync(TARGET, 'utf8');
  const { start, end } = generatedSection(text);
  writeFileSync(TARGET, text.slice(0, start) + (await generateCategoryRuns()) + text.slice(end));
  console.log(`rewrote the generated section of ${TARGET}`);
}
