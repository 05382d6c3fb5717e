/**
 * The layout of an export (`guix-recipes export DIR`, docs/configuration.md "Export and import"):
 * plain files a person can browse and keep in git, and everything `import` needs to write the store
 * back so that the API answers byte for byte as before. Stable: paths and contents depend only on
 * what the store holds (sorted, no time of export), so exporting the same store twice writes the
 * same bytes.
 *
 *   guix-recipes-export.json                      the index: format, store schema, every entry
 *   results/sha256-<hex>/result.json              a stored result: its hash fields, JSON values
 *                                                 decoded, the big ones in files beside it
 *   results/sha256-<hex>/recipe.json              the Recipe
 *   results/sha256-<hex>/channels.scm, manifest.scm, variants/*.scm
 *                                                 the texts as stored (served byte for byte)
 *   images/<registry>/<repository>/sha256-<hex>/image.json
 *                                                 an image record, and where it is listed
 *   images/<registry>/<repository>/sha256-<hex>/{recipe.json, channels.scm, manifest.scm, rebuild.sh}
 *                                                 for people: its recipe (an index: one folder per
 *                                                 platform, `<os>-<arch>[-<variant>]`)
 *   images/<registry>/<repository>/tags.json      the repository's tags: current digest and history
 *   policies/<name>.json                          a policy stored through the API
 *
 * `<registry>` is the host with `:` written `_` (a port), which registry names never hold.
 */
import type { Digest } from '../content/digest.js';
import type { RepositoryName } from '../oci/reference.js';

/** The index's file name, and the format it declares. */
export const EXPORT_INDEX = 'guix-recipes-export.json';
export const EXPORT_FORMAT = 'guix-recipes-export';
export const EXPORT_FORMAT_VERSION = 1;

export interface ExportIndex {
  format: typeof EXPORT_FORMAT;
  formatVersion: number;
  /** The store schema the values were written by (import migrates an older one). */
  storeSchema: number;
  results: { digest: Digest; path: string }[];
  images: { image: string; path: string }[];
  /** Images whose scan was queued or running: not exported (a backfill or reconciliation finds them again). */
  pending: string[];
  repositories: { repository: string; path: string }[];
  policies: { name: string; path: string }[];
}

/** A Redis hash as files keep it: plain strings, JSON values decoded, some fields in files. */
export interface EncodedHash {
  strings: Record<string, string>;
  json: Record<string, unknown>;
  /** Field -> file (relative to the folder of the JSON holding this). */
  files?: Record<string, string>;
}

/** `sha256:<hex>` -> `sha256-<hex>` (a folder name). */
export function digestDir(digest: Digest): string {
  return digest.replace(':', '-');
}

/** The folder of a repository under `images/`. */
export function repositoryDir(repo: RepositoryName): string {
  return `images/${repo.registry.replaceAll(':', '_')}/${repo.repository}`;
}

export function resultDir(digest: Digest): string {
  return `results/${digestDir(digest)}`;
}

/**
 * Where a result's text field is kept: `channels.scm` and `manifest.scm` for the default texts,
 * `variants/<file>.<options>.scm` for the others (`text:manifest.scm:guix:modern` ->
 * `variants/manifest.guix.modern.scm`), or an opaque name for a key of no known shape.
 */
export function textFile(field: string): string {
  const key = field.slice('text:'.length);
  if (key === 'channels.scm:classic') return 'channels.scm';
  if (key === 'manifest.scm:pinned:classic') return 'manifest.scm';
  const m = /^([a-z]+)\.scm((?::[a-z0-9-]+)+)$/.exec(key);
  if (m) return `variants/${m[1]}${m[2]!.replaceAll(':', '.')}.scm`;
  return `variants/text-${Buffer.from(key).toString('hex').slice(0, 120)}.txt`;
}

/** A stored value kept as decoded JSON when that reads back to the very same string. */
function asJson(v: string): { value: unknown } | undefined {
  if (!(v.startsWith('{') || v.startsWith('[') || v === 'null')) return undefined;
  try {
    const value = JSON.parse(v) as unknown;
    return JSON.stringify(value) === v ? { value } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A hash as files keep it; `fileOf` names the file of a field kept apart (its content: the string
 * as it is, or for `.json` files the decoded value, pretty-printed).
 */
export function encodeHash(
  h: Record<string, string>,
  fileOf: (field: string) => string | undefined = () => undefined,
): { encoded: EncodedHash; files: Map<string, string> } {
  const encoded: EncodedHash = { strings: {}, json: {} };
  const files = new Map<string, string>();
  for (const field of Object.keys(h).sort()) {
    const v = h[field]!;
    const file = fileOf(field);
    const json = asJson(v);
    if (file !== undefined && (!file.endsWith('.json') || json !== undefined)) {
      (encoded.files ??= {})[field] = file;
      files.set(file, file.endsWith('.json') ? jsonText(json!.value) : v);
    } else if (json !== undefined) encoded.json[field] = json.value;
    else encoded.strings[field] = v;
  }
  return { encoded, files };
}

/** The hash back from its encoding; `read` gives a file's text (relative to the same folder). */
export async function decodeHash(
  e: EncodedHash,
  read: (file: string) => Promise<string>,
): Promise<Record<string, string>> {
  const h: Record<string, string> = {};
  for (const [k, v] of Object.entries(e.strings ?? {})) h[k] = String(v);
  for (const [k, v] of Object.entries(e.json ?? {})) h[k] = JSON.stringify(v);
  for (const [k, file] of Object.entries(e.files ?? {})) {
    const text = await read(file);
    h[k] = file.endsWith('.json') ? JSON.stringify(JSON.parse(text)) : text;
  }
  return h;
}

/** JSON as the export writes it: two spaces, a final newline. */
export function jsonText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
