/**
 * `sif:PATH` and `squashfs:PATH`: an Apptainer / Singularity image on the local disk, read in place
 * (random access, only the blocks needed). Not an OCI image, so not a Transport: `inspect` reads it
 * with the archive readers and prints the same outputs as for an image.
 */
import { resolve } from 'node:path';
import { RecipeError } from '../../shared/errors.js';
import type { ArchiveScan } from '../../shared/scan/artifact.js';
import { openFileReader } from '../../shared/archive/random-access.js';
import type { scanSif } from '../../shared/scan/scan-apptainer.js';
import { printable } from './terminal-text.js';

export interface ArchiveSource {
  prefix: string;
  /** Shown in `inspect --help`. */
  syntax: string;
  description: string;
  scan: typeof scanSif;
}

/** The archive sources, in the order `--help` lists them. */
export const ARCHIVE_SOURCES: readonly ArchiveSource[] = [
  {
    prefix: 'sif:',
    syntax: 'sif:PATH',
    description: 'an Apptainer/Singularity SIF file (its squashfs partition)',
    // The squashfs readers (and their decompressors) load on use: `inspect docker://` starts without them.
    scan: async (reader, opts) => (await import('../../shared/scan/scan-apptainer.js')).scanSif(reader, opts),
  },
  {
    prefix: 'squashfs:',
    syntax: 'squashfs:PATH',
    description: 'what `guix pack -f squashfs` writes',
    scan: async (reader, opts) =>
      (await import('../../shared/scan/scan-apptainer.js')).scanSquashfs(reader, opts),
  },
];

/** The archive source `source` names, if any. */
export function findArchiveSource(source: string): { archive: ArchiveSource; path: string } | undefined {
  for (const archive of ARCHIVE_SOURCES)
    if (source.startsWith(archive.prefix)) return { archive, path: source.slice(archive.prefix.length) };
  return undefined;
}

/** Open PATH (a regular file only) and read its recipe. */
export async function scanArchiveSource(
  found: { archive: ArchiveSource; path: string },
  opts: { signal: AbortSignal; cwd: string },
): Promise<ArchiveScan> {
  if (found.path === '') throw new RecipeError('usage', `${found.archive.prefix} needs a PATH`);
  const reader = await openFileReader(resolve(opts.cwd, found.path), {
    signal: opts.signal,
    shown: found.path,
  });
  try {
    return await found.archive.scan(reader, { signal: opts.signal });
  } finally {
    await reader.close();
  }
}

/** The lines `--output summary` prints about the artifact, before the recipe's (and the rebuild's). */
export function formatArchiveFacts(source: string, scan: ArchiveScan): string {
  const { artifact } = scan;
  const row = (label: string, value: string): string => `${label.padEnd(10)} ${printable(value)}\n`;
  let out = row('image', source);
  if (artifact.sif !== undefined) {
    const h = artifact.sif.header;
    out += row(
      'sif',
      `version ${h.version}, ${h.arch}, ${artifact.sif.descriptors.length} descriptor${artifact.sif.descriptors.length === 1 ? '' : 's'}, partition ${artifact.sif.partition.id} at ${artifact.sif.partition.offset} (${artifact.sif.partition.size} bytes)`,
    );
  }
  const sq = artifact.squashfs;
  out += row(
    'squashfs',
    `${sq.compression}, ${sq.blockSize}-byte blocks, ${sq.inodeCount} inodes, ${sq.bytesUsed} bytes used`,
  );
  out += row('found by', artifact.pack.foundBy);
  out += row('read', `${scan.bytesRead} of ${artifact.size} bytes`);
  return out;
}
