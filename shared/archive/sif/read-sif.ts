/**
 * A SIF file's layout, read in two bounded reads (header, then descriptor table), and a reader over
 * its primary system partition: the squashfs image a runtime would mount.
 */
import { sliceReader } from '../random-access.js';
import type { RandomAccessReader, ReadOptions } from '../random-access.js';
import { readSifHeader } from './sif-header.js';
import type { SifHeader } from './sif-header.js';
import { readSifDescriptors } from './sif-descriptors.js';
import type { SifDescriptor } from './sif-descriptors.js';
import { primaryPartition } from './primary-partition.js';

export interface SifLayout {
  header: SifHeader;
  /** The used descriptors, in slot order. */
  descriptors: SifDescriptor[];
  /** The primary system partition (squashfs). */
  primary: SifDescriptor;
  /** Its bytes, addressed from 0. */
  partition: RandomAccessReader;
}

/** Read a SIF file's header and descriptors and find its primary partition. Throws RecipeError. */
export async function readSif(reader: RandomAccessReader, opts: ReadOptions): Promise<SifLayout> {
  const header = await readSifHeader(reader, opts);
  const descriptors = await readSifDescriptors(reader, header, opts);
  const primary = primaryPartition(descriptors);
  return { header, descriptors, primary, partition: sliceReader(reader, primary.offset, primary.size) };
}
