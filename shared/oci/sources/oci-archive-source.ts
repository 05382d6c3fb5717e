/**
 * `oci-archive:PATH[:REF]`: a tar (or tar.gz) of an OCI image layout, read in place and streamed: one
 * pass indexes the members (tar-archive.ts), then the layout code (oci-layout-source.ts) reads
 * `index.json` and `blobs/...` from it.
 */
import { RecipeError } from '../../errors.js';
import type { VerifiedSource } from '../../content/verified-source.js';
import {
  OciLayoutSource,
  openedLayout,
  type LayoutFiles,
  type OciLayoutOptions,
} from './oci-layout-source.js';
import { TarArchive } from '../../archive/tar-archive.js';

export interface OciArchiveOptions extends OciLayoutOptions {
  /** Most archive members. Default 100,000. */
  maxMembers?: number;
}

function archiveFiles(archive: TarArchive): LayoutFiles {
  return {
    async read(rel, max, signal) {
      const m = archive.member(rel);
      if (m === undefined) return undefined;
      if (m.size > max)
        throw new RecipeError('size-limit', `${archive.path}: ${rel} is larger than ${max} bytes`);
      return archive.readMember(m, max, signal);
    },
    async open(rel, opts) {
      const m = archive.member(rel);
      if (m === undefined) return undefined;
      return { stream: archive.openMember(m, opts), size: m.size };
    },
  };
}

/** Index the archive at `path` and open the image REF (or its only image). */
export async function openOciArchive(
  path: string,
  ref: string | undefined,
  opts: OciArchiveOptions,
): Promise<VerifiedSource<OciLayoutSource>> {
  const archive = await TarArchive.open(path, {
    signal: opts.signal,
    ...(opts.maxMembers !== undefined && { maxMembers: opts.maxMembers }),
  });
  const raw = new OciLayoutSource(
    `oci-archive:${path}${ref !== undefined ? `:${ref}` : ''}`,
    archiveFiles(archive),
    ref,
    opts,
  );
  return openedLayout(raw, opts);
}
