/**
 * ImageSource -> ImageScan: the one scan the CLI and the worker call.
 *
 * manifest -> (index: every platform, or only `opts.platform`) -> config -> classify (no layer is read
 * for an image that does not look like Guix, unless `deepScan`) -> layers from the TOP, through the
 * layer cache, until the effective profile manifest is known (overlay.ts), then buildRecipe.
 *
 * Verification is the source's (the ImageSource contract, content/verified-source.ts): every byte of
 * every blob is hashed once, there, and trusted here. Each manifest is parsed once, here.
 *
 * Early stop: a layer stops being parsed once the manifest is found in it, but its blob is still read
 * to the end into the hash, so the result is `verified` (read-layer.ts). Only `maxDrainBytes` trades
 * that for speed, and then the result says `verified: false`.
 *
 * The rebuild command (docker-pack-options.ts) is made from what this already reads: the config, the
 * layer count, the top layer's summary, and what the source knows of its archive or annotations.
 *
 * A Guix system image (`guix system image -t docker`, find-system.ts) is recognised before any
 * profile is looked for: its system directory, from the entry point's second element or else from
 * `var/guix/profiles/system-1-link`, gives a system recipe (build-system-recipe.ts) made of the
 * files the system directory links to, followed across layers like the profile manifest; its system
 * profile is read only for the packages. Every link the system directory has must lead to a file in
 * the image, else the scan fails with one error naming it.
 */
import { RecipeError, isRecipeError } from '../errors.js';
import { formatPlatform, platformMatches, type Platform } from '../content/platform.js';
import { type Descriptor } from '../content/descriptor.js';
import type { ImageSource } from '../content/image-source.js';
import { isIndexMediaType, layerCompression } from '../content/media-types.js';
import { readLayer } from '../archive/read-layer.js';
import { buildRecipe } from '../guix/build-recipe.js';
import { buildSystemRecipe, type SystemEvidence, type SystemFile } from '../guix/build-system-recipe.js';
import type { Recipe, SystemFacts } from '../guix/recipe.js';
import {
  SYSTEM_CHANNELS_ENTRY,
  SYSTEM_CONFIGURATION_ENTRY,
  SYSTEM_PROVENANCE_ENTRY,
} from '../guix/system-provenance.js';
import type { ImageScan, ScanResult } from './scan-result.js';
import { LAYER_SUMMARY_VERSION, type LayerCache, type LayerSummary } from './layer-cache.js';
import { dockerPackRebuild } from './docker-pack-options.js';
import { classify, DEFAULT_CLASSIFIERS, type Classification, type ImageClassifier } from './classify.js';
import {
  manifestPathOf,
  parseImageConfig,
  profileOfManifestPath,
  PROFILE_MANIFEST_PATH,
} from './find-profile.js';
import {
  lookupExact,
  resolveFile,
  resolvePath,
  viewOf,
  type LayerView,
  type Lookup,
  type PathResolution,
  type Resolution,
} from './overlay.js';
import { isSystemDirectory, SYSTEM_LINK, systemFromConfig } from './find-system.js';
import { systemImageRebuild } from './system-image-options.js';
import { parseManifest, type ParsedImageManifest, type ParsedIndex } from '../content/image-manifest.js';
import { REF_NAME } from '../oci/sources/oci-layout-source.js';
import { readBlob } from '../content/read-blob.js';
import { DEFAULT_MAX_SYSTEM_FILE_BYTES, LayerSummariser } from './summarise-layer.js';
import { scanArtifact } from './scan-artifact.js';
import type { BlobAccessOptions } from './blob-access.js';
import { layerProgress, type ScanProgressListener } from './scan-progress.js';

export interface ScanOptions {
  signal: AbortSignal;
  /** Only this platform of an index (default: every platform). A single image is scanned whatever
   *  its platform, unless `strictPlatform`. */
  platform?: Platform;
  /** With `platform`: refuse (`platform-not-found`) a single image whose config names another OS or
   *  architecture, rather than scan it. Default false. */
  strictPlatform?: boolean;
  /** Told which layer is being read and how far (throttled, scan-progress.ts). Default: none. */
  onProgress?: ScanProgressListener;
  /** Read the layers even of images whose config does not look like Guix. Default false. */
  deepScan?: boolean;
  /** Layer summaries already known (memory for the CLI, Redis for the service). */
  layerCache?: LayerCache;
  /** Largest manifest or index accepted. Default 4 MiB. */
  maxManifestBytes?: number;
  /** Largest image config accepted. Default 4 MiB. */
  maxConfigBytes?: number;
  /** Largest Guix profile manifest accepted. Default 16 MiB. */
  maxProfileManifestBytes?: number;
  /** Largest file of a Guix system's provenance (`provenance`, `channels.scm`,
   *  `configuration.scm`) accepted. Default 4 MiB (summarise-layer.ts). */
  maxSystemFileBytes?: number;
  /** Cap on the inflated bytes of one layer. Default 16 GiB (inflate.ts). */
  maxInflatedBytes?: number;
  /** Cap on the tar members of one layer. Default 2,000,000 (tar-walk.ts). */
  maxLayerEntries?: number;
  /** After an early stop, hash at most this many remaining bytes of the blob, else abort it and
   *  report `verified: false`. Default: no limit (always verified). */
  maxDrainBytes?: number;
  /** Classifier chain (classify.ts). Default DEFAULT_CLASSIFIERS. */
  classifiers?: readonly ImageClassifier[];
  /** Most child manifests (images and nested indexes) read for one reference: an index's fan-out
   *  times its nesting stays bounded. Default 256. */
  maxManifests?: number;
  /** Most layers of one image: each layer read re-checks the overlay of those above it, so the work
   *  grows with layers squared. Default 1000 (guix pack --max-layers defaults to 100; Docker's
   *  overlay driver stops at 128). */
  maxLayers?: number;
  /** How an Apptainer / ORAS artifact's blob is read (read-ahead, memory kept and passes when the
   *  source ignores ranges); defaults in ranged-blob-reader.ts and streamed-blob-reader.ts. */
  artifactAccess?: BlobAccessOptions;
}

const MiB = 1024 * 1024;
/** An index inside an index is followed this deep at most. */
const MAX_INDEX_DEPTH = 2;
/** Default of `maxManifests`: far above any real multi-platform image, far below 10,000 x 10,000. */
const DEFAULT_MAX_MANIFESTS = 256;
/** Default of `maxLayers`. */
const DEFAULT_MAX_LAYERS = 1000;

/** Scan the image (or every platform of the index) `source` names. Failures are RecipeErrors. */
export async function scanImage(source: ImageSource, opts: ScanOptions): Promise<ImageScan> {
  const maxManifest = opts.maxManifestBytes ?? 4 * MiB;
  // Size-capped and digest-verified by the source (the ImageSource contract); parsed once, here.
  const top = await source.manifest({ signal: opts.signal });
  if (top.bytes.length > maxManifest)
    throw new RecipeError(
      'size-limit',
      `manifest is ${top.bytes.length} bytes, more than the ${maxManifest} accepted`,
    );
  const parsed = parseManifest(top.bytes, top.descriptor.mediaType, `manifest ${top.descriptor.digest}`);
  // A source that announced no media type leaves it to the bytes.
  const descriptor = { ...top.descriptor, mediaType: parsed.mediaType };
  const scan: ImageScan = { manifest: descriptor, results: [], bytesRead: 0 };
  const budget = { manifests: opts.maxManifests ?? DEFAULT_MAX_MANIFESTS };
  await scanManifest(source, descriptor, parsed, undefined, 0, scan, opts, budget);
  return scan;
}

async function scanManifest(
  source: ImageSource,
  desc: Descriptor,
  parsed: ParsedImageManifest | ParsedIndex,
  platform: Platform | undefined,
  depth: number,
  scan: ImageScan,
  opts: ScanOptions,
  budget: { manifests: number },
): Promise<void> {
  if (parsed.kind === 'image') {
    scan.results.push(await scanOneImage(source, desc, parsed, platform, scan, opts, refNameOf(desc, scan)));
    return;
  }
  if (depth >= MAX_INDEX_DEPTH) throw new RecipeError('invalid-image', 'index nested too deeply');
  const children = parsed.manifests.filter((m) => !isAttestation(m));
  const chosen = opts.platform
    ? children.filter((m) => m.platform && platformMatches(m.platform, opts.platform!))
    : children;
  if (chosen.length === 0) {
    const have = children.map((m) => (m.platform ? formatPlatform(m.platform) : 'unknown'));
    if (opts.platform)
      throw new RecipeError(
        'platform-not-found',
        `the index has no ${formatPlatform(opts.platform)}; it has: ${have.join(', ') || 'nothing'}`,
        { details: { platforms: have } },
      );
    throw new RecipeError('invalid-image', 'the index lists no image');
  }
  for (const child of chosen) {
    if (--budget.manifests < 0)
      throw new RecipeError(
        'size-limit',
        `the index lists more than ${opts.maxManifests ?? DEFAULT_MAX_MANIFESTS} manifests to read (counting nested indexes)`,
        { details: { maxManifests: opts.maxManifests ?? DEFAULT_MAX_MANIFESTS } },
      );
    const isIndex = isIndexMediaType(child.mediaType);
    const childBytes = await readBlob(source, child, {
      signal: opts.signal,
      max: opts.maxManifestBytes ?? 4 * MiB,
      what: `${isIndex ? 'index' : 'manifest'} ${child.digest}`,
    });
    scan.bytesRead += childBytes.length;
    const parsedChild = parseManifest(childBytes, child.mediaType, `manifest ${child.digest}`);
    await scanManifest(source, child, parsedChild, child.platform ?? platform, depth + 1, scan, opts, budget);
  }
}

/** The image's `org.opencontainers.image.ref.name`: on its own descriptor, else on the top one. */
function refNameOf(desc: Descriptor, scan: ImageScan): string | undefined {
  return desc.annotations?.[REF_NAME] ?? scan.manifest.annotations?.[REF_NAME];
}

/** Attestation manifests (buildkit) sit in indexes as `unknown/unknown`: not images to scan. */
function isAttestation(d: Descriptor): boolean {
  return (
    d.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest' ||
    (d.platform?.os === 'unknown' && d.platform.architecture === 'unknown')
  );
}

function withPlatform<T extends object>(r: T, platform: Platform | undefined): T & { platform?: Platform } {
  return platform ? { ...r, platform } : r;
}

async function scanOneImage(
  source: ImageSource,
  desc: Descriptor,
  m: ParsedImageManifest,
  platform: Platform | undefined,
  scan: ImageScan,
  opts: ScanOptions,
  refName: string | undefined,
): Promise<ScanResult> {
  const classifiers = opts.classifiers ?? DEFAULT_CLASSIFIERS;
  const input = {
    manifest: {
      mediaType: m.mediaType,
      config: m.config,
      layers: m.layers,
      ...(m.artifactType !== undefined && { artifactType: m.artifactType }),
    },
  };
  // OCI artifacts are recognised before their config is read: an Apptainer image or squashfs pack is
  // read by its own reader (scan-artifact.ts), any other is not a Guix image.
  const early = classify(input, classifiers);
  if (early?.kind === 'apptainer') {
    const got = await scanArtifact(source, desc, early, {
      signal: opts.signal,
      ...(opts.maxProfileManifestBytes !== undefined && {
        maxProfileManifestBytes: opts.maxProfileManifestBytes,
      }),
      ...(opts.maxDrainBytes !== undefined && { maxDrainBytes: opts.maxDrainBytes }),
      ...(opts.artifactAccess !== undefined && { access: opts.artifactAccess }),
    });
    scan.bytesRead += got.bytesRead;
    scan.bytesHashed = (scan.bytesHashed ?? 0) + got.bytesHashed;
    return withPlatform(got.result, platform);
  }
  if (early !== undefined && early.kind !== 'guix')
    return withPlatform({ kind: 'not-guix', manifest: desc, reason: early.reason }, platform);

  const configBytes = await readBlob(source, m.config, {
    signal: opts.signal,
    max: opts.maxConfigBytes ?? 4 * MiB,
    what: `config ${m.config.digest}`,
  });
  scan.bytesRead += configBytes.length;
  const config = parseImageConfig(configBytes);
  if (platform === undefined && opts.platform && opts.strictPlatform) checkPlatform(config, opts.platform);
  const cls: Classification = early ??
    classify({ ...input, config }, classifiers) ?? { kind: 'not-guix', reason: 'unclassified' };
  if (cls.kind !== 'guix' && !opts.deepScan)
    return withPlatform({ kind: 'not-guix', manifest: desc, reason: cls.reason }, platform);
  const pointed = cls.kind === 'guix' ? cls.profile : null;

  const maxLayers = opts.maxLayers ?? DEFAULT_MAX_LAYERS;
  if (m.layers.length > maxLayers)
    throw new RecipeError(
      'size-limit',
      `the image has ${m.layers.length} layers, more than the ${maxLayers} read`,
      {
        details: { layers: m.layers.length, maxLayers },
      },
    );
  const finder = new ProfileFinder(source, m.layers, scan, opts);
  if (pointed === null) {
    const named = systemFromConfig(config);
    const system =
      named !== null ? { directory: named, foundBy: 'entry-point' as const } : await finder.systemFromLink();
    if (system !== undefined) {
      const evidence = await finder.system(system.directory, system.foundBy);
      if (evidence === undefined)
        return withPlatform(
          {
            kind: 'no-profile',
            manifest: desc,
            reason: `the entry point names the system ${system.directory}, which is not a directory in the layers`,
          },
          platform,
        );
      const recipe = buildSystemRecipe(evidence);
      const rebuild = systemImageRebuild({ recipe, config, layerCount: m.layers.length });
      return withPlatform(
        { kind: 'recipe', manifest: desc, recipe, verified: finder.verified, rebuild },
        platform,
      );
    }
  }
  const found = await finder.find(pointed);
  if (found === undefined) {
    const reason = pointed
      ? `the config points to ${pointed}, but no profile manifest is in the layers (${finder.lastReason})`
      : 'no /gnu/store/*-profile/manifest in the layers';
    return cls.kind === 'guix'
      ? withPlatform({ kind: 'no-profile', manifest: desc, reason }, platform)
      : withPlatform(
          { kind: 'not-guix', manifest: desc, reason: `${cls.reason}; deep scan: ${reason}` },
          platform,
        );
  }
  const recipe: Recipe = buildRecipe(found.text, { profile: found.profile });
  const archive = source.dockerArchive?.();
  const rebuild = dockerPackRebuild({
    recipe,
    config,
    layerCount: m.layers.length,
    top: finder.summary(0),
    storeItems: finder.storeItems(),
    ...(archive !== undefined && { archive }),
    ...(refName !== undefined && { refName }),
  });
  return withPlatform(
    { kind: 'recipe', manifest: desc, recipe, verified: finder.verified, rebuild },
    platform,
  );
}

/** A single image asked for as `want`: refused when its config names another platform. */
function checkPlatform(
  config: { os?: string; architecture?: string; variant?: string },
  want: Platform,
): void {
  if (config.os === undefined || config.architecture === undefined) return;
  const have: Platform = { os: config.os, architecture: config.architecture };
  if (config.variant !== undefined) have.variant = config.variant;
  if (platformMatches(have, want)) return;
  throw new RecipeError(
    'platform-not-found',
    `the image has no ${formatPlatform(want)} platform: it is a single ${formatPlatform(have)} image`,
    { details: { platforms: [formatPlatform(have)] } },
  );
}

/** Walks the layers of one image, top first, through the cache, to the effective profile manifest. */
class ProfileFinder {
  /** Index 0 = top layer. */
  readonly #layers: Descriptor[];
  readonly #views: (LayerView | undefined)[];
  readonly #summaries: (LayerSummary | undefined)[];
  verified = true;
  lastReason = '';

  constructor(
    private readonly source: ImageSource,
    layers: Descriptor[],
    private readonly scan: ImageScan,
    private readonly opts: ScanOptions,
  ) {
    this.#layers = [...layers].reverse();
    this.#views = this.#layers.map(() => undefined);
    this.#summaries = this.#layers.map(() => undefined);
  }

  /** The summary of layer `i` (0 = top), if it was read or found in the cache. */
  summary(i: number): LayerSummary | undefined {
    return this.#summaries[i];
  }

  /** Names (`<hash>-<name>`) of the store items the summaries read so far hold. */
  *storeItems(): Generator<string> {
    for (const s of this.#summaries)
      for (const n of s?.nodes ?? []) {
        const m = /^gnu\/store\/([^/]+)$/.exec(n.path);
        if (m !== null) yield m[1]!;
      }
  }

  /** The manifest text and profile path, or undefined when the image has none. */
  async find(pointed: string | null): Promise<{ text: string; profile: string } | undefined> {
    if (pointed !== null) {
      const r = await this.#resolve(manifestPathOf(pointed));
      if (r.kind === 'file') return { text: this.#text(r), profile: pointed };
      this.lastReason = r.kind === 'absent' ? r.reason : '';
    }
    // Fallback: any gnu/store/*-profile/manifest; that needs every layer whole.
    for (let i = 0; i < this.#layers.length; i++) {
      if (!this.#views[i]?.complete) await this.#load(i, null);
    }
    const candidates = new Set<string>();
    for (const v of this.#views)
      for (const p of v?.nodes.keys() ?? []) if (PROFILE_MANIFEST_PATH.test(p)) candidates.add(p);
    for (const path of [...candidates].sort()) {
      let r: Resolution;
      try {
        r = resolveFile(this.#views, path);
      } catch (err) {
        if (isRecipeError(err, 'invalid-image')) continue; // a link loop: not a usable profile
        throw err;
      }
      if (r.kind === 'file') return { text: this.#text(r), profile: profileOfManifestPath(path) };
    }
    return undefined;
  }

  #text(r: Extract<Resolution, { kind: 'file' }>): string {
    if (r.node.tooLarge)
      throw new RecipeError(
        'size-limit',
        `the profile manifest /${r.path} is ${r.node.size} bytes, more than accepted`,
      );
    if (r.node.manifest === undefined)
      throw new RecipeError(
        'parse-error',
        `the profile manifest resolves to /${r.path}, which is not a Guix profile manifest`,
      );
    return r.node.manifest;
  }

  /**
   * The system directory `var/guix/profiles/system-1-link` leads to, when it is one. A link that
   * loops is an error: the image names a system it does not let us find.
   */
  async systemFromLink(): Promise<{ directory: string; foundBy: SystemFacts['foundBy'] } | undefined> {
    let r: PathResolution;
    try {
      r = await this.#settle(
        (v) => resolvePath(v, SYSTEM_LINK),
        (v) => safely(() => resolvePath(v, SYSTEM_LINK).kind === 'node'),
      );
    } catch (err) {
      if (isRecipeError(err, 'invalid-image'))
        throw new RecipeError('invalid-image', `/${SYSTEM_LINK}: ${err.message}`, { cause: err });
      throw err;
    }
    if (r.kind !== 'node' || r.node.type !== 'directory' || !isSystemDirectory(r.path)) return undefined;
    return { directory: `/${r.path}`, foundBy: 'system-link' };
  }

  /**
   * The files of the system directory `directory` (`/gnu/store/<hash>-system`): every link of
   * `provenance-service-type` followed to its text, and the system profile's manifest. Undefined
   * when the directory is not in the image. Throws one RecipeError for a link that leads nowhere in
   * the image, loops, or leads to a file too large or not UTF-8 text.
   */
  async system(directory: string, foundBy: SystemFacts['foundBy']): Promise<SystemEvidence | undefined> {
    const wanted = [
      SYSTEM_PROVENANCE_ENTRY,
      SYSTEM_CHANNELS_ENTRY,
      SYSTEM_CONFIGURATION_ENTRY,
      'profile/manifest',
    ];
    let base = directory.replace(/^\/+/, '');
    // Stop reading a layer once every file is known (an image without provenance is read whole).
    const done = (v: readonly (LayerView | undefined)[]): boolean =>
      wanted.every((w) => safely(() => resolveFile(v, `${base}/${w}`).kind === 'file'));
    const dir = await this.#settle((v) => resolvePath(v, base), done);
    if (dir.kind !== 'node' || dir.node.type !== 'directory') return undefined;
    base = dir.path;
    const evidence: SystemEvidence = { directory, foundBy };
    const file = async (entry: string): Promise<SystemFile | undefined> => {
      const at = `${base}/${entry}`;
      const link = await this.#settle((v) => lookupExact(v, at), done);
      if (link.kind === 'absent') return undefined;
      const r = await this.#settle((v) => resolveFile(v, at), done);
      if (r.kind !== 'file')
        throw new RecipeError(
          'invalid-image',
          `the system's ${entry} (/${at}) leads to no file in the image: ${r.kind === 'absent' ? r.reason : 'unknown'}`,
          { details: { path: `/${at}` } },
        );
      const n = r.node;
      if (n.tooLarge)
        throw new RecipeError(
          'size-limit',
          `the system's ${entry} (/${r.path}) is ${n.size} bytes, more than the ${this.opts.maxSystemFileBytes ?? DEFAULT_MAX_SYSTEM_FILE_BYTES} accepted`,
          { details: { path: `/${r.path}`, size: n.size } },
        );
      if (n.notText)
        throw new RecipeError(
          'parse-error',
          `the system's ${entry} (/${r.path}) is not UTF-8 text, so it cannot be reported byte for byte`,
          { details: { path: `/${r.path}` } },
        );
      if (n.text === undefined)
        throw new RecipeError(
          'invalid-image',
          `the system's ${entry} (/${at}) leads to /${r.path}, which is not where Guix keeps that file`,
          { details: { path: `/${r.path}` } },
        );
      return { path: `/${r.path}`, text: n.text };
    };
    const provenance = await file(SYSTEM_PROVENANCE_ENTRY);
    const channels = await file(SYSTEM_CHANNELS_ENTRY);
    const configuration = await file(SYSTEM_CONFIGURATION_ENTRY);
    if (provenance !== undefined) evidence.provenance = provenance;
    if (channels !== undefined) evidence.channels = channels;
    if (configuration !== undefined) evidence.configuration = configuration;
    const profileLink = await this.#settle((v) => lookupExact(v, `${base}/profile`), done);
    if (profileLink.kind !== 'absent') {
      const profile = await this.#settle((v) => resolvePath(v, `${base}/profile`), done);
      const manifest = await this.#settle((v) => resolveFile(v, `${base}/profile/manifest`), done);
      if (profile.kind === 'node' && manifest.kind === 'file')
        evidence.profile = { path: `/${profile.path}`, manifest: this.#text(manifest) };
    }
    return evidence;
  }

  /** Evaluate `f` over the layers, loading (or re-reading) the ones its answer depends on. */
  async #settle<T extends Lookup | Resolution | PathResolution>(
    f: (views: readonly (LayerView | undefined)[]) => T,
    done: (views: readonly (LayerView | undefined)[]) => boolean,
  ): Promise<Exclude<T, { kind: 'unknown' }>> {
    for (;;) {
      const r = f(this.#views);
      if (r.kind !== 'unknown') return r as Exclude<T, { kind: 'unknown' }>;
      await this.#load(r.layer, done);
    }
  }

  /** Resolve `path`, loading (or re-reading) the layers the answer depends on. */
  async #resolve(path: string): Promise<Resolution> {
    return this.#settle(
      (v) => resolveFile(v, path),
      (v) => safely(() => resolveFile(v, path).kind === 'file'),
    );
  }

  /**
   * Get layer `i` from the cache, or read it; with `done`, stopping early once it holds for the
   * layers read so far (the one being read included).
   */
  async #load(
    i: number,
    done: ((views: readonly (LayerView | undefined)[]) => boolean) | null,
  ): Promise<void> {
    const desc = this.#layers[i] as Descriptor;
    const cache = this.opts.layerCache;
    if (this.#views[i] === undefined && cache) {
      const cached = await cacheGet(cache, desc, this.opts.signal);
      if (cached !== undefined && (cached.complete || done !== null)) {
        this.#views[i] = viewOf(cached);
        this.#summaries[i] = cached;
        return;
      }
    }
    if (layerCompression(desc.mediaType) === undefined && !/tar/.test(desc.mediaType))
      throw new RecipeError(
        'unsupported-media-type',
        `layer ${desc.digest} has media type ${desc.mediaType}, not a tar layer`,
      );

    const views = this.#views;
    const summariser = new LayerSummariser({
      ...(this.opts.maxProfileManifestBytes !== undefined && {
        maxManifestBytes: this.opts.maxProfileManifestBytes,
      }),
      ...(this.opts.maxSystemFileBytes !== undefined && { maxSystemFileBytes: this.opts.maxSystemFileBytes }),
      onRecord: (view) => {
        if (done === null) return false;
        const trial = views.slice(0, i + 1);
        trial[i] = view;
        return done(trial);
      },
    });
    const raw = await this.source.fetch(desc, { signal: this.opts.signal });
    const listener = this.opts.onProgress;
    const progress = listener
      ? layerProgress(
          listener,
          {
            layer: this.#layers.length - i,
            layers: this.#layers.length,
            digest: desc.digest,
            layerSize: desc.size,
          },
          this.scan.bytesRead,
        )
      : undefined;
    const res = await readLayer(raw, desc, summariser.visit, {
      ...(progress && { onBytes: progress.onBytes }),
      signal: this.opts.signal,
      compression: 'detect',
      what: `layer ${desc.digest}`,
      sourceVerifies: true, // the ImageSource contract: fetch hashes and fails on a mismatch
      ...(this.opts.maxInflatedBytes !== undefined && { maxInflatedBytes: this.opts.maxInflatedBytes }),
      ...(this.opts.maxLayerEntries !== undefined && { maxEntries: this.opts.maxLayerEntries }),
      ...(this.opts.maxDrainBytes !== undefined && { maxDrainBytes: this.opts.maxDrainBytes }),
    });
    progress?.finish(res.bytesRead);
    this.scan.bytesRead += res.bytesRead;
    const summary = summariser.summary(!res.stopped, res.unsafe);
    views[i] = viewOf(summary);
    this.#summaries[i] = summary;
    if (!res.verified) this.verified = false;
    else if (cache) await cachePut(cache, desc, summary, this.opts.signal);
  }
}

/** `f()`, false when it throws: a loop is reported by the caller's own resolution, not mid-read. */
function safely(f: () => boolean): boolean {
  try {
    return f();
  } catch {
    return false;
  }
}

/** A cache is an optimisation: its failures (other than aborts) never fail a scan. */
async function cacheGet(
  cache: LayerCache,
  desc: Descriptor,
  signal: AbortSignal,
): Promise<LayerSummary | undefined> {
  try {
    const s = await cache.get(desc.digest, { signal });
    return s?.version === LAYER_SUMMARY_VERSION ? s : undefined;
  } catch (err) {
    if (signal.aborted) throw err;
    return undefined;
  }
}

async function cachePut(
  cache: LayerCache,
  desc: Descriptor,
  summary: LayerSummary,
  signal: AbortSignal,
): Promise<void> {
  try {
    await cache.put(desc.digest, summary, { signal });
  } catch (err) {
    if (signal.aborted) throw err;
  }
}
