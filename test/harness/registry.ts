/**
 * A real registry for tests: Debian's `docker-registry` (distribution 2.8.2) on a free loopback
 * port, with temp storage, optional htpasswd basic auth, optional notification endpoints.
 * Needs only the `docker-registry` package (no htpasswd tool: the registry provisions the user).
 *
 *   const reg = await startRegistry({ basicAuth: true });
 *   ... reg.host, reg.url, reg.credentials ...
 *   await reg.stop();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify as stringifyYaml } from 'yaml';

/** A distribution notification endpoint (docs/configuration.md "notifications"). */
export interface NotificationEndpoint {
  url: string;
  /** Sent with every delivery, e.g. `{ Authorization: ['Bearer x'] }`. */
  headers?: Record<string, string[]>;
  name?: string;
  /** Go duration, default `2s`. */
  timeout?: string;
  /** Failures before backing off, default 3. */
  threshold?: number;
  /** Go duration, default `1s`. */
  backoff?: string;
  /** Media types whose events are not sent (default: blobs, `application/octet-stream`). */
  ignoredMediaTypes?: string[];
  /** Actions not sent (default: `pull`). */
  ignoredActions?: string[];
}

export interface RegistryOptions {
  /**
   * Put the registry behind htpasswd basic auth. The registry provisions the user itself (user
   * `docker`, a random password, bcrypt), so no htpasswd tool is needed; see `credentials`.
   */
  basicAuth?: boolean;
  /** Notification endpoints (the service tests' webhooks). */
  notifications?: NotificationEndpoint[];
  /** `http.host`: the base URL the registry puts into event URLs. */
  publicUrl?: string;
  /** Extra top-level config sections (merged as they are, e.g. `{ middleware: ... }`). */
  extraConfig?: Record<string, unknown>;
  /**
   * YAML text appended to the configuration file as it is (top-level sections the rest does not
   * set), so that the registry itself parses it: the tests of the documentation's blocks.
   */
  extraYaml?: string;
  /** How long to wait for the registry to answer. Default 15 s. */
  startTimeoutMs?: number;
  /**
   * Serve HTTPS with this certificate and key (PEM files); with `clientCaFiles`, demand a client
   * certificate signed by one of them (mutual TLS). `probe` is what the readiness check presents.
   */
  tls?: {
    certFile: string;
    keyFile: string;
    clientCaFiles?: string[];
    probe?: { ca?: string; cert?: string; key?: string };
  };
  /** Token authentication (distribution's `auth.token`): JWTs signed by a key of `rootCertBundle`. */
  tokenAuth?: { realm: string; service: string; issuer: string; rootCertBundle: string };
}

export interface RunningRegistry {
  /** `127.0.0.1:PORT`, as references spell it. */
  host: string;
  port: number;
  /** `http://127.0.0.1:PORT` (`https://` with `tls`). */
  url: string;
  /** With `basicAuth`: the provisioned user. */
  credentials?: { username: string; password: string };
  /** The temp directory (config, storage, htpasswd). */
  dir: string;
  /** Everything the registry logged so far. */
  logs(): string;
  /** Stop the process and delete its files. */
  stop(): Promise<void>;
}

/** A port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function registryConfigDocument(dir: string, port: number, opts: RegistryOptions): Record<string, unknown> {
  const http: Record<string, unknown> = {
    addr: `127.0.0.1:${port}`,
    secret: 'test-secret-not-used-for-anything',
  };
  if (opts.publicUrl) http.host = opts.publicUrl;
  if (opts.tls)
    http.tls = {
      certificate: opts.tls.certFile,
      key: opts.tls.keyFile,
      ...(opts.tls.clientCaFiles ? { clientcas: opts.tls.clientCaFiles } : {}),
    };
  const cfg: Record<string, unknown> = {
    version: 0.1,
    log: { level: 'info', formatter: 'text', accesslog: { disabled: true } },
    storage: {
      filesystem: { rootdirectory: join(dir, 'data') },
      delete: { enabled: true },
      maintenance: { uploadpurging: { enabled: false } },
    },
    http,
  };
  if (opts.basicAuth) cfg.auth = { htpasswd: { realm: 'basic-realm', path: join(dir, 'htpasswd') } };
  if (opts.tokenAuth)
    cfg.auth = {
      token: {
        realm: opts.tokenAuth.realm,
        service: opts.tokenAuth.service,
        issuer: opts.tokenAuth.issuer,
        rootcertbundle: opts.tokenAuth.rootCertBundle,
      },
    };
  if (opts.notifications?.length)
    cfg.notifications = {
      events: { includereferences: true },
      endpoints: opts.notifications.map((n, i) => ({
        name: n.name ?? `endpoint-${i}`,
        url: n.url,
        headers: n.headers ?? {},
        timeout: n.timeout ?? '2s',
        threshold: n.threshold ?? 3,
        backoff: n.backoff ?? '1s',
        ignore: {
          mediatypes: n.ignoredMediaTypes ?? ['application/octet-stream'],
          actions: n.ignoredActions ?? ['pull'],
        },
      })),
    };
  return { ...cfg, ...opts.extraConfig };
}

/** GET /v2/ once: the status, or undefined when nothing answers (yet). */
function probe(url: string, tls: RegistryOptions['tls']): Promise<number | undefined> {
  return new Promise((resolve) => {
    const opts = {
      timeout: 1000,
      ...(tls ? { rejectUnauthorized: false, ...(tls.probe ?? {}) } : {}),
    };
    const req = (url.startsWith('https:') ? httpsGet : httpGet)(`${url}/v2/`, opts, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('error', () => resolve(undefined));
    req.on('timeout', () => req.destroy());
  });
}

async function waitReady(
  url: string,
  child: ChildProcess,
  until: number,
  logs: () => string,
  tls: RegistryOptions['tls'],
): Promise<void> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited with ${child.exitCode}:\n${logs()}`);
    const status = await probe(url, tls);
    if (status === 200 || status === 401) return;
    if (Date.now() > until) throw new Error(`docker-registry did not answer on ${url}:\n${logs()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Start a registry; retries on another port when the chosen one was taken meanwhile. */
export async function startRegistry(opts: RegistryOptions = {}): Promise<RunningRegistry> {
  let lastErr: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(opts);
    } catch (err) {
      lastErr = err;
      if (!/address already in use/i.test(String(err))) throw err;
    }
  }
  throw lastErr;
}

async function startOnce(opts: RegistryOptions): Promise<RunningRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'guix-recipes-registry-'));
  const port = await freePort();
  const cfgPath = join(dir, 'config.yml');
  const doc = registryConfigDocument(dir, port, opts);
  // JSON is YAML, but YAML text cannot follow JSON in one document: with extraYaml, write YAML.
  await writeFile(
    cfgPath,
    opts.extraYaml === undefined
      ? JSON.stringify(doc, null, 2)
      : `${stringifyYaml(doc)}${opts.extraYaml.endsWith('\n') ? opts.extraYaml : `${opts.extraYaml}\n`}`,
  );
  // Keep REGISTRY_* variables of the caller from overriding the config.
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('REGISTRY_')) env[k] = v;
  const child = spawn('docker-registry', ['serve', cfgPath], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await spawned;
    await waitReady(url, child, Date.now() + (opts.startTimeoutMs ?? 15_000), () => out, opts.tls);
    let credentials: RunningRegistry['credentials'];
    if (opts.basicAuth) {
      // distribution logs the user it provisions into a missing htpasswd file
      const m = /htpasswd is missing, provisioning with default user.*?password=(\S+).*?user=(\S+)/.exec(out);
      if (!m) throw new Error(`docker-registry did not provision an htpasswd user:\n${out}`);
      credentials = { username: m[2]!.replace(/^"|"$/g, ''), password: m[1]!.replace(/^"|"$/g, '') };
    }
    const reg: RunningRegistry = { host: `127.0.0.1:${port}`, port, url, dir, logs: () => out, stop };
    if (credentials) reg.credentials = credentials;
    return reg;
  } catch (err) {
    await stop();
    throw err;
  }
}
