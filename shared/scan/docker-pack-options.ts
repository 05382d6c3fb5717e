/**
 * The `guix pack -f docker` options an image reveals, as a Rebuild (rebuild.ts). Guix's
 * `docker-image` (`guix/scripts/pack.scm`) and `build-docker-image` (`guix/docker.scm`) leave these
 * traces, and nothing here needs more layer bytes than finding the profile does:
 *
 *  - `--entry-point=FILE` / `-A ARG`: the config's `entrypoint` is `["<profile>/FILE", ARG...]`.
 *  - `-S SOURCE=TARGET`, `--localstatedir`: Guix writes every file outside the store (the `-S`
 *    symlinks SOURCE -> `<profile>/TARGET`, absolute; `var/guix/db/db.sqlite`) into the top layer,
 *    before any store item: the only layer without `--max-layers`, the last ("customization") one
 *    with it. The scan always reads the top layer first, and reads it whole or up to the profile,
 *    which lies in the store, after those files: its summary has them all.
 *  - `--max-layers=N`: without it the image has exactly one layer; with it, `min(N, items + 1)` layers
 *    (N - 2 items alone, a tail layer, the customization layer), at least two. Every N that gives the
 *    same image is at least the layer count L, and L itself does (L <= items: only N = L; L = items + 1:
 *    any N > items), so L is printed: the simplest value. Known only while the history is Guix's
 *    single entry (a layer added on top would change the count).
 *  - `--image-tag=NAME`: the archive's `RepoTags` (`<name>:latest`), or an OCI layout's
 *    `org.opencontainers.image.ref.name` of that form; omitted when NAME is Guix's default (the
 *    manifest's friendly name). A registry keeps no such name: unknown there.
 *  - `-C TOOL`: the compression of the file `guix pack` wrote, known only when that file is read
 *    itself (a docker-archive whose layout is Guix's: `config.json`, `<sha256(profile)>/layer.tar` or
 *    `sha256:<diff-id>/layer.tar`). A plain tar is what `-C none` writes; one decompressed by hand
 *    is rebuilt as it is now, uncompressed.
 *  - `-R` / `-RR`: pack-relocation.ts. `--system`: the config's `architecture`, as Guix maps systems
 *    to it; a cross-build (`--target`) looks the same.
 *  - `--save-provenance`: the manifest records provenance.
 */
import { createHash } from 'node:crypto';
import type { DockerArchiveLayout } from '../content/image-source.js';
import type { Recipe } from '../guix/recipe.js';
import { defaultRepositoryName, GUIX_IMAGE_TAG, imageTagFor } from '../guix/docker-image-name.js';
import type { ImageConfigInfo } from './find-profile.js';
import type { LayerSummary } from './layer-cache.js';
import { packRelocation } from './pack-relocation.js';
import {
  makeRebuild,
  NO_GRAFTS_UNKNOWN,
  NO_PROVENANCE,
  type Rebuild,
  type RebuildOptions,
  type RebuildSymlink,
  type UnknownOption,
} from './rebuild.js';

/** What the scan of one image knows, for its rebuild command. */
export interface DockerImageEvidence {
  recipe: Pick<Recipe, 'profile' | 'packages' | 'channels'>;
  config: ImageConfigInfo;
  /** Layers in the image manifest. */
  layerCount: number;
  /** The top layer's summary (undefined if it was never read). */
  top: LayerSummary | undefined;
  /** Names (`<hash>-<name>`) of the store items seen in the layers read. */
  storeItems: Iterable<string>;
  /** The docker-archive's own layout, when the image was read from that file. */
  archive?: DockerArchiveLayout;
  /** `org.opencontainers.image.ref.name` of the image (or of the index holding it), if any. */
  refName?: string;
}

/** The history entry `build-docker-image` writes (its only one). */
export const GUIX_HISTORY = 'guix pack -f docker';

/** Docker architecture -> Guix system, the inverse of `build-docker-image`'s mapping. */
export const SYSTEMS: Readonly<Record<string, string>> = {
  amd64: 'x86_64-linux',
  '386': 'i686-linux',
  arm: 'armhf-linux',
  arm64: 'aarch64-linux',
  mips64le: 'mips64el-linux',
  ppc64le: 'powerpc64le-linux',
  riscv64: 'riscv64-linux',
  s390x: 's390x-linux',
};

const DB_FILE = 'var/guix/db/db.sqlite';

/** The rebuild command of a `guix pack -f docker` image. */
export function dockerPackRebuild(e: DockerImageEvidence): Rebuild {
  const options: RebuildOptions = {};
  const unknown: UnknownOption[] = [];
  const profile = e.recipe.profile;
  const provenance = e.recipe.channels.length > 0;

  const reloc = packRelocation(e.recipe, e.storeItems);
  if (reloc.unknown === undefined || reloc.relocatable !== null) options.relocatable = reloc.relocatable;
  if (reloc.unknown !== undefined) unknown.push(reloc.unknown);

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

  entryPoint(e, profile, options, unknown);
  packFiles(e.top, profile, options, unknown);
  maxLayers(e, options, unknown);
  imageTag(e, options, unknown);
  compression(e, profile, options, unknown);

  options.saveProvenance = provenance;
  if (!provenance) unknown.push(NO_PROVENANCE);
  unknown.push(NO_GRAFTS_UNKNOWN);
  return makeRebuild({ kind: 'pack', format: 'docker', options, unknown });
}

function entryPoint(
  e: DockerImageEvidence,
  profile: string | null,
  options: RebuildOptions,
  unknown: UnknownOption[],
): void {
  const [first, ...args] = e.config.entrypoint;
  if (first === undefined) {
    options.entryPoint = null;
    options.entryPointArguments = [];
    return;
  }
  if (profile !== null && first.startsWith(`${profile}/`)) {
    options.entryPoint = first.slice(profile.length + 1);
    options.entryPointArguments = args;
    return;
  }
  unknown.push({
    option: '--entry-point',
    reason: `the entry point ${first} is not in the profile, so guix pack did not write it`,
  });
}

function packFiles(
  top: LayerSummary | undefined,
  profile: string | null,
  options: RebuildOptions,
  unknown: UnknownOption[],
): void {
  if (top === undefined || !(top.complete || top.storeReached) || profile === null) {
    const reason =
      profile === null
        ? 'the profile path is not known'
        : 'the top layer was not read as far as the store, where guix pack ends its own files';
    unknown.push({ option: '-S', reason }, { option: '--localstatedir', reason });
    return;
  }
  const prefix = `${profile}/`;
  const symlinks: RebuildSymlink[] = [];
  let db = false;
  for (const n of top.nodes) {
    if (n.path.startsWith('gnu/store/')) continue;
    if (n.type === 'symlink' && n.target.startsWith(prefix))
      symlinks.push({ source: `/${n.path}`, target: n.target.slice(prefix.length) });
    else if (n.type === 'file' && n.path === DB_FILE) db = true;
  }
  options.symlinks = symlinks;
  options.localStateDir = db;
}

function maxLayers(e: DockerImageEvidence, options: RebuildOptions, unknown: UnknownOption[]): void {
  const h = e.config.history;
  if (h.length === 1 && h[0]!.createdBy === GUIX_HISTORY) {
    options.maxLayers = e.layerCount > 1 ? e.layerCount : null;
    return;
  }
  unknown.push({
    option: '--max-layers',
    reason: `the image history has ${h.length} entries, not guix pack's one: layers may have been added`,
  });
}

/**
 * `<name>:latest` with a name Guix can write: the `--image-tag` value, else undefined. Docker's and
 * skopeo's spelling of the same name, `docker.io/library/<name>:latest`, is the same name.
 */
function guixTag(ref: string): { name: string; tag: string } | undefined {
  const suffix = `:${GUIX_IMAGE_TAG}`;
  if (!ref.endsWith(suffix)) return undefined;
  const name = ref.slice(0, -suffix.length).replace(/^docker\.io\/library\//, '');
  const tag = imageTagFor(name);
  return tag === undefined ? undefined : { name, tag };
}

function imageTag(e: DockerImageEvidence, options: RebuildOptions, unknown: UnknownOption[]): void {
  const named = e.archive !== undefined ? e.archive.repoTags : e.refName !== undefined ? [e.refName] : [];
  const where = e.archive !== undefined ? "the archive's RepoTags" : 'the OCI ref.name annotation';
  if (named.length === 0) {
    unknown.push({
      option: '--image-tag',
      reason:
        e.archive !== undefined
          ? 'the archive tags the image with no name'
          : 'a registry or OCI layout does not keep the name the archive gave the image',
    });
    return;
  }
  const tags = named.map(guixTag);
  const only = tags[0];
  if (tags.length !== 1 || only === undefined) {
    unknown.push({
      option: '--image-tag',
      reason: `${where} (${named.join(', ')}) ${tags.length === 1 ? 'is not' : 'are not one'} <name>:latest as guix pack writes it`,
    });
    return;
  }
  const fallback = defaultRepositoryName(e.recipe.packages.map((p) => p.name));
  options.imageTag = only.name === fallback ? null : only.tag;
}

/** Whether the archive's member names are the ones `build-docker-image` writes. */
function guixArchive(a: DockerArchiveLayout, profile: string | null, layerCount: number): boolean {
  if (a.config !== 'config.json' || a.layers.length !== layerCount) return false;
  if (layerCount === 1) {
    if (profile === null || !a.repositories) return false;
    const id = createHash('sha256').update(profile, 'utf8').digest('hex');
    return a.layers[0] === `${id}/layer.tar`;
  }
  return !a.repositories && a.layers.every((l) => /^sha256:[0-9a-f]{64}\/layer\.tar$/.test(l));
}

function compression(
  e: DockerImageEvidence,
  profile: string | null,
  options: RebuildOptions,
  unknown: UnknownOption[],
): void {
  if (e.archive !== undefined && guixArchive(e.archive, profile, e.layerCount)) {
    options.compression = e.archive.compression;
    return;
  }
  unknown.push({
    option: '-C',
    reason:
      e.archive !== undefined
        ? 'the archive was rewritten (docker save, skopeo): its member names are not the ones guix pack writes'
        : 'only the file guix pack wrote shows its compression; a registry or OCI layout compresses layers its own way',
  });
}
