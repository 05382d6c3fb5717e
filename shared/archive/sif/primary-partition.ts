/**
 * The partition a runtime runs: the one FS descriptor whose partition type is "primary system", as
 * Sylabs' library selects it (`WithPartitionType(PartPrimSys)`, more than one match being an error).
 * Only a squashfs one is read: Guix packs are squashfs, and ext3 / encrypted partitions are not
 * something we could look into anyway.
 */
import { RecipeError } from '../../errors.js';
import { SIF_DATA_PARTITION, SIF_FS_SQUASHFS, SIF_PART_PRIMARY_SYSTEM } from './sif-descriptors.js';
import type { SifDescriptor } from './sif-descriptors.js';

/** The primary system partition, checked to be squashfs; `invalid-image` when there is none or it is of another type. */
export function primaryPartition(descriptors: readonly SifDescriptor[]): SifDescriptor {
  const partitions = descriptors.filter((d) => d.dataType === SIF_DATA_PARTITION);
  const primary = partitions.filter((d) => d.partition?.partType === SIF_PART_PRIMARY_SYSTEM);
  if (primary.length === 0) {
    const have = partitions.map(
      (d) => `${d.id}: ${d.partition?.partTypeName ?? '?'} ${d.partition?.fsTypeName ?? '?'}`,
    );
    throw new RecipeError(
      'invalid-image',
      `the SIF file has no primary system partition${have.length > 0 ? ` (partitions ${have.join(', ')})` : ' (no partition at all)'}`,
    );
  }
  if (primary.length > 1)
    throw new RecipeError(
      'invalid-image',
      `the SIF file has ${primary.length} primary system partitions (descriptors ${primary.map((d) => d.id).join(', ')})`,
    );
  const p = primary[0]!;
  if (p.partition!.fsType !== SIF_FS_SQUASHFS)
    throw new RecipeError(
      'invalid-image',
      `the SIF primary system partition (descriptor ${p.id}) is ${p.partition!.fsTypeName}, not squashfs`,
    );
  if (p.size === 0)
    throw new RecipeError('invalid-image', `the SIF primary system partition (descriptor ${p.id}) is empty`);
  return p;
}
