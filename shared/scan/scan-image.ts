/**
 * STUB (owned by the layers/scan helper, to be replaced): ImageSource -> ImageScan.
 * The signature is the contract the CLI and the worker call.
 */
import type { ImageSource } from '../oci/image-source.js';
import type { Platform } from '../oci/descriptor.js';
import type { ImageScan } from './scan-result.js';
import type { LayerCache } from './layer-cache.js';
import { RecipeError } from '../errors.js';

export interface ScanOptions {
  signal: AbortSignal;
  /** Only this platform of an index (default: every platform). */
  platform?: Platform;
  /** Read the layers even of images whose config does not look like Guix. Default false. */
  deepScan?: boolean;
  /** Layer summaries already known (memory for the CLI, Redis for the service). */
  layerCache?: LayerCache;
}

export async function scanImage(_source: ImageSource, _opts: ScanOptions): Promise<ImageScan> {
  throw new RecipeError('internal', 'scanImage is not implemented yet');
}
