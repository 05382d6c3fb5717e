/**
 * From an image config to the Guix profile it points at (as `guix pack -f docker` writes it, guix/docker.scm): the
 * `/gnu/store/<hash>-profile` prefix of a `PATH` entry in `env`, else of the entry point (the prefix,
 * not the file: the file need not exist). Keys are read case-insensitively (Guix writes `env` and
 * `entrypoint` in lower case; Docker writes `Env`, `Entrypoint`).
 */
import { RecipeError } from '../errors.js';

/** The parts of an image config the scan looks at. */
export interface ImageConfigInfo {
  env: string[];
  entrypoint: string[];
  cmd: string[];
  /** `created_by` and `comment` of each history entry. */
  history: { createdBy: string; comment: string }[];
  os?: string;
  architecture?: string;
  variant?: string;
  comment?: string;
}

/** A store item name: nix-base32 hash, dash, name. */
const STORE_ITEM = /^\/gnu\/store\/([0123456789abcdfghijklmnpqrsvwxyz]{32}-[^/\0]+)/;
/** Any profile manifest member, for the fallback search. */
export const PROFILE_MANIFEST_PATH =
  /^gnu\/store\/[0123456789abcdfghijklmnpqrsvwxyz]{32}-[^/]*profile\/manifest$/;

type Json = unknown;

/** Own property `key` of `obj`, matched case-insensitively (an exact match first). */
function getCI(obj: Json, key: string): Json {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return undefined;
  const rec = obj as Record<string, Json>;
  if (Object.hasOwn(rec, key)) return rec[key];
  const lower = key.toLowerCase();
  for (const k of Object.keys(rec)) if (k.toLowerCase() === lower) return rec[k];
  return undefined;
}

function strings(v: Json, max = 10_000): string[] {
  if (!Array.isArray(v)) return [];
  return v.filter((x): x is string => typeof x === 'string').slice(0, max);
}

function str(v: Json): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Parse image config JSON bytes (already size-capped and digest-verified). */
export function parseImageConfig(bytes: Uint8Array): ImageConfigInfo {
  let json: Json;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw new RecipeError('parse-error', `image config is not JSON: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    throw new RecipeError('invalid-image', 'image config is not a JSON object');
  const config = getCI(json, 'config');
  const history = Array.isArray(getCI(json, 'history')) ? (getCI(json, 'history') as Json[]) : [];
  const info: ImageConfigInfo = {
    env: strings(getCI(config, 'env')),
    entrypoint: strings(getCI(config, 'entrypoint')),
    cmd: strings(getCI(config, 'cmd')),
    history: history.slice(0, 10_000).map((h) => ({
      createdBy: str(getCI(h, 'created_by')) ?? '',
      comment: str(getCI(h, 'comment')) ?? '',
    })),
  };
  const os = str(getCI(json, 'os'));
  const architecture = str(getCI(json, 'architecture'));
  const variant = str(getCI(json, 'variant'));
  const comment = str(getCI(json, 'comment'));
  if (os !== undefined) info.os = os;
  if (architecture !== undefined) info.architecture = architecture;
  if (variant !== undefined) info.variant = variant;
  if (comment !== undefined) info.comment = comment;
  return info;
}

/** The `PATH` value of an env list, if any. */
export function envPath(env: readonly string[]): string | undefined {
  const e = env.find((x) => x.startsWith('PATH='));
  return e?.slice('PATH='.length);
}

/** The `/gnu/store/<hash>-<name>` store item a file name lies in, if any. */
export function storeItemOf(file: string): string | undefined {
  const m = STORE_ITEM.exec(file);
  return m ? `/gnu/store/${m[1]}` : undefined;
}

function profileItemOf(file: string): string | undefined {
  const item = storeItemOf(file);
  return item !== undefined && item.endsWith('profile') ? item : undefined;
}

/** Whether the config points into /gnu/store at all (PATH entries or the entry point). */
export function pointsIntoStore(cfg: ImageConfigInfo): boolean {
  const path = envPath(cfg.env) ?? '';
  return (
    path.split(':').some((p) => storeItemOf(p) !== undefined) ||
    storeItemOf(cfg.entrypoint[0] ?? '') !== undefined
  );
}

/**
 * The profile the config points to: the first PATH entry under `/gnu/store/<hash>-...profile`, else
 * the entry point's; null when neither does.
 */
export function profileFromConfig(cfg: ImageConfigInfo): string | null {
  for (const p of (envPath(cfg.env) ?? '').split(':')) {
    const item = profileItemOf(p);
    if (item !== undefined) return item;
  }
  for (const f of [cfg.entrypoint[0], cfg.cmd[0]]) {
    const item = f === undefined ? undefined : profileItemOf(f);
    if (item !== undefined) return item;
  }
  return null;
}

/** `/gnu/store/<hash>-profile` -> `gnu/store/<hash>-profile/manifest` (a path inside the image root). */
export function manifestPathOf(profile: string): string {
  return `${profile.replace(/^\/+/, '')}/manifest`;
}

/** `gnu/store/<hash>-profile/manifest` -> `/gnu/store/<hash>-profile`. */
export function profileOfManifestPath(path: string): string {
  return `/${path.replace(/\/manifest$/, '')}`;
}
