/**
 * The local transports as skopeo spells them, from the text after the prefix to an ImageSource:
 * `docker-archive:PATH[:REF]`, `oci-archive:PATH[:REF]`, `oci:DIR[:REF]`. A PATH that exists as
 * given is taken whole (paths may hold colons); otherwise the path ends at a colon (see splitRef).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { RecipeError } from '../../errors.js';
import type { ImageSource } from '../../content/image-source.js';
import { openDockerArchive } from './docker-archive-source.js';
import { openOciArchive } from './oci-archive-source.js';
import { openOciLayout } from './oci-layout-source.js';

export interface LocalTransportOptions {
  signal: AbortSignal;
  /** Relative paths resolve against it. Default process.cwd(). */
  cwd?: string;
}

function splitRef(rest: string, cwd: string): { path: string; ref: string | undefined } {
  if (rest === '') throw new RecipeError('usage', 'a path is required after the transport');
  if (existsSync(resolve(cwd, rest))) return { path: resolve(cwd, rest), ref: undefined };
  // The REF itself may hold colons (`name:tag`): the path ends at the first colon whose prefix
  // exists; when none does, at the first colon, as skopeo splits it.
  let first = -1;
  for (let i = rest.indexOf(':'); i > 0; i = rest.indexOf(':', i + 1)) {
    if (first < 0) first = i;
    if (existsSync(resolve(cwd, rest.slice(0, i))))
      return { path: resolve(cwd, rest.slice(0, i)), ref: rest.slice(i + 1) };
  }
  if (first <= 0) return { path: resolve(cwd, rest), ref: undefined };
  return { path: resolve(cwd, rest.slice(0, first)), ref: rest.slice(first + 1) };
}

export function openDockerArchiveTransport(rest: string, opts: LocalTransportOptions): Promise<ImageSource> {
  const { path, ref } = splitRef(rest, opts.cwd ?? process.cwd());
  return openDockerArchive(path, { signal: opts.signal, ...(ref !== undefined && { ref }) });
}

export function openOciArchiveTransport(rest: string, opts: LocalTransportOptions): Promise<ImageSource> {
  const { path, ref } = splitRef(rest, opts.cwd ?? process.cwd());
  return openOciArchive(path, ref, { signal: opts.signal });
}

export function openOciLayoutTransport(rest: string, opts: LocalTransportOptions): Promise<ImageSource> {
  const { path, ref } = splitRef(rest, opts.cwd ?? process.cwd());
  return openOciLayout(path, ref, { signal: opts.signal });
}
