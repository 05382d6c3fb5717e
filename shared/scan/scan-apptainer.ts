/**
 * The recipe of an Apptainer / Singularity image on disk: a SIF file (its primary squashfs
 * partition) or a bare squashfs made by `guix pack -f squashfs --save-provenance`. Reads, in order:
 * the SIF header and descriptor table (SIF only), the squashfs superblock, the inodes and directory
 * listings on the way to the profile, and the data blocks (and fragment) of its `manifest`, nothing
 * more. The recipe's `kind` stays `profile`: it is the profile's recipe; the artifact is described
 * beside it (artifact.ts).
 */
import { RecipeError } from '../errors.js';
import { buildRecipe } from '../guix/build-recipe.js';
import type { Recipe } from '../guix/recipe.js';
import { DEFAULT_READER_OPTIONS } from '../guix/sexp/reader.js';
import type { ArchiveScan, ArtifactDescription, SifFacts, SquashfsFacts } from './artifact.js';
import { CountingReader } from '../archive/random-access.js';
import type { RandomAccessReader } from '../archive/random-access.js';
import { squashfsPackRebuild } from './squashfs-pack-options.js';
import { readSif } from '../archive/sif/read-sif.js';
import { findPackProfile } from '../archive/squashfs/find-pack-profile.js';
import type { WalkLimits } from '../archive/squashfs/path-walk.js';
import { SquashfsImage } from '../archive/squashfs/squashfs-image.js';
import type { SquashfsLimits } from '../archive/squashfs/squashfs-image.js';

/** Options of a scan; every bound has a default. */
export interface ApptainerScanOptions {
  signal: AbortSignal;
  /** Most bytes of the profile manifest read. Default: the s-expression reader's cap (16 MiB). */
  maxManifestBytes?: number;
  /** Metadata budget of the squashfs reader (default: DEFAULT_SQUASHFS_LIMITS). */
  squashfs?: Partial<SquashfsLimits>;
  /** Path-walk bounds (default: DEFAULT_WALK_LIMITS, 40 symlinks as Linux). */
  walk?: Partial<WalkLimits>;
  /**
   * Told, once the squashfs superblock is read and before any table is, where the image's tables
   * (inode, directory, fragment, export, id, xattr: everything after the data) lie in the reader
   * scanned, `[start, end)`. A source that can only stream forward keeps that region as it passes.
   */
  onTables?: (region: { start: number; end: number }) => void;
}

/** Read a SIF file's header, descriptors and primary squashfs partition. Throws RecipeError. */
export async function scanSif(reader: RandomAccessReader, opts: ApptainerScanOptions): Promise<ArchiveScan> {
  const counted = new CountingReader(reader);
  const sif = await readSif(counted, { signal: opts.signal });
  const facts: SifFacts = {
    header: sif.header,
    descriptors: sif.descriptors,
    partition: { id: sif.primary.id, offset: sif.primary.offset, size: sif.primary.size },
  };
  return scanPartition(sif.partition, sif.primary.offset, counted, opts, 'sif', facts);
}

/** Read a bare squashfs image. Throws RecipeError. */
export async function scanSquashfs(
  reader: RandomAccessReader,
  opts: ApptainerScanOptions,
): Promise<ArchiveScan> {
  const counted = new CountingReader(reader);
  return scanPartition(counted, 0, counted, opts, 'squashfs');
}

/** `squashfs` is the image, at `base` in the reader scanned. */
async function scanPartition(
  squashfs: RandomAccessReader,
  base: number,
  counted: CountingReader,
  opts: ApptainerScanOptions,
  format: 'sif' | 'squashfs',
  sif?: SifFacts,
): Promise<ArchiveScan> {
  const img = await SquashfsImage.open(squashfs, {
    signal: opts.signal,
    ...(opts.squashfs && { limits: opts.squashfs }),
  });
  const sb = img.superblock;
  if (sb.bytesUsed > squashfs.size)
    throw new RecipeError(
      'invalid-image',
      `the squashfs image uses ${sb.bytesUsed} bytes of a ${squashfs.size}-byte partition`,
    );
  if (opts.onTables) {
    const starts = [
      sb.inodeTableStart,
      sb.directoryTableStart,
      sb.fragmentTableStart,
      sb.exportTableStart,
      sb.idTableStart,
      sb.xattrTableStart,
    ].filter((t): t is number => t !== null);
    opts.onTables({ start: base + Math.min(...starts), end: base + sb.bytesUsed });
  }
  const found = await findPackProfile(img, {
    signal: opts.signal,
    maxManifestBytes: opts.maxManifestBytes ?? DEFAULT_READER_OPTIONS.maxBytes,
    ...(opts.walk && { walk: opts.walk }),
  });
  let recipe: Recipe;
  try {
    recipe = buildRecipe(found.manifestText, { profile: found.profile });
  } catch (err) {
    if (err instanceof RecipeError)
      throw new RecipeError(err.code, `${found.profile}/manifest: ${err.message}`, {
        cause: err,
        ...(err.details ? { details: err.details } : {}),
      });
    throw err;
  }
  const squashfsFacts: SquashfsFacts = {
    version: '4.0',
    compression: sb.compression,
    blockSize: sb.blockSize,
    inodeCount: sb.inodeCount,
    fragmentCount: sb.fragmentCount,
    flags: sb.flagNames,
    flagBits: sb.flags,
    bytesUsed: sb.bytesUsed,
    modificationTime: sb.modificationTime,
  };
  const pack = {
    profile: found.profile,
    foundBy: found.foundBy,
    clues: found.clues,
    entryPoint: found.entryPoint,
    symlinks: found.symlinks,
    localstatedir: found.localstatedir,
  };
  const artifact: ArtifactDescription = {
    format,
    size: counted.size,
    ...(sif && { sif }),
    squashfs: squashfsFacts,
    pack,
  };
  return {
    artifact,
    rebuild: squashfsPackRebuild(recipe, squashfsFacts, pack, sif?.header.arch),
    recipe,
    bytesRead: counted.bytesRead,
  };
}
