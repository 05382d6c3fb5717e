/**
 * `--output json` text: `JSON.stringify(value, null, 2)` for everything up to JSON_INDENT_MAX_DEPTH
 * levels deep, and compact JSON for whatever is nested deeper.
 *
 * Why: indentation grows with depth, and a hostile profile manifest can nest propagated inputs some
 * hundreds of levels deep with many entries at the bottom. Fully indented, 11 MiB of such a manifest
 * became gigabytes of JSON (the process died with "Invalid string length"). With the cap, every line
 * carries at most 2 * JSON_INDENT_MAX_DEPTH spaces, so the text stays within a small factor of the
 * compact JSON, which is linear in the manifest. Real recipes are shallower and print as before.
 */

/**
 * Levels printed indented. A package's propagated inputs start at level 6 of an image's JSON
 * (results, recipe, packages, package, propagated, input), so this shows some five levels of them.
 */
export const JSON_INDENT_MAX_DEPTH = 16;

/** The JSON text of `value` (plain data: what JSON.stringify accepts), ending with a newline. */
export function formatJson(value: unknown, maxDepth: number = JSON_INDENT_MAX_DEPTH): string {
  const parts: string[] = [];
  write(value, 0, maxDepth, parts);
  parts.push('\n');
  return parts.join('');
}

function write(value: unknown, depth: number, maxDepth: number, out: string[]): void {
  const isArray = Array.isArray(value);
  const isObject = !isArray && value !== null && typeof value === 'object';
  if ((!isArray && !isObject) || depth >= maxDepth || hasToJSON(value)) {
    // Scalars, and everything past the cap, exactly as JSON.stringify writes them.
    out.push(JSON.stringify(value) ?? 'null');
    return;
  }
  const inner = '\n' + '  '.repeat(depth + 1);
  if (isArray) {
    if (value.length === 0) return void out.push('[]');
    out.push('[');
    value.forEach((item, i) => {
      out.push(i === 0 ? inner : ',' + inner);
      // As JSON.stringify: undefined and functions inside an array print as null.
      write(item === undefined || typeof item === 'function' ? null : item, depth + 1, maxDepth, out);
    });
    out.push('\n' + '  '.repeat(depth) + ']');
    return;
  }
  const entries = Object.entries(value as Record<string, unknown>).filter(
    ([, v]) => v !== undefined && typeof v !== 'function' && typeof v !== 'symbol',
  );
  if (entries.length === 0) return void out.push('{}');
  out.push('{');
  entries.forEach(([k, v], i) => {
    out.push((i === 0 ? inner : ',' + inner) + JSON.stringify(k) + ': ');
    write(v, depth + 1, maxDepth, out);
  });
  out.push('\n' + '  '.repeat(depth) + '}');
}

/** Objects with their own toJSON (Date, ...) are left to JSON.stringify. */
function hasToJSON(value: unknown): boolean {
  return typeof (value as { toJSON?: unknown } | null)?.toJSON === 'function';
}
