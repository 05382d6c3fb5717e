/**
 * An in-process fake registry (node:http on loopback) for what docker-registry cannot show:
 * a bearer-token flow with our own token endpoint, redirects anywhere, 429/5xx, corrupt or cut
 * bodies. It speaks enough of the distribution API to serve manifests and blobs (with Range), and
 * records every request so tests can assert on headers (e.g. that no Authorization was forwarded).
 *
 * Misbehaviour is added per test with `intercept()`; the default is a well-behaved registry.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** Path and query as received. */
  url: string;
  headers: IncomingMessage['headers'];
}

/** Answers a request itself (returns true) or lets the next handler/the default do it (false). */
export type Interceptor = (req: IncomingMessage, res: ServerResponse, url: URL) => boolean | Promise<boolean>;

/** A plain loopback HTTP server that records what it receives. */
export interface TestServer {
  /** `127.0.0.1:PORT` */
  host: string;
  port: number;
  /** `http://127.0.0.1:PORT` */
  url: string;
  requests: RecordedRequest[];
  /** Add a handler, tried in order before the default one. */
  intercept(fn: Interceptor): void;
  clearIntercepts(): void;
  close(): Promise<void>;
}

/** Start a recording server; `fallback` answers what no interceptor took (default 404). */
export async function startTestServer(
  fallback?: (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>,
): Promise<TestServer> {
  const requests: RecordedRequest[] = [];
  let interceptors: Interceptor[] = [];
  const server: Server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    const url = new URL(req.url ?? '/', 'http://fake');
    void (async () => {
      try {
        for (const fn of interceptors) if (await fn(req, res, url)) return;
        if (fallback) await fallback(req, res, url);
        else res.writeHead(404).end();
      } catch (err) {
        if (!res.headersSent) res.writeHead(500).end(String(err));
        else res.destroy();
      }
    })();
  });
  server.keepAliveTimeout = 500;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    port,
    url: `http://127.0.0.1:${port}`,
    requests,
    intercept: (fn) => void interceptors.push(fn),
    clearIntercepts: () => void (interceptors = []),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type FakeAuth =
  | {
      kind: 'bearer';
      /** Token endpoint URL; default this fake's own `/token`. */
      realm?: string;
      service?: string;
      /** Basic credentials the token endpoint requires; default: anonymous tokens. */
      credentials?: { username: string; password: string };
      /** `expires_in` of issued tokens, seconds; undefined leaves the field out. */
      expiresIn?: number;
      /** Answer with `access_token` instead of `token`. */
      accessTokenField?: boolean;
    }
  | { kind: 'basic'; credentials: { username: string; password: string } };

export interface FakeDescriptor {
  mediaType: string;
  digest: `sha256:${string}`;
  size: number;
}

export interface FakeRegistry extends TestServer {
  /** Token endpoint requests (a subset of `requests`). */
  tokenRequests: RecordedRequest[];
  /** Store a blob (content-addressed, every repository sees it). */
  putBlob(bytes: Uint8Array, mediaType?: string): FakeDescriptor;
  /** Store a manifest in a repository, optionally tagged. */
  putManifest(repository: string, bytes: Uint8Array, mediaType: string, tag?: string): FakeDescriptor;
  /** Forget every issued token (the next authorised request gets a 401). */
  revokeTokens(): void;
}

function sha256(b: Uint8Array): `sha256:${string}` {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

function errorBody(code: string, message: string): string {
  return JSON.stringify({ errors: [{ code, message, detail: null }] });
}

/** Start a fake registry on 127.0.0.1 with the given auth (default: none). */
export async function startFakeRegistry(opts: { auth?: FakeAuth } = {}): Promise<FakeRegistry> {
  const blobs = new Map<string, Buffer>();
  const manifests = new Map<string, { bytes: Buffer; mediaType: string }>(); // `${repo}@${digest}`
  const tags = new Map<string, string>(); // `${repo}:${tag}` -> digest
  const tokens = new Map<string, string>(); // token -> scope
  const tokenRequests: RecordedRequest[] = [];
  const auth = opts.auth;
  const selfUrl = { value: '' };

  const realm = () => (auth?.kind === 'bearer' ? (auth.realm ?? `${selfUrl.value}/token`) : '');

  const authorised = (req: IncomingMessage, repo: string | undefined): boolean => {
    if (!auth) return true;
    const h = req.headers.authorization ?? '';
    if (auth.kind === 'basic')
      return (
        h ===
        `Basic ${Buffer.from(`${auth.credentials.username}:${auth.credentials.password}`).toString('base64')}`
      );
    const scope = tokens.get(h.replace(/^Bearer /, ''));
    if (scope === undefined || !h.startsWith('Bearer ')) return false;
    return repo === undefined || scope.split(' ').includes(`repository:${repo}:pull`);
  };

  const challenge = (res: ServerResponse, repo: string | undefined) => {
    if (auth?.kind === 'basic') res.setHeader('www-authenticate', 'Basic realm="fake"');
    else {
      const scope = repo ? `,scope="repository:${repo}:pull"` : '';
      res.setHeader(
        'www-authenticate',
        `Bearer realm="${realm()}",service="${auth?.kind === 'bearer' ? (auth.service ?? 'fake-registry') : ''}"${scope}`,
      );
    }
    res
      .writeHead(401, { 'content-type': 'application/json' })
      .end(errorBody('UNAUTHORIZED', 'authentication required'));
  };

  const tokenEndpoint = (req: IncomingMessage, res: ServerResponse, url: URL) => {
    tokenRequests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    if (auth?.kind !== 'bearer') return void res.writeHead(404).end();
    if (auth.credentials) {
      const want = `Basic ${Buffer.from(`${auth.credentials.username}:${auth.credentials.password}`).toString('base64')}`;
      if (req.headers.authorization !== want)
        return void res
          .writeHead(401, { 'content-type': 'application/json' })
          .end('{"details":"bad credentials"}');
    }
    const token = randomBytes(16).toString('hex');
    tokens.set(token, url.searchParams.getAll('scope').join(' '));
    const body: Record<string, unknown> = auth.accessTokenField ? { access_token: token } : { token };
    if (auth.expiresIn !== undefined) body.expires_in = auth.expiresIn;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };

  const serve = (req: IncomingMessage, res: ServerResponse, url: URL) => {
    if (url.pathname === '/token') return tokenEndpoint(req, res, url);
    if (url.pathname === '/v2/' || url.pathname === '/v2') {
      if (!authorised(req, undefined)) return challenge(res, undefined);
      return void res
        .writeHead(200, {
          'content-type': 'application/json',
          'docker-distribution-api-version': 'registry/2.0',
        })
        .end('{}');
    }
    const m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(url.pathname);
    if (!m) return void res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found');
    const [, repo, kind, id] = m as unknown as [string, string, string, string];
    if (!authorised(req, repo)) return challenge(res, repo);
    const head = req.method === 'HEAD';
    if (kind === 'manifests') {
      const digest = id.includes(':') ? id : tags.get(`${repo}:${id}`);
      const found = digest ? manifests.get(`${repo}@${digest}`) : undefined;
      if (!found)
        return void res
          .writeHead(404, { 'content-type': 'application/json' })
          .end(errorBody('MANIFEST_UNKNOWN', 'manifest unknown'));
      res.writeHead(200, {
        'content-type': found.mediaType,
        'content-length': found.bytes.length,
        'docker-content-digest': digest,
      });
      return void res.end(head ? undefined : found.bytes);
    }
    const blob = blobs.get(id);
    if (!blob)
      return void res
        .writeHead(404, { 'content-type': 'application/json' })
        .end(errorBody('BLOB_UNKNOWN', 'blob unknown to registry'));
    const range = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
    if (range) {
      const start = Number(range[1]);
      const end = Math.min(Number(range[2]), blob.length - 1);
      res.writeHead(206, {
        'content-type': 'application/octet-stream',
        'content-length': end - start + 1,
        'content-range': `bytes ${start}-${end}/${blob.length}`,
      });
      return void res.end(head ? undefined : blob.subarray(start, end + 1));
    }
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': blob.length,
      'docker-content-digest': id,
    });
    res.end(head ? undefined : blob);
  };

  const self = await startTestServer(serve);
  selfUrl.value = self.url;
  return {
    ...self,
    tokenRequests,
    putBlob(bytes, mediaType = 'application/octet-stream') {
      const digest = sha256(bytes);
      blobs.set(digest, Buffer.from(bytes));
      return { mediaType, digest, size: bytes.length };
    },
    putManifest(repository, bytes, mediaType, tag) {
      const digest = sha256(bytes);
      manifests.set(`${repository}@${digest}`, { bytes: Buffer.from(bytes), mediaType });
      if (tag) tags.set(`${repository}:${tag}`, digest);
      return { mediaType, digest, size: bytes.length };
    },
    revokeTokens: () => tokens.clear(),
  };
}

/** A small image (config + one layer of `layerBytes`) pushed into a fake; returns its parts. */
export function putTestImage(
  reg: FakeRegistry,
  repository: string,
  tag: string,
  layerBytes: Uint8Array = randomBytes(4096),
): {
  manifest: FakeDescriptor;
  manifestBytes: Buffer;
  config: FakeDescriptor;
  layer: FakeDescriptor;
  layerBytes: Uint8Array;
} {
  const configBytes = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Env: ['PATH=/bin'] },
      rootfs: { type: 'layers', diff_ids: [] },
    }),
  );
  const config = reg.putBlob(configBytes, 'application/vnd.oci.image.config.v1+json');
  const layer = reg.putBlob(layerBytes, 'application/vnd.oci.image.layer.v1.tar+gzip');
  const manifestBytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config,
      layers: [layer],
    }),
  );
  const manifest = reg.putManifest(
    repository,
    manifestBytes,
    'application/vnd.oci.image.manifest.v1+json',
    tag,
  );
  return { manifest, manifestBytes, config, layer, layerBytes };
}
