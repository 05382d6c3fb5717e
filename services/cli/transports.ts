/**
 * Where images come from, spelled as skopeo spells them (`docker-archive:PATH`, `oci-archive:PATH`,
 * `oci:DIR[:REF]`, `docker://HOST/REPO[:TAG|@DIGEST]`), and `oras://HOST/REPO[:TAG|@DIGEST]` as
 * Apptainer spells a registry holding its images as OCI artifacts. Each transport opens an ImageSource; `inspect`
 * scans it with scanImage. `profile:PATH` is not an image and is handled by inspect itself.
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { RecipeError } from '../../shared/errors.js';
import type { ImageSource } from '../../shared/content/image-source.js';
import { registrySource, type RegistryTransport } from '../../shared/oci/sources/registry-source.js';
import {
  openDockerArchiveTransport,
  openOciArchiveTransport,
  openOciLayoutTransport,
} from '../../shared/oci/sources/local-transports.js';
import { parseCreds } from '../../shared/oci/registry/registry-endpoint.js';

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

/**
 * Refuse a local PATH of the wrong kind before a source opens it: opening a FIFO waits for a writer
 * (deaf to Ctrl-C), a device such as /dev/zero never ends, and a directory read as an archive only
 * fails with EISDIR. PATH is `rest` when it exists as given, else the part before its last `:` (what
 * follows is a REF, as the local transports split it). A PATH that does not exist is left to the
 * transport, which says so.
 */
async function checkLocalPath(rest: string, cwd: string, want: 'file' | 'directory'): Promise<void> {
  const colon = rest.lastIndexOf(':');
  for (const candidate of colon > 0 ? [rest, rest.slice(0, colon)] : [rest]) {
    if (candidate === '') return;
    const st = await stat(resolve(cwd, candidate)).catch(() => undefined);
    if (st === undefined) continue;
    if (want === 'file' && !st.isFile())
      throw new RecipeError(
        'invalid-image',
        `${candidate}: ${st.isDirectory() ? 'a directory' : 'not a regular file'}, not an image archive`,
      );
    if (want === 'directory' && !st.isDirectory())
      throw new RecipeError('invalid-image', `${candidate}: not a directory, so not an OCI layout`);
    return;
  }
}

/** A transport over a local PATH of the kind `want`, checked before `opener` sees it. */
function local(
  syntax: string,
  description: string,
  want: 'file' | 'directory',
  opener: (rest: string, opts: TransportOptions) => Promise<ImageSource>,
): Transport {
  return {
    prefix: syntax.slice(0, syntax.indexOf(':') + 1),
    syntax,
    description,
    open: async (rest, opts) => {
      await checkLocalPath(rest, opts.cwd, want);
      return opener(rest, opts);
    },
  };
}

/** Every image transport `inspect` knows, in the order `--help` lists them. */
export const TRANSPORTS: readonly Transport[] = [
  local(
    'docker-archive:PATH',
    'what `guix pack -f docker` writes (tar or tar.gz)',
    'file',
    openDockerArchiveTransport,
  ),
  local('oci-archive:PATH', 'a tar of an OCI image layout', 'file', openOciArchiveTransport),
  local('oci:DIR[:REF]', 'an OCI image layout directory', 'directory', openOciLayoutTransport),
  registry('docker://', 'an image in a registry'),
  registry('oras://', 'an Apptainer image (SIF) or squashfs pack pushed to a registry as an OCI artifact'),
];

/** A registry transport: the same client, flags and credentials for `docker://` and `oras://`. */
function registry(prefix: RegistryTransport, description: string): Transport {
  return {
    prefix,
    syntax: `${prefix}HOST/REPO[:TAG|@DIGEST]`,
    description,
    open: (rest, opts) =>
      registrySource(`${prefix}${rest}`, {
        tlsVerify: opts.tlsVerify,
        ...(opts.creds === undefined ? {} : { credentials: parseCreds(opts.creds) }),
        ...(opts.authfile === undefined ? {} : { authFile: resolve(opts.cwd, opts.authfile) }),
        env: opts.env,
      }),
  };
}

/** The transport whose prefix starts `source`, and the rest of it. */
export function findTransport(source: string): { transport: Transport; rest: string } | undefined {
  for (const transport of TRANSPORTS) {
    if (source.startsWith(transport.prefix))
      return { transport, rest: source.slice(transport.prefix.length) };
  }
  return undefined;
}
