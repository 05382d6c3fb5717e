/**
 * The progress bar of long reads (`inspect`, standalone `gate`): on the terminal of standard error
 * only, never when it is a pipe or a file (CliIO.progressTerminal is absent then) nor with `--quiet`.
 * It shows the layer being read (its position in the image), its bytes read of its size and the rate,
 * drawn by cli-progress; the line is cleared when the scan ends, so that what follows (the recipe, an
 * error) is all that stays on the screen.
 */
import { createRequire } from 'node:module';
import type cliProgressModule from 'cli-progress';
import type { ScanProgress, ScanProgressListener } from '../../shared/scan/scan-progress.js';
import type { CliIO } from './cli-io.js';

export interface ProgressDisplay {
  /** Feed it to ScanOptions.onProgress. */
  listener: ScanProgressListener;
  /** Clear the bar (idempotent); call it when the scan ends, however it ends. */
  stop(): void;
}

const MiB = 1024 * 1024;

function mib(n: number): string {
  return `${(n / MiB).toFixed(n < 10 * MiB ? 1 : 0)} MiB`;
}

/** A display on `io.progressTerminal`, or undefined when there is none or `quiet`. */
export function progressDisplay(io: CliIO, quiet: boolean): ProgressDisplay | undefined {
  const stream = io.progressTerminal;
  if (quiet || stream === undefined) return undefined;
  // Loaded only when a bar is drawn: a scan piped or in a script does not pay for it.
  const cliProgress = createRequire(import.meta.url)('cli-progress') as typeof cliProgressModule;
  const bar = new cliProgress.SingleBar({
    stream,
    format: 'layer {layer}/{layers} [{bar}] {percentage}% | {read} of {size} | {rate}',
    barsize: 24,
    fps: 10,
    hideCursor: true,
    clearOnComplete: true,
    linewrap: false,
    // cli-progress's own timer only redraws; the process must not wait for it.
    etaAsynchronousUpdate: false,
  });
  let started = false;
  let digest = '';
  let since = 0;
  const payload = (p: ScanProgress) => {
    const seconds = (Date.now() - since) / 1000;
    return {
      layer: p.layer,
      layers: p.layers,
      read: mib(p.layerBytes),
      size: mib(p.layerSize),
      rate: seconds > 0.2 ? `${mib(p.layerBytes / seconds)}/s` : '…',
    };
  };
  return {
    listener(p) {
      if (!started) {
        started = true;
        digest = p.digest;
        since = Date.now();
        bar.start(Math.max(1, p.layerSize), p.layerBytes, payload(p));
        return;
      }
      if (p.digest !== digest) {
        digest = p.digest;
        since = Date.now();
        bar.setTotal(Math.max(1, p.layerSize));
      }
      bar.update(p.layerBytes, payload(p));
    },
    stop() {
      if (!started) return;
      started = false;
      bar.stop();
    },
  };
}
