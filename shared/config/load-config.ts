/**
 * Load the configuration: defaults, then the JSON file named by GUIX_RECIPES_CONFIG, then the
 * environment (env wins). Invalid settings are one `usage` RecipeError naming the setting.
 */
import { readFileSync } from 'node:fs';
import { Value } from 'typebox/value';
import { RecipeError } from '../errors.js';
import { ConfigSchema, SCOPES, type Config, type RegistryConfig, type Scope } from './config-schema.js';
import { checkRepositoryPath, normaliseRegistryHost } from '../oci/reference.js';

export type Env = Record<string, string | undefined>;

export interface LoadConfigOptions {
  /** Defaults to process.env. */
  env?: Env;
  /** Overrides the file named by GUIX_RECIPES_CONFIG (already parsed). */
  file?: unknown;
}

function bool(name: string, v: string): boolean {
  if (/^(1|true|yes|on)$/i.test(v)) return true;
  if (/^(0|false|no|off|)$/i.test(v)) return false;
  throw new RecipeError('usage', `${name}: not a boolean: ${JSON.stringify(v)}`);
}

function int(name: string, v: string): number {
  if (!/^\d+$/.test(v.trim()))
    throw new RecipeError('usage', `${name}: not a non-negative integer: ${JSON.stringify(v)}`);
  return Number(v.trim());
}

/** `host[:port]` or `http://host:port` (plain HTTP) or `https://host` → a registry entry. */
export function parseRegistryEntry(s: string): Pick<RegistryConfig, 'host' | 'insecure'> {
  const t = s.trim();
  const insecure = /^http:\/\//i.test(t);
  const host = normaliseRegistryHost(t);
  if (host === '' || host.includes('/') || /[\s@]/.test(host))
    throw new RecipeError('usage', `GUIX_RECIPES_REGISTRIES: not a registry host: ${JSON.stringify(t)}`);
  return { host, insecure };
}

/** `token:scope+scope,token2:scope` → tokens with scopes. */
export function parseApiTokens(s: string): Config['apiTokens'] {
  const out: Config['apiTokens'] = [];
  for (const item of s
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '')) {
    const colon = item.lastIndexOf(':');
    if (colon <= 0)
      throw new RecipeError('usage', 'GUIX_RECIPES_API_TOKENS: each entry is TOKEN:SCOPE[+SCOPE...]');
    const token = item.slice(0, colon);
    const scopes = item.slice(colon + 1).split('+');
    for (const sc of scopes)
      if (!(SCOPES as readonly string[]).includes(sc))
        throw new RecipeError(
          'usage',
          `GUIX_RECIPES_API_TOKENS: unknown scope ${JSON.stringify(sc)} (want ${SCOPES.join(', ')})`,
        );
    if (token.length < 8)
      throw new RecipeError('usage', 'GUIX_RECIPES_API_TOKENS: tokens must be at least 8 characters');
    out.push({ token, scopes: scopes as Scope[] });
  }
  return out;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
function section(o: Obj, k: string): Obj {
  const v = o[k];
  if (isObj(v)) return v;
  const n: Obj = {};
  o[k] = n;
  return n;
}

function readFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new RecipeError('usage', `GUIX_RECIPES_CONFIG: cannot read ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new RecipeError(
      'usage',
      `GUIX_RECIPES_CONFIG: ${path} is not valid JSON: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

/** Build the configuration from defaults, the optional file and the environment. */
export function loadConfig(opts: LoadConfigOptions = {}): Config {
  const env = opts.env ?? process.env;
  const fileValue =
    opts.file !== undefined ? opts.file : env.GUIX_RECIPES_CONFIG ? readFile(env.GUIX_RECIPES_CONFIG) : {};
  if (!isObj(fileValue))
    throw new RecipeError('usage', 'GUIX_RECIPES_CONFIG: the file must hold a JSON object');
  const raw = structuredClone(fileValue);

  if (env.HOST) raw.host = env.HOST;
  if (env.PORT) raw.port = int('PORT', env.PORT);
  if (env.GUIX_RECIPES_ALLOW_OPEN_ACCESS)
    raw.allowOpenAccess = bool('GUIX_RECIPES_ALLOW_OPEN_ACCESS', env.GUIX_RECIPES_ALLOW_OPEN_ACCESS);
  if (env.GUIX_RECIPES_LOG_LEVEL) raw.logLevel = env.GUIX_RECIPES_LOG_LEVEL;
  if (env.GUIX_RECIPES_LOG_FORMAT) raw.logFormat = env.GUIX_RECIPES_LOG_FORMAT;
  if (env.REDIS_URL) section(raw, 'redis').url = env.REDIS_URL;
  if (env.GUIX_RECIPES_WEBHOOK_SECRET) section(raw, 'webhooks').secret = env.GUIX_RECIPES_WEBHOOK_SECRET;
  if (env.GUIX_RECIPES_API_TOKENS) raw.apiTokens = parseApiTokens(env.GUIX_RECIPES_API_TOKENS);
  if (env.GUIX_RECIPES_WORKER_CONCURRENCY)
    section(raw, 'worker').concurrency = int(
      'GUIX_RECIPES_WORKER_CONCURRENCY',
      env.GUIX_RECIPES_WORKER_CONCURRENCY,
    );
  if (env.GUIX_RECIPES_POLICY_FILES)
    section(raw, 'policies').files = env.GUIX_RECIPES_POLICY_FILES.split(',')
      .map((x) => x.trim())
      .filter((x) => x !== '');
  if (env.GUIX_RECIPES_DEFAULT_POLICY) section(raw, 'policies').default = env.GUIX_RECIPES_DEFAULT_POLICY;
  if (env.GUIX_RECIPES_TLS_CERT || env.GUIX_RECIPES_TLS_KEY || env.GUIX_RECIPES_TLS_CLIENT_CA) {
    const tls = section(raw, 'tls');
    if (env.GUIX_RECIPES_TLS_CERT) tls.certFile = env.GUIX_RECIPES_TLS_CERT;
    if (env.GUIX_RECIPES_TLS_KEY) tls.keyFile = env.GUIX_RECIPES_TLS_KEY;
    if (env.GUIX_RECIPES_TLS_CLIENT_CA) tls.clientCaFile = env.GUIX_RECIPES_TLS_CLIENT_CA;
  }
  if (env.GUIX_RECIPES_REGISTRIES) {
    const list = Array.isArray(raw.registries) ? (raw.registries as unknown[]) : [];
    for (const item of env.GUIX_RECIPES_REGISTRIES.split(',').filter((x) => x.trim() !== '')) {
      const entry = parseRegistryEntry(item);
      const existing = list.find(
        (r) => isObj(r) && typeof r.host === 'string' && normaliseRegistryHost(r.host) === entry.host,
      );
      if (isObj(existing)) existing.insecure = entry.insecure;
      else list.push(entry);
    }
    raw.registries = list;
  }
  if (Array.isArray(raw.registries))
    for (const r of raw.registries)
      if (isObj(r) && typeof r.host === 'string') r.host = normaliseRegistryHost(r.host);

  const withDefaults = Value.Default(ConfigSchema, raw);
  if (!Value.Check(ConfigSchema, withDefaults)) {
    const first = [...Value.Errors(ConfigSchema, withDefaults)][0];
    const where = first?.instancePath ? first.instancePath.slice(1).replaceAll('/', '.') : '(top level)';
    throw new RecipeError('usage', `configuration: ${where}: ${first?.message ?? 'invalid'}`);
  }
  const config = withDefaults;
  const hosts = new Set<string>();
  for (const r of config.registries) {
    if (hosts.has(r.host))
      throw new RecipeError('usage', `configuration: registry ${r.host} is listed twice`);
    hosts.add(r.host);
    for (const repo of r.repositories ?? [])
      try {
        checkRepositoryPath(repo);
      } catch {
        throw new RecipeError(
          'usage',
          `configuration: registries[${r.host}].repositories: not a repository name: ${JSON.stringify(repo.slice(0, 100))}`,
        );
      }
  }
  if (config.tls && (!config.tls.certFile || !config.tls.keyFile))
    throw new RecipeError(
      'usage',
      'configuration: HTTPS needs both GUIX_RECIPES_TLS_CERT and GUIX_RECIPES_TLS_KEY',
    );
  const redisModes = [config.redis.url, config.redis.cluster, config.redis.sentinel].filter(
    (x) => x !== undefined,
  ).length;
  if (redisModes > 1)
    throw new RecipeError('usage', 'configuration: give one of redis.url, redis.cluster, redis.sentinel');
  return config;
}

/** The configured registry named `host` (normalised), if any. */
export function findRegistry(config: Pick<Config, 'registries'>, host: string): RegistryConfig | undefined {
  const h = normaliseRegistryHost(host);
  return config.registries.find((r) => r.host === h);
}

/** Whether `host` is a loopback address (what may listen without API tokens). */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** Refuse to listen beyond loopback with open recipe/scan routes unless told so explicitly. */
export function assertSafeListen(config: Config): void {
  if (config.apiTokens.length === 0 && !isLoopbackHost(config.host) && !config.allowOpenAccess)
    throw new RecipeError(
      'usage',
      `refusing to listen on ${config.host} without API tokens: set GUIX_RECIPES_API_TOKENS, or GUIX_RECIPES_ALLOW_OPEN_ACCESS=1 to serve recipes and scans to anyone`,
    );
}
