/**
 * Where images come from, spelled as skopeo spells them (`docker-archive:PATH`, `oci-archive:PATH`,
 * `oci:DIR[:REF]`, `docker://HOST/REPO[:TAG|@DIGEST]`). Each transport opens an ImageSource; `inspect`
 * scans it with scanImage. `profile:PATH` is not an image and is handled by inspect itself.
 *
 * SLOTS: the helpers who write the image sources replace the `notYet` openers below with their own.
 */
import { resolve } from 'node:path';
import type { ImageSource } from '../../shared/oci/image-source.js';
import { registrySource } from '../../shared/oci/sources/registry-source.js';
import {
  openDockerArchiveTransport,
  openOciArchiveTransport,
  openOciLayoutTransport,
} from '../../shared/oci/sources/local-transports.js';
import { parseCreds } from '../../shared/oci/registry-config.js';

/** What a transport may need to open a source. Credentials never appear in errors or logs. */
export interface TransportOptions {
  signal: AbortSignal;
  /** Verify TLS certificates (skopeo's `--tls-verify`). Default true. */
  tlsVerify: boolean;
  /** `USER:PASS` (skopeo's `--creds`). */
  creds?: string;
  /** A Docker config.json / containers auth.json (skopeo's `--authfile`). */
  authfile?: string;
  /** Relative paths resolve against it. */
  cwd: string;
  /** The environment (e.g. REGISTRY_AUTH_FILE, DOCKER_CONFIG). */
  env: Record<string, string | undefined>;
}

export interface Transport {
  /** The source prefix, e.g. `docker-archive:`. */
  prefix: string;
  /** Shown in `inspect --help`, e.g. `docker-archive:PATH`. */
  syntax: string;
  /** One line for `inspect --help`. */
  description: string;
  /** Open `rest` (the source without its prefix). */
  open(rest: string, opts: TransportOptions): Promise<ImageSource>;
}

/** Every image transport `inspect` knows, in the order `--help` lists them. */
export const TRANSPORTS: readonly Transport[] = [
  {
    prefix: 'docker-archive:',
    syntax: 'docker-archive:PATH',
    description: 'what `guix pack -f docker` writes (tar or tar.gz)',
    open: (rest, opts) => openDockerArchiveTransport(rest, opts),
  },
  {
    prefix: 'oci-archive:',
    syntax: 'oci-archive:PATH',
    description: 'a tar of an OCI image layout',
    open: (rest, opts) => openOciArchiveTransport(rest, opts),
  },
  {
    prefix: 'oci:',
    syntax: 'oci:DIR[:REF]',
    description: 'an OCI image layout directory',
    open: (rest, opts) => openOciLayoutTransport(rest, opts),
  },
  {
    prefix: 'docker://',
    syntax: 'docker://HOST/REPO[:TAG|@DIGEST]',
    description: 'an image in a registry',
    open: (rest, opts) =>
      registrySource(`docker://${rest}`, {
        tlsVerify: opts.tlsVerify,
        ...(opts.creds === undefined ? {} : { credentials: parseCreds(opts.creds) }),
        ...(opts.authfile === undefined ? {} : { authFile: resolve(opts.cwd, opts.authfile) }),
        env: opts.env,
      }),
  },
];

/** The transport whose prefix starts `source`, and the rest of it. */
export function findTransport(source: string): { transport: Transport; rest: string } | undefined {
  for (const transport of TRANSPORTS) {
    if (source.startsWith(transport.prefix))
      return { transport, rest: source.slice(transport.prefix.length) };
  }
  return undefined;
}
