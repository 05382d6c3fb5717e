/**
 * `profile:PATH`: a Guix profile on the local file system, PATH being the profile directory (or a link
 * to it, like ~/.guix-profile) or its `manifest` file. Read with a size cap and the caller's signal.
 */
import { constants } from 'node:fs';
import { open, realpath, stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { RecipeError } from '../../shared/errors.js';
import { DEFAULT_READER_OPTIONS } from '../../shared/guix/sexp/reader.js';
import { sha256Digest, type Digest } from '../../shared/content/digest.js';

/** Default cap on a manifest file's size (bytes): what the reader accepts anyway. */
export const DEFAULT_MAX_MANIFEST_BYTES = DEFAULT_READER_OPTIONS.maxBytes;

export interface ReadProfileOptions {
  signal: AbortSignal;
  /** Relative PATHs resolve against it. */
  cwd: string;
  /** Default DEFAULT_MAX_MANIFEST_BYTES. */
  maxBytes?: number;
}

export interface LocalProfile {
  /** The manifest's text (UTF-8). */
  text: string;
  /** The SHA-256 of the manifest file's bytes: what attestations of a profile name it by. */
  digest: Digest;
  /** The file read. */
  manifestPath: string;
  /** The profile directory with links resolved (e.g. /gnu/store/<hash>-profile); null when PATH named another file. */
  profile: string | null;
}

/** Read a local profile's manifest. No manifest there: RecipeError `no-guix-profile`. */
export async function readLocalProfile(path: string, opts: ReadProfileOptions): Promise<LocalProfile> {
  if (path === '')
    throw new RecipeError('usage', 'profile: needs a PATH (a profile directory or its manifest file)');
  const full = resolve(opts.cwd, path);
  const st = await stat(full).catch((err: NodeJS.ErrnoException) => {
    throw new RecipeError('no-guix-profile', `no Guix profile at ${path}: ${describeErrno(err)}`, {
      cause: err,
    });
  });
  let manifestPath = full;
  let profile: string | null = null;
  if (st.isDirectory()) {
    manifestPath = resolve(full, 'manifest');
    profile = await realpath(full);
  } else if (basename(full) === 'manifest') {
    profile = await realpath(dirname(full));
  }
  const { text, digest } = await readCapped(manifestPath, path, opts);
  return { text, digest, manifestPath, profile };
}

async function readCapped(
  file: string,
  shown: string,
  opts: ReadProfileOptions,
): Promise<{ text: string; digest: Digest }> {
  const max = opts.maxBytes ?? DEFAULT_MAX_MANIFEST_BYTES;
  opts.signal.throwIfAborted();
  const notThere = (err: NodeJS.ErrnoException): never => {
    throw new RecipeError('no-guix-profile', `no Guix profile manifest at ${shown}: ${describeErrno(err)}`, {
      cause: err,
    });
  };
  // Only regular files: opening a FIFO waits for a writer (in the thread pool, deaf to the signal)
  // and a device like /dev/zero never ends. Checked before opening, and again on the open file;
  // O_NONBLOCK keeps a FIFO swapped in between from blocking the open.
  if (!(await stat(file).catch(notThere)).isFile()) throw notRegular(shown);
  const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK).catch(notThere);
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw notRegular(shown);
    if (st.size > max) throw tooBig(shown, max);
    const chunks: Buffer[] = [];
    let total = 0;
    const buf = Buffer.allocUnsafe(1024 * 1024);
    for (;;) {
      opts.signal.throwIfAborted();
      const { bytesRead } = await handle.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > max) throw tooBig(shown, max);
      chunks.push(Buffer.from(buf.subarray(0, bytesRead)));
    }
    const bytes = Buffer.concat(chunks, total);
    try {
      return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), digest: sha256Digest(bytes) };
    } catch (err) {
      throw new RecipeError('parse-error', `the profile manifest at ${shown} is not valid UTF-8`, {
        cause: err,
      });
    }
  } finally {
    await handle.close();
  }
}

function notRegular(shown: string): RecipeError {
  return new RecipeError('no-guix-profile', `no Guix profile manifest at ${shown}: not a regular file`);
}

function tooBig(shown: string, max: number): RecipeError {
  return new RecipeError('size-limit', `the profile manifest at ${shown} is larger than ${max} bytes`, {
    details: { limit: max },
  });
}

function describeErrno(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'ENOTDIR':
      return 'not a directory';
    case 'EACCES':
      return 'permission denied';
    default:
      return err.code ?? err.message;
  }
}
