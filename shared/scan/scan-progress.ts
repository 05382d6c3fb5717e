/**
 * Progress of a scan, for a display (the CLI's progress bar): which layer is being read and how many
 * of its raw bytes so far. Reports are throttled here, so a listener costs one comparison per chunk
 * read; a scan without a listener does not report at all.
 */

/** One report: the layer being read (or just read), and the bytes read so far. */
export interface ScanProgress {
  /** The layer's position in its image, 1 = the base layer (layers are read from the top). */
  layer: number;
  /** Layers of the image. */
  layers: number;
  /** Its digest. */
  digest: string;
  /** Raw (compressed) bytes of this layer read so far. */
  layerBytes: number;
  /** Its size, as the manifest says. */
  layerSize: number;
  /** Raw bytes of every blob the scan has read so far, this layer included. */
  bytesRead: number;
  /** True on the last report of a layer (its whole blob was read). */
  done: boolean;
}

export type ScanProgressListener = (p: ScanProgress) => void;

/** Least time between two reports of one layer (its first and last are always reported). */
export const PROGRESS_INTERVAL_MS = 100;

/**
 * The `onBytes` callback of one layer read: reports through `listener` at most every
 * PROGRESS_INTERVAL_MS, plus the first chunk. `finish` reports the layer as done.
 */
export function layerProgress(
  listener: ScanProgressListener,
  at: Omit<ScanProgress, 'layerBytes' | 'bytesRead' | 'done'>,
  bytesBefore: number,
  now: () => number = Date.now,
): { onBytes: (n: number) => void; finish: (n: number) => void } {
  let next = 0;
  const report = (n: number, done: boolean): void =>
    listener({ ...at, layerBytes: n, bytesRead: bytesBefore + n, done });
  return {
    onBytes: (n) => {
      const t = now();
      if (t < next) return;
      next = t + PROGRESS_INTERVAL_MS;
      report(n, false);
    },
    finish: (n) => report(n, true),
  };
}
