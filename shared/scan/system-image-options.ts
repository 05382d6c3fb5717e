/**
 * The `guix system image -t docker` options an image reveals, as a Rebuild (rebuild.ts). Guix's
 * `guix system` (`guix/scripts/system.scm`) and `system-docker-image` (`gnu/system/image.scm`)
 * build the image with the same `build-docker-image` as `guix pack` (`guix/docker.scm`), with the
 * system directory as its prefix and `(boot-program system)` as its entry point, always gzip, no
 * tag option. What shows:
 *
 *  - `-t docker`: the format this scan reads.
 *  - `--save-provenance`: the system directory holds the files `provenance-service-type` adds
 *    (`provenance`, `channels.scm`, `configuration.scm`); `guix system image` adds that service
 *    only with this option. The command then reads the stored `channels.scm` and
 *    `configuration.scm`: `guix time-machine -C channels.scm -- system image ... configuration.scm`.
 *    Guix stores the configuration as a `local-file` named `configuration.scm`, so the same text
 *    under that name gives the same store item.
 *  - `--max-layers=N`: as for `guix pack` (docker-pack-options.ts): the layer count, known while
 *    the history is Guix's single entry.
 *  - `--system`: the config's `architecture`, mapped back; `--target` looks the same.
 *
 * Options without effect on a Docker image (`--image-size`, `--label`, `--volatile`) are never
 * written. Not revealed: `--target`, `--network` (`-N`: a container sharing the host's network is
 * another system, told apart only by reading its services), `--no-grafts`.
 */
import type { SystemRecipe } from '../guix/recipe.js';
import type { ImageConfigInfo } from './find-profile.js';
import { GUIX_HISTORY, SYSTEMS } from './docker-pack-options.js';
import {
  makeRebuild,
  NO_GRAFTS_UNKNOWN,
  NO_PROVENANCE,
  SYSTEM_CONFIG_FILE,
  type Rebuild,
  type RebuildOptions,
  type UnknownOption,
} from './rebuild.js';

/** What the scan of one system image knows, for its rebuild command. */
export interface SystemImageEvidence {
  recipe: Pick<SystemRecipe, 'channels' | 'system' | 'texts'>;
  config: ImageConfigInfo;
  /** Layers in the image manifest. */
  layerCount: number;
}

/** Why a system image without provenance leaves its channels unknown. */
const NO_SYSTEM_PROVENANCE: UnknownOption = {
  option: NO_PROVENANCE.option,
  reason:
    'the system image was built without --save-provenance: it stores no channels.scm, so the Guix revision is unknown',
};

/** The rebuild command of a `guix system image -t docker` image. */
export function systemImageRebuild(e: SystemImageEvidence): Rebuild {
  const options: RebuildOptions = {};
  const unknown: UnknownOption[] = [];
  const sys = e.recipe.system;

  const system = e.config.architecture === undefined ? undefined : SYSTEMS[e.config.architecture];
  if (system !== undefined) options.system = system;
  else
    unknown.push({
      option: '--system',
      reason: `the config's architecture (${e.config.architecture ?? 'none'}) is not one Guix writes`,
    });
  unknown.push({
    option: '--target',
    reason: 'a cross-built image (--target) has the same architecture as one built with --system',
  });

  const h = e.config.history;
  if (h.length === 1 && h[0]!.createdBy === GUIX_HISTORY)
    options.maxLayers = e.layerCount > 1 ? e.layerCount : null;
  else
    unknown.push({
      option: '--max-layers',
      reason: `the image history has ${h.length} entries, not guix system image's one: layers may have been added`,
    });

  options.saveProvenance = sys.savedProvenance;
  if (!sys.savedProvenance) unknown.push(NO_SYSTEM_PROVENANCE);
  else if (e.recipe.channels.length === 0)
    unknown.push({
      option: NO_PROVENANCE.option,
      reason:
        'the system records no channels (the Guix that built it did not run from guix pull or time-machine)',
    });
  if (e.recipe.texts.configuration === undefined)
    unknown.push({
      option: SYSTEM_CONFIG_FILE,
      reason: sys.savedProvenance
        ? 'the system records no configuration file (it was not built from a file)'
        : 'the system image was built without --save-provenance: its operating-system declaration is not in the image',
    });
  unknown.push({
    option: '--network',
    reason: "a container sharing the host's network is another system; nothing read here tells them apart",
  });
  unknown.push(NO_GRAFTS_UNKNOWN);
  return makeRebuild({ kind: 'system-image', format: 'docker', options, unknown });
}
