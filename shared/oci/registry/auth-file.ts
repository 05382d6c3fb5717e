/**
 * Credentials from a Docker `config.json` or a containers `auth.json` (containers-auth.json(5)):
 * `auths.<key>.auth` (base64 `user:pass`) or `auths.<key>.username` / `.password`.
 *
 * Not supported (entries are ignored, never an error): credential helpers (`credsStore`,
 * `credHelpers`), identity tokens (`identitytoken`), registry tokens.
 */
import { open } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { RecipeError, isRecipeError } from '../../errors.js';
import type { Credentials } from './registry-endpoint.js';
import { normaliseRegistryHost } from '../reference.js';

/** Auth files larger than this are refused. */
const MAX_AUTH_FILE_BYTES = 1024 * 1024;

/** Credentials by normalised key: `host[:port]` or `host[:port]/namespace...`. */
export type AuthEntries = Map<string, Credentials>;

/** Parse the JSON text of an auth file; `what` names the file in errors (never its content). */
export function parseAuthFile(text: string, what: string): AuthEntries {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new RecipeError('usage', `auth file ${what} is not valid JSON`);
  }
  const out: AuthEntries = new Map();
  const auths = (json as { auths?: unknown } | null)?.auths;
  if (auths === undefined || auths === null) return out;
  if (typeof auths !== 'object' || Array.isArray(auths))
    throw new RecipeError('usage', `auth file ${what}: "auths" is not an object`);
  for (const [key, entry] of Object.entries(auths as Record<string, unknown>)) {
    if (entry === null || typeof entry !== 'object') continue;
    const e = entry as { auth?: unknown; username?: unknown; password?: unknown };
    let creds: Credentials | undefined;
    if (typeof e.auth === 'string' && e.auth !== '') {
      const decoded = Buffer.from(e.auth, 'base64').toString('utf8');
      const i = decoded.indexOf(':');
      if (i <= 0)
        throw new RecipeError(
          'usage',
          `auth file ${what}: the "auth" of ${JSON.stringify(key)} is not base64 of user:password`,
        );
      creds = { username: decoded.slice(0, i), password: decoded.slice(i + 1) };
    } else if (typeof e.username === 'string' && typeof e.password === 'string' && e.username !== '') {
      creds = { username: e.username, password: e.password };
    }
    if (creds) out.set(normaliseRegistryHost(key), creds);
  }
  return out;
}

/** Read and parse one auth file; a missing file is an empty set unless `required`. */
export async function readAuthFile(path: string, opts: { required?: boolean } = {}): Promise<AuthEntries> {
  let text: string;
  try {
    text = (await readCapped(path, MAX_AUTH_FILE_BYTES)).toString('utf8');
  } catch (err) {
    if (isRecipeError(err)) throw err;
    if ((err as { code?: unknown }).code === 'ENOENT' && !opts.required) return new Map();
    throw new RecipeError(
      opts.required ? 'usage' : 'internal',
      `cannot read auth file ${path}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  return parseAuthFile(text, path);
}

/** At most `max` bytes of a file: one byte more is `size-limit` (a device or a pipe may never end). */
async function readCapped(path: string, max: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(max + 1);
    let n = 0;
    while (n < buf.length) {
      const { bytesRead } = await fh.read(buf, n, buf.length - n, null);
      if (bytesRead === 0) break;
      n += bytesRead;
    }
    if (n > max) throw new RecipeError('size-limit', `auth file ${path} is larger than ${max} bytes`);
    return buf.subarray(0, n);
  } finally {
    await fh.close();
  }
}

/**
 * The credentials for `registry/repository`: the most specific key wins (`host/ns/repo`, then
 * `host/ns`, then `host`), as containers-auth.json(5) says.
 */
export function lookupCredentials(
  entries: AuthEntries,
  registry: string,
  repository?: string,
): Credentials | undefined {
  const host = normaliseRegistryHost(registry);
  if (repository) {
    const parts = repository.split('/');
    for (let n = parts.length; n > 0; n--) {
      const hit = entries.get(`${host}/${parts.slice(0, n).join('/')}`);
      if (hit) return hit;
    }
  }
  return entries.get(host);
}

/**
 * The auth files looked at when `--authfile` is not given, in order: `$REGISTRY_AUTH_FILE` alone
 * when set; else `$XDG_RUNTIME_DIR/containers/auth.json`, `$XDG_CONFIG_HOME/containers/auth.json`
 * (default `~/.config`), `~/.docker/config.json` (`~` is `$HOME`).
 */
export function defaultAuthFilePaths(
  env: NodeJS.ProcessEnv = process.env,
  home = env.HOME || homedir(),
): string[] {
  if (env.REGISTRY_AUTH_FILE) return [env.REGISTRY_AUTH_FILE];
  const paths: string[] = [];
  if (env.XDG_RUNTIME_DIR) paths.push(join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json'));
  paths.push(join(env.XDG_CONFIG_HOME || join(home, '.config'), 'containers', 'auth.json'));
  paths.push(join(home, '.docker', 'config.json'));
  return paths;
}

/**
 * Credentials for a registry from an explicit `--authfile` (must exist) or the default files (the
 * first that has an entry wins).
 */
export async function credentialsFromAuthFiles(
  registry: string,
  repository: string | undefined,
  opts: { authFile?: string; env?: NodeJS.ProcessEnv; home?: string } = {},
): Promise<Credentials | undefined> {
  if (opts.authFile)
    return lookupCredentials(await readAuthFile(opts.authFile, { required: true }), registry, repository);
  for (const p of defaultAuthFilePaths(opts.env, opts.home)) {
    const hit = lookupCredentials(await readAuthFile(p), registry, repository);
    if (hit) return hit;
  }
  return undefined;
}
