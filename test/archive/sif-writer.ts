/**
 * A small SIF writer for the tests, from the layout of Sylabs' SIF library (format 01): a 128-byte
 * header, `capacity` descriptor slots of 585 bytes from offset 4096, then the objects, each placed
 * at the end of the data so far rounded up to its alignment (4096 for partitions, none otherwise).
 * It writes what `apptainer sif new` + `sif add` write; `raw` hooks let a test write what they never
 * would.
 */

export const DATA_DEFFILE = 0x4001;
export const DATA_PARTITION = 0x4004;
export const DATA_SIGNATURE = 0x4005;
export const DATA_GENERIC_JSON = 0x4006;
export const FS_SQUASHFS = 1;
export const FS_EXT3 = 2;
export const PART_SYSTEM = 1;
export const PART_PRIMARY = 2;
export const PART_DATA = 3;
const GROUP_MARK = 0xf0000000;

export interface SifObject {
  dataType: number;
  data: Uint8Array;
  /** Group number (stored as `group | 0xf0000000`); null: no group (0xf0000000). Default 1. */
  group?: number | null;
  /** Raw linked-id field (0: none). */
  link?: number;
  name?: string;
  /** For partitions. */
  partition?: { fsType: number; partType: number; arch?: string };
  /** Overrides of where the descriptor says the object is (hostile files). */
  rawOffset?: number;
  rawSize?: number;
}

export interface SifOptions {
  objects: SifObject[];
  launchScript?: string;
  /** 32 hex digits; default all zero. */
  uuid?: string;
  createdAt?: number;
  modifiedAt?: number;
  /** Descriptor slots. Default 48. */
  capacity?: number;
  /** Magic override (hostile files). */
  magic?: string;
}

/** The SIF file's bytes. */
export function writeSif(opts: SifOptions): Uint8Array {
  return layOut(opts);
}

/**
 * The bytes of a one-partition SIF (`wrapSquashfs`) up to where its squashfs of `size` bytes starts:
 * write them, then the squashfs, for an image too large to hold.
 */
export function wrapSquashfsHead(size: number): Uint8Array {
  return layOut(
    {
      objects: [
        {
          dataType: DATA_PARTITION,
          data: new Uint8Array(0),
          partition: { fsType: FS_SQUASHFS, partType: PART_PRIMARY, arch: '02\0' },
        },
      ],
    },
    size,
  );
}

/** The file; with `lastSize`, the last object's data is that long but left out (the head only). */
function layOut(opts: SifOptions, lastSize?: number): Uint8Array {
  const capacity = opts.capacity ?? 48;
  const descOffset = 4096;
  const descSize = capacity * 585;
  const dataOffset = descOffset + descSize;
  let end = dataOffset;
  const sizeOf = (i: number): number =>
    lastSize !== undefined && i === opts.objects.length - 1 ? lastSize : opts.objects[i]!.data.length;
  const placed = opts.objects.map((o, i) => {
    const align = o.dataType === DATA_PARTITION ? 4096 : 0;
    const start = align > 0 ? Math.ceil(end / align) * align : end;
    const p = { o, start, unaligned: end, size: sizeOf(i) };
    end = start + p.size;
    return p;
  });
  const out = new Uint8Array(lastSize === undefined ? end : placed[placed.length - 1]!.start);
  const v = new DataView(out.buffer);
  const ascii = (s: string, at: number, max: number): void => {
    out.set(Buffer.from(s, 'latin1').subarray(0, max), at);
  };
  ascii(opts.launchScript ?? '', 0, 32);
  ascii(opts.magic ?? 'SIF_MAGIC\0', 32, 10);
  ascii('01\0', 42, 3);
  const primary = opts.objects.find((o) => o.partition?.partType === PART_PRIMARY);
  ascii(primary?.partition?.arch ?? '00\0', 45, 3);
  out.set(Buffer.from(opts.uuid ?? '0'.repeat(32), 'hex'), 48);
  v.setBigInt64(64, BigInt(opts.createdAt ?? 1), true);
  v.setBigInt64(72, BigInt(opts.modifiedAt ?? opts.createdAt ?? 1), true);
  v.setBigInt64(80, BigInt(capacity - opts.objects.length), true);
  v.setBigInt64(88, BigInt(capacity), true);
  v.setBigInt64(96, BigInt(descOffset), true);
  v.setBigInt64(104, BigInt(descSize), true);
  v.setBigInt64(112, BigInt(dataOffset), true);
  v.setBigInt64(120, BigInt(end - dataOffset), true);
  placed.forEach(({ o, start, unaligned, size }, i) => {
    const d = descOffset + i * 585;
    v.setInt32(d, o.dataType, true);
    out[d + 4] = 1;
    v.setUint32(d + 5, i + 1, true);
    v.setUint32(d + 9, o.group === null ? GROUP_MARK : (GROUP_MARK | (o.group ?? 1)) >>> 0, true);
    v.setUint32(d + 13, o.link ?? 0, true);
    v.setBigInt64(d + 17, BigInt(o.rawOffset ?? start), true);
    v.setBigInt64(d + 25, BigInt(o.rawSize ?? size), true);
    v.setBigInt64(d + 33, BigInt(start - unaligned + size), true);
    v.setBigInt64(d + 41, BigInt(opts.modifiedAt ?? opts.createdAt ?? 1), true);
    v.setBigInt64(d + 49, BigInt(opts.modifiedAt ?? opts.createdAt ?? 1), true);
    ascii(o.name ?? '', d + 73, 128);
    if (o.partition) {
      v.setInt32(d + 201, o.partition.fsType, true);
      v.setInt32(d + 205, o.partition.partType, true);
      ascii(o.partition.arch ?? '02\0', d + 209, 3);
    }
    if (start + o.data.length <= out.length) out.set(o.data, start);
  });
  return out;
}

/** A squashfs image as the primary system partition of a one-descriptor SIF (`sif new` + `sif add`). */
export function wrapSquashfs(squashfs: Uint8Array, extra: Partial<SifObject> = {}): Uint8Array {
  return writeSif({
    objects: [
      {
        dataType: DATA_PARTITION,
        data: squashfs,
        partition: { fsType: FS_SQUASHFS, partType: PART_PRIMARY, arch: '02\0' },
        ...extra,
      },
    ],
  });
}
