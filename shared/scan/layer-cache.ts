/**
 * STUB contract (owned by the layers/scan helper, who may refine it): what one layer contributes
 * under /gnu/store that matters to a recipe, keyed by the layer's (compressed) digest, so that an
 * image made of known layers costs no layer bytes. Memory implementation for the CLI; Redis in
 * shared/store for the service.
 */
import type { Digest } from '../oci/descriptor.js';

export interface LayerSummary {
  /** Summary format version, bumped when its meaning changes. */
  version: 1;
}

export interface LayerCache {
  get(digest: Digest, opts: { signal: AbortSignal }): Promise<LayerSummary | undefined>;
  put(digest: Digest, summary: LayerSummary, opts: { signal: AbortSignal }): Promise<void>;
}
