/**
 * The SIF descriptor table: `descriptors total` slots of 585 bytes at `descriptors offset`, packed,
 * little-endian (Sylabs' SIF library, format 01):
 *
 *   0 data type int32   5 id uint32     13 linked id uint32   25 size int64             41 created_at
 *   4 used bool         9 group uint32  17 offset int64       33 size with padding int64 49 modified_at
 *  57 uid, 65 gid (deprecated)   73 name [128], NUL padded   201 extra [384] (a partition's:
 *  fstype int32, parttype int32, arch [3])
 *
 * Group and link fields carry the 0xf0000000 group mark: a group id is stored as `group | 0xf0000000`
 * (0xf0000000 alone: no group), a link to a group likewise, a link to an object as its plain id.
 *
 * Every used descriptor's object must lie inside the file, outside the header and the table, and
 * apart from every other object: anything else is refused (`invalid-image`), since a reader that
 * trusted overlapping objects could be shown different bytes for one partition.
 */
import { RecipeError } from '../../errors.js';
import { readRange } from '../random-access.js';
import type { RandomAccessReader, ReadOptions } from '../random-access.js';
import { int64, sifTime, SIF_HEADER_SIZE, trimNul } from './sif-header.js';
import type { SifHeader } from './sif-header.js';

export const SIF_DESCRIPTOR_SIZE = 585;
/** The mark of a group id (and of a link to a group); masked off to get the group number. */
export const SIF_GROUP_MASK = 0xf0000000;
/** Most descriptor slots read: 1024 (Apptainer writes 48). Keeps the table one bounded read. */
export const MAX_SIF_DESCRIPTORS = 1024;

/** Data types (Sylabs' `DataType`). */
export const SIF_DATA_TYPES: Record<number, string> = {
  0x4001: 'Def.FILE',
  0x4002: 'Env.Vars',
  0x4003: 'JSON.Labels',
  0x4004: 'FS',
  0x4005: 'Signature',
  0x4006: 'JSON.Generic',
  0x4007: 'Generic/Raw',
  0x4008: 'Cryptographic Message',
  0x4009: 'SBOM',
  0x400a: 'OCI.RootIndex',
  0x400b: 'OCI.Blob',
};
export const SIF_DATA_PARTITION = 0x4004;

const FS_TYPES: Record<number, string> = {
  1: 'Squashfs',
  2: 'Ext3',
  3: 'Archive',
  4: 'Raw',
  5: 'Encrypted squashfs',
};
export const SIF_FS_SQUASHFS = 1;

const PART_TYPES: Record<number, string> = { 1: 'System', 2: 'Primary system', 3: 'Data', 4: 'Overlay' };
export const SIF_PART_PRIMARY_SYSTEM = 2;

/** A partition descriptor's extra fields. */
export interface SifPartitionInfo {
  fsType: number;
  fsTypeName: string;
  partType: number;
  partTypeName: string;
  /** Go architecture code as stored, e.g. `02`. */
  archCode: string;
}

/** One used descriptor. */
export interface SifDescriptor {
  /** Slot index in the table. */
  index: number;
  id: number;
  dataType: number;
  dataTypeName: string;
  /** The group number with the 0xf0000000 mark masked off; null when the object is in no group. */
  groupId: number | null;
  /** What the object is linked to, if anything. */
  link: { object: number } | { group: number } | null;
  offset: number;
  size: number;
  sizeWithPadding: number;
  /** Unix seconds; null for Go's zero time. */
  createdAt: number | null;
  modifiedAt: number | null;
  name: string;
  /** For FS (partition) objects. */
  partition?: SifPartitionInfo;
}

/** Read the used descriptors and check where their objects lie. */
export async function readSifDescriptors(
  reader: RandomAccessReader,
  header: SifHeader,
  opts: ReadOptions,
): Promise<SifDescriptor[]> {
  const total = header.descriptorsTotal;
  if (total > MAX_SIF_DESCRIPTORS)
    throw new RecipeError(
      'size-limit',
      `the SIF file claims ${total} descriptors (at most ${MAX_SIF_DESCRIPTORS} are read)`,
      {
        details: { limit: MAX_SIF_DESCRIPTORS },
      },
    );
  const tableBytes = total * SIF_DESCRIPTOR_SIZE;
  if (header.descriptorsSize < tableBytes)
    throw new RecipeError(
      'invalid-image',
      `the SIF descriptor table is ${header.descriptorsSize} bytes, too small for ${total} descriptors`,
    );
  const tableStart = header.descriptorsOffset;
  const tableEnd = tableStart + header.descriptorsSize;
  if (tableStart < SIF_HEADER_SIZE || tableEnd > reader.size)
    throw new RecipeError(
      'invalid-image',
      `the SIF descriptor table (bytes ${tableStart}..${tableEnd}) lies outside the ${reader.size}-byte file`,
    );
  const table = await readRange(reader, tableStart, tableBytes, { ...opts, what: 'SIF descriptor table' });
  const out: SifDescriptor[] = [];
  const ids = new Set<number>();
  for (let i = 0; i < total; i++) {
    const raw = table.subarray(i * SIF_DESCRIPTOR_SIZE, (i + 1) * SIF_DESCRIPTOR_SIZE);
    if (raw[4] === 0) continue; // an unused slot
    const d = parseDescriptor(raw, i);
    if (ids.has(d.id)) throw new RecipeError('invalid-image', `two SIF descriptors have id ${d.id}`);
    ids.add(d.id);
    const end = d.offset + d.size;
    if (end > reader.size)
      throw new RecipeError(
        'invalid-image',
        `SIF descriptor ${d.id} (${d.dataTypeName}) points outside the file: bytes ${d.offset}..${end} of ${reader.size}`,
      );
    if (d.size > 0 && (d.offset < SIF_HEADER_SIZE || (d.offset < tableEnd && end > tableStart)))
      throw new RecipeError(
        'invalid-image',
        `SIF descriptor ${d.id} (${d.dataTypeName}) overlaps the SIF header or descriptor table`,
      );
    out.push(d);
  }
  const sorted = out.filter((d) => d.size > 0).sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    const cur = sorted[i]!;
    if (cur.offset < prev.offset + prev.size)
      throw new RecipeError(
        'invalid-image',
        `SIF descriptors ${prev.id} (${prev.dataTypeName}) and ${cur.id} (${cur.dataTypeName}) overlap`,
      );
  }
  return out;
}

function parseDescriptor(raw: Uint8Array, index: number): SifDescriptor {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const dataType = view.getInt32(0, true);
  const id = view.getUint32(5, true);
  const what = `descriptor ${index + 1}`;
  if (id === 0) throw new RecipeError('invalid-image', `SIF ${what} is used but has id 0`);
  const group = view.getUint32(9, true);
  const linked = view.getUint32(13, true);
  const d: SifDescriptor = {
    index,
    id,
    dataType,
    dataTypeName: SIF_DATA_TYPES[dataType] ?? 'Unknown',
    groupId: maskGroup(group),
    link:
      linked === 0
        ? null
        : (linked & SIF_GROUP_MASK) >>> 0 === SIF_GROUP_MASK
          ? { group: maskGroup(linked) ?? 0 }
          : { object: linked },
    offset: int64(view, 17, `${what} offset`),
    size: int64(view, 25, `${what} size`),
    sizeWithPadding: int64(view, 33, `${what} size with padding`),
    createdAt: sifTime(view, 41),
    modifiedAt: sifTime(view, 49),
    name: new TextDecoder().decode(trimNul(raw.subarray(73, 201))),
  };
  if (dataType === SIF_DATA_PARTITION) {
    const fsType = view.getInt32(201, true);
    const partType = view.getInt32(205, true);
    d.partition = {
      fsType,
      fsTypeName: FS_TYPES[fsType] ?? 'Unknown',
      partType,
      partTypeName: PART_TYPES[partType] ?? 'Unknown',
      archCode: Buffer.from(trimNul(raw.subarray(209, 212))).toString('latin1'),
    };
  }
  return d;
}

/** `group | 0xf0000000` -> group; 0xf0000000 alone (or 0, as some old writers left it) -> null. */
function maskGroup(raw: number): number | null {
  const g = (raw & ~SIF_GROUP_MASK) >>> 0;
  return g === 0 ? null : g;
}
