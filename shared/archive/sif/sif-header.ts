/**
 * The SIF global header: 128 bytes at offset 0, little-endian, packed (the layout of Sylabs' SIF
 * library, format version 01, also used by Apptainer's fork):
 *
 *   0  launch script [32], NUL padded     64 created_at   int64 (unix seconds)
 *  32  magic "SIF_MAGIC\0" [10]           72 modified_at  int64
 *  42  version "01\0" [3]                 80 descriptors free / 88 total     int64
 *  45  arch "02\0" [3]                    96 descriptors offset / 104 size   int64
 *  48  uuid [16]                         112 data offset / 120 data size     int64
 */
import { RecipeError } from '../../errors.js';
import { readRange } from '../random-access.js';
import type { RandomAccessReader, ReadOptions } from '../random-access.js';

export const SIF_HEADER_SIZE = 128;
const MAGIC = 'SIF_MAGIC\0';
/** The only SIF format version there is. */
export const SIF_VERSION = '01';

/**
 * Go's zero `time.Time{}.Unix()`: what a deterministic build (SOURCE_DATE_EPOCH) writes for "no time".
 * Reported as null.
 */
export const GO_ZERO_TIME = -62135596800;

/** SIF architecture codes (two ASCII digits) and the Go names Sylabs' library gives them. */
const ARCHES: Record<string, string> = {
  '01': '386',
  '02': 'amd64',
  '03': 'arm',
  '04': 'arm64',
  '05': 'ppc64',
  '06': 'ppc64le',
  '07': 'mips',
  '08': 'mipsle',
  '09': 'mips64',
  '10': 'mips64le',
  '11': 's390x',
  '12': 'riscv64',
  '13': 'loong64',
};

export interface SifHeader {
  /** The `#!` line a SIF file may start with, NULs trimmed ('' when none). */
  launchScript: string;
  version: string;
  /** Go architecture name of the primary partition (`amd64`, ...), or `unknown`. */
  arch: string;
  /** The raw code, e.g. `02`. */
  archCode: string;
  /** The image's UUID (all zero for a deterministic build). */
  uuid: string;
  /** Unix seconds; null for Go's zero time. */
  createdAt: number | null;
  modifiedAt: number | null;
  descriptorsFree: number;
  descriptorsTotal: number;
  descriptorsOffset: number;
  descriptorsSize: number;
  dataOffset: number;
  dataSize: number;
}

/** Read and check the global header. Not a SIF file, or a malformed header: `invalid-image`. */
export async function readSifHeader(reader: RandomAccessReader, opts: ReadOptions): Promise<SifHeader> {
  if (reader.size < SIF_HEADER_SIZE)
    throw new RecipeError('invalid-image', `not a SIF file: ${reader.size} bytes, shorter than a SIF header`);
  const b = await readRange(reader, 0, SIF_HEADER_SIZE, { ...opts, what: 'SIF header' });
  if (latin1(b.subarray(32, 42)) !== MAGIC)
    throw new RecipeError('invalid-image', 'not a SIF file: bad magic');
  const version = cString(b.subarray(42, 45));
  if (version !== SIF_VERSION)
    throw new RecipeError(
      'invalid-image',
      `SIF format version ${JSON.stringify(version)} is not read (only ${SIF_VERSION})`,
    );
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const archCode = cString(b.subarray(45, 48));
  const header: SifHeader = {
    launchScript: new TextDecoder().decode(trimNul(b.subarray(0, 32))),
    version,
    arch: ARCHES[archCode] ?? 'unknown',
    archCode,
    uuid: formatUuid(b.subarray(48, 64)),
    createdAt: sifTime(view, 64),
    modifiedAt: sifTime(view, 72),
    descriptorsFree: int64(view, 80, 'descriptors free'),
    descriptorsTotal: int64(view, 88, 'descriptors total'),
    descriptorsOffset: int64(view, 96, 'descriptors offset'),
    descriptorsSize: int64(view, 104, 'descriptors size'),
    dataOffset: int64(view, 112, 'data offset'),
    dataSize: int64(view, 120, 'data size'),
  };
  return header;
}

/** A non-negative int64 field that fits a JS number; anything else is a malformed header. */
export function int64(view: DataView, at: number, what: string): number {
  const v = view.getBigInt64(at, true);
  if (v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER))
    throw new RecipeError('invalid-image', `SIF ${what} is out of range (${v})`);
  return Number(v);
}

/** A SIF time field: unix seconds, null for Go's zero time or anything not a safe integer. */
export function sifTime(view: DataView, at: number): number | null {
  const v = view.getBigInt64(at, true);
  if (
    v === BigInt(GO_ZERO_TIME) ||
    v > BigInt(Number.MAX_SAFE_INTEGER) ||
    v < BigInt(Number.MIN_SAFE_INTEGER)
  )
    return null;
  return Number(v);
}

export function trimNul(b: Uint8Array): Uint8Array {
  const nul = b.indexOf(0);
  return nul < 0 ? b : b.subarray(0, nul);
}

export function cString(b: Uint8Array): string {
  return latin1(trimNul(b));
}

function latin1(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
}

function formatUuid(b: Uint8Array): string {
  const hex = Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
