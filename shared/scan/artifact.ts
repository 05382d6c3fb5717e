/**
 * What `inspect sif:` / `inspect squashfs:` report beside the recipe: facts about the artifact
 * itself (the SIF header and descriptors, the squashfs superblock), how its profile was found, and
 * the command that rebuilds it. Plain JSON data; the field names are part of `--output json`.
 */
import type { Recipe } from '../guix/recipe.js';
import type { SifHeader } from '../archive/sif/sif-header.js';
import type { SifDescriptor } from '../archive/sif/sif-descriptors.js';
import type { SquashfsCompression } from '../archive/squashfs/superblock.js';
import type { PackSymlink, ProfileClue } from '../archive/squashfs/find-pack-profile.js';
import type { Rebuild } from './rebuild.js';

/** The squashfs superblock's facts. */
export interface SquashfsFacts {
  version: '4.0';
  compression: SquashfsCompression;
  blockSize: number;
  inodeCount: number;
  fragmentCount: number;
  /** Flag names (`no-xattrs`, `exportable`, ...) and the raw bits. */
  flags: string[];
  flagBits: number;
  bytesUsed: number;
  /** The image's creation time, unix seconds (Guix packs: 1). */
  modificationTime: number;
}

/** A SIF file's facts: its header, its used descriptors (groups masked), and the partition read. */
export interface SifFacts {
  header: SifHeader;
  descriptors: SifDescriptor[];
  /** The primary system partition: the squashfs image read. */
  partition: { id: number; offset: number; size: number };
}

/** How the profile was found in the squashfs tree, and what else the pack's layout reveals. */
export interface PackFacts {
  profile: string;
  foundBy: ProfileClue;
  /** What each of the pack's pointers named (null: no store item). */
  clues: { clue: ProfileClue; profile: string | null }[];
  /** `--entry-point` (relative to the profile), from `/.singularity.d/runscript`. */
  entryPoint: string | null;
  /** Symlinks into the profile from outside the store (`-S`; Guix adds `/bin=bin` itself). */
  symlinks: PackSymlink[];
  /** `/var/guix` is there: built with `--localstatedir`. */
  localstatedir: boolean;
}

/** The artifact a recipe came from. */
export interface ArtifactDescription {
  format: 'sif' | 'squashfs';
  /** Size of the file in bytes. */
  size: number;
  sif?: SifFacts;
  squashfs: SquashfsFacts;
  pack: PackFacts;
}

/** The result of reading one SIF or squashfs file. */
export interface ArchiveScan {
  artifact: ArtifactDescription;
  /** The command that rebuilds the artifact (rebuild.ts). */
  rebuild: Rebuild;
  recipe: Recipe;
  /** Bytes read from the file (all reads, headers and blocks). */
  bytesRead: number;
}
