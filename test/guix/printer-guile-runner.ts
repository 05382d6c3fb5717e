/**
 * Runs a Scheme program in the real Guile (the differential oracle of the printer and writer tests).
 * Many data go into ONE process: each test builds one program that prints every case, separated by
 * a marker line, and splits the output. Fails loudly when `guile` is missing (CI installs guile-3.0).
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Datum } from '../../shared/guix/sexp/datum.js';
import { Bytevector, Char, DottedList, Keyword, Num, Sym, Vector } from '../../shared/guix/sexp/datum.js';

/** A line no printed datum can contain (written strings and symbols never hold a raw newline). */
export const CASE_MARK = '\u0001--case--\u0001';

/** Guile's major.minor.micro version, or throws with a clear message when guile is absent. */
export function guileVersion(): string {
  const res = spawnSync('guile', ['-c', '(display (version))'], { encoding: 'utf8', timeout: 30_000 });
  if (res.error || res.status !== 0) {
    throw new Error(
      `the real Guile is needed for differential tests (apt-get install guile-3.0): ${String(res.error ?? res.stderr)}`,
    );
  }
  return res.stdout.trim();
}

/**
 * Runs `body` (Scheme forms) with UTF-8 output and returns stdout. `(ice-9 pretty-print)` is loaded;
 * `(mark)` prints the case separator.
 */
export function runGuile(body: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'guile-oracle-'));
  try {
    const file = join(dir, 'prog.scm');
    const prelude = [
      '(use-modules (ice-9 pretty-print) (rnrs bytevectors))',
      '(set-port-encoding! (current-output-port) "UTF-8")',
      `(define (mark) (display "${CASE_MARK.replaceAll('\u0001', '\\x01')}") (newline))`,
    ].join('\n');
    writeFileSync(file, `${prelude}\n${body}\n`, 'utf8');
    const res = spawnSync('guile', ['--no-auto-compile', '-s', file], {
      encoding: 'utf8',
      timeout: 120_000,
      maxBuffer: 256 * 1024 * 1024,
      env: { ...process.env, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', GUILE_AUTO_COMPILE: '0' },
    });
    if (res.error || res.status !== 0) {
      throw new Error(
        `guile failed (status ${String(res.status)}): ${String(res.error ?? '')} ${res.stderr.slice(0, 2000)}`,
      );
    }
    return res.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Splits the output of a program that calls `(mark)` after each case. */
export function splitCases(out: string): string[] {
  const parts = out.split(CASE_MARK + '\n');
  if (parts.at(-1) === '') parts.pop();
  return parts;
}

/** A Scheme expression that builds the string of these code points (no reader escapes involved). */
export function schemeString(s: string): string {
  const cps = Array.from(s, (c) => c.codePointAt(0) as number);
  return `(list->string (map integer->char '(${cps.join(' ')})))`;
}

/**
 * A Scheme expression that constructs `d` from primitives (string->symbol, integer->char, list,
 * cons*, vector...), so that the oracle sees the very datum, independent of any reader.
 */
export function schemeBuild(d: Datum): string {
  if (typeof d === 'string') return schemeString(d);
  if (typeof d === 'boolean') return d ? '#t' : '#f';
  if (d instanceof Sym) return `(string->symbol ${schemeString(d.name)})`;
  if (d instanceof Keyword) return `(symbol->keyword (string->symbol ${schemeString(d.name)}))`;
  if (d instanceof Char) return `(integer->char ${String(d.value.codePointAt(0) ?? 0)})`;
  if (d instanceof Num) return `(string->number ${schemeString(d.text)})`;
  if (d instanceof Bytevector) return `(u8-list->bytevector '(${Array.from(d.bytes).join(' ')}))`;
  if (d instanceof Vector) return `(vector ${d.items.map(schemeBuild).join(' ')})`;
  if (d instanceof DottedList) return `(cons* ${d.items.map(schemeBuild).join(' ')} ${schemeBuild(d.tail)})`;
  const items = d;
  return items.length === 0 ? "'()" : `(list ${items.map(schemeBuild).join(' ')})`;
}
