/**
 * `guix-recipes inspect SOURCE`: the recipe of one Guix profile or image (a Guix system image's too),
 * or its SBOM / SLSA document.
 *
 * Exit status: 0 success, 2 usage, 3 no Guix profile found, 4 profile without provenance (for
 * `--output channels`), 130 interrupted (run-cli.ts), 1 anything else (from the code table in
 * shared/errors.ts).
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { RecipeError } from '../../../shared/errors.js';
import { formatPlatform, parsePlatform, platformMatches } from '../../../shared/content/platform.js';
import type { Platform } from '../../../shared/content/platform.js';
import { isIndexMediaType } from '../../../shared/content/media-types.js';
import { buildRecipe } from '../../../shared/guix/build-recipe.js';
import { renderText } from '../../../shared/guix/recipe-texts.js';
import { MANIFEST_STYLES } from '../../../shared/guix/export-manifest.js';
import type { ManifestStyle } from '../../../shared/guix/export-manifest.js';
import type { PrinterStyle } from '../../../shared/guix/sexp/pretty-print.js';
import type { Recipe } from '../../../shared/guix/recipe.js';
import { scanImage } from '../../../shared/scan/scan-image.js';
import { MemoryLayerCache } from '../../../shared/scan/layer-cache.js';
import type { ImageScan, ScanResult } from '../../../shared/scan/scan-result.js';
import type { Rebuild } from '../../../shared/scan/rebuild.js';
import { rebuildScript, type RebuildTexts } from '../../../shared/scan/rebuild-script.js';
import { NO_ARTIFACT, profileRebuild } from '../../../shared/scan/profile-rebuild.js';
import type { RegistryArtifact } from '../../../shared/scan/apptainer-artifact.js';
import type { CliIO } from '../cli-io.js';
import type { Command } from '../command.js';
import { argumentError, skopeoTlsFlag } from '../command-arguments.js';
import { formatJson } from '../json-output.js';
import { HELP_OPTION, QUIET_OPTION } from '../help-text.js';
import { progressDisplay } from '../progress-display.js';
import { readLocalProfile } from '../profile-source.js';
import type { ImageFacts } from '../summary.js';
import { formatSummary } from '../summary.js';
import { findTransport, TRANSPORTS } from '../transports.js';
import {
  ARCHIVE_SOURCES,
  findArchiveSource,
  formatArchiveFacts,
  scanArchiveSource,
} from '../archive-source.js';
import type { AttestSubject } from '../../../shared/attest/attest-input.js';
import {
  ATTESTATION_OUTPUTS,
  fileSubject,
  imageSubject,
  isAttestationOutput,
  profileSubject,
  scanTime,
} from '../attestation-output.js';
import type { AttestationOutput } from '../attestation-output.js';

/** What `--output` can ask for. */
export type InspectOutput =
  'summary' | 'channels' | 'manifest' | 'configuration' | 'json' | 'rebuild' | AttestationOutput;
const OUTPUTS: readonly InspectOutput[] = [
  'summary',
  'channels',
  'manifest',
  'configuration',
  'json',
  'rebuild',
  ...(Object.keys(ATTESTATION_OUTPUTS) as AttestationOutput[]),
];
const PRINTERS: readonly PrinterStyle[] = ['classic', 'modern'];
const DEFAULT_PLATFORM: Platform = { os: 'linux', architecture: 'amd64' };

const OPTIONS = {
  output: { type: 'string', short: 'o' },
  'manifest-style': { type: 'string' },
  printer: { type: 'string' },
  platform: { type: 'string' },
  'tls-verify': { type: 'string' },
  creds: { type: 'string' },
  authfile: { type: 'string' },
  'deep-scan': { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The parsed, validated options of one `inspect` run. */
export interface InspectOptions {
  source: string;
  /** Default `summary`. */
  output: InspectOutput;
  /** Default `pinned`. */
  manifestStyle: ManifestStyle;
  /** Default `classic`. */
  printer: PrinterStyle;
  /** Default linux/amd64. */
  platform: Platform;
  /** `--platform` was given: a single image of another platform is refused. Default false. */
  strictPlatform: boolean;
  /** Default true. */
  tlsVerify: boolean;
  creds?: string;
  authfile?: string;
  /** Default false. */
  deepScan: boolean;
  /** No progress display. Default false. */
  quiet: boolean;
  /**
   * The scan time SBOM and SLSA documents carry (ISO 8601): SOURCE_DATE_EPOCH, else the time the command
   * started. Set by `run` for those outputs only.
   */
  scannedAt?: string;
}

const transportLines = [...TRANSPORTS, ...ARCHIVE_SOURCES]
  .map((t) => `  ${t.syntax.padEnd(36)} ${t.description}`)
  .join('\n');

const HELP = `Usage: guix-recipes inspect SOURCE [OPTIONS...]

Print the reproduction recipe of a Guix profile or of a Guix-built image: the channels.scm and
manifest.scm that 'guix package --export-channels' / '--export-manifest' print for its profile, byte for
byte, without Guix and without Docker. For a Guix system image ('guix system image -t docker
--save-provenance'), the recipe is the system's own channels.scm and configuration.scm, as it stores them.

SOURCE, spelled as skopeo spells it:
  ${'profile:PATH'.padEnd(36)} a Guix profile directory (or a link to one), or its manifest file
${transportLines}

Options:
  -o, --output WHAT          what to print on standard output (default: summary)
                               summary   a short report for people: profile, channels, packages
                               channels  channels.scm, as 'guix package --export-channels' prints it
                               manifest  manifest.scm; as 'guix package --export-manifest' prints it
                                         with --manifest-style guix (the default style, pinned,
                                         adds @VERSION to every package)
                                         (not for a system image: its recipe is configuration.scm)
                               configuration
                                         configuration.scm of a Guix system image, as the system
                                         stores it (its channels.scm: --output channels)
                               json      the recipe as JSON (docs/recipe-schema.md); for an image, the
                                         scan of every platform, each with its recipe and rebuild
                               rebuild   a POSIX shell script that writes channels.scm and manifest.scm
                                         (a system image: configuration.scm), as the outputs above print
                                         them, and runs the guix pack (guix system image) command with
                                         every option the image reveals; the options it cannot reveal
                                         are listed in comments
                               cyclonedx CycloneDX 1.6 JSON SBOM (cyclonedx-1.6 says so explicitly;
                                         cyclonedx-1.7 for CycloneDX 1.7)
                               spdx      SPDX 2.3 JSON SBOM
                               slsa      in-toto Statement with a SLSA Provenance v1 predicate,
                                         recovered from the image (not issued by its builder)
                             SBOMs and SLSA statements are described in docs/sbom.md. One document, for
                             the platform --platform selects; for profile: sources the subject is the
                             profile and the digest of its manifest file. Their timestamps are the
                             scan time: now, or SOURCE_DATE_EPOCH (seconds since 1970) when it is set.
      --manifest-style STYLE pinned (default): every package as name@version, exact under
                               'guix time-machine'; guix: no version qualifiers, what Guix prints when
                               each package has a single version
      --printer PRINTER      classic (default): Guile <= 3.0.9's pretty-printer, as in every export file
                               seen so far; modern: Guile >= 3.0.10's (for channels and manifest output)
      --platform OS/ARCH[/VARIANT]
                             the platform to report for a multi-platform image (default: linux/amd64);
                               a single-platform image of another platform is refused when
                               --platform is given, reported whatever its platform otherwise; all
                               platforms for --output json
      --tls-verify=false     do not verify the registry's TLS certificate
      --creds USER:PASS      registry credentials
      --authfile FILE        registry credentials from a Docker config.json / containers auth.json
      --deep-scan            read the layers even of images whose configuration does not look like Guix
${QUIET_OPTION}
${HELP_OPTION}

Exit status:
  0  success
  1  any other failure (unreadable or malformed input, registry trouble, ...)
  2  usage error
  3  no Guix profile found
  4  the profile has no provenance, so no channels (with --output channels; Guix's own refusal:
     "no provenance information for this profile"); a system image built without --save-provenance
     (with --output channels, configuration or rebuild)
  130 interrupted (Ctrl-C)

Errors are reported as one line on standard error.

Examples:
  guix-recipes inspect profile:$HOME/.guix-profile --output manifest > manifest.scm
  guix-recipes inspect docker-archive:pack.tar.gz --output channels > channels.scm
  guix time-machine -C channels.scm -- pack -f docker --save-provenance -m manifest.scm
  guix-recipes inspect docker-archive:pack.tar.gz --output rebuild > rebuild.sh && sh rebuild.sh
  guix-recipes inspect sif:image.sif --output json   # with the 'guix pack -f squashfs' rebuild command
  guix-recipes inspect oras://registry.example/team/python:1.0 --output channels > channels.scm
  guix-recipes inspect docker://registry.example/team/app:1.0 --output cyclonedx > sbom.cdx.json
  guix-recipes inspect docker-archive:system.tar.gz --output configuration > configuration.scm
  guix time-machine -C channels.scm -- system image -t docker --save-provenance configuration.scm
`;

function oneOf<T extends string>(
  value: string | undefined,
  allowed: readonly T[],
  fallback: T,
  option: string,
): T {
  if (value === undefined) return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new RecipeError('usage', `--${option} must be one of ${allowed.join(', ')} (got '${value}')`);
}

/** Parse `inspect`'s arguments; RecipeError `usage` on anything wrong. */
export function parseInspectArgs(argv: string[]): InspectOptions {
  let parsed;
  try {
    parsed = parseArgs({ args: skopeoTlsFlag(argv), options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw argumentError('inspect', err);
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1) {
    throw new RecipeError(
      'usage',
      positionals.length === 0
        ? "inspect needs a SOURCE; see 'guix-recipes inspect --help'"
        : `inspect takes one SOURCE (got ${positionals.length})`,
    );
  }
  const tls = values['tls-verify'];
  if (tls !== undefined && tls !== 'true' && tls !== 'false')
    throw new RecipeError('usage', `--tls-verify must be true or false (got '${tls}')`);
  const creds = values.creds;
  if (creds !== undefined && !creds.includes(':'))
    throw new RecipeError('usage', '--creds must be USER:PASS');
  const opts: InspectOptions = {
    source: positionals[0]!,
    output: oneOf(values.output, OUTPUTS, 'summary', 'output'),
    manifestStyle: oneOf(values['manifest-style'], MANIFEST_STYLES, 'pinned', 'manifest-style'),
    printer: oneOf(values.printer, PRINTERS, 'classic', 'printer'),
    platform: values.platform === undefined ? DEFAULT_PLATFORM : parsePlatform(values.platform),
    strictPlatform: values.platform !== undefined,
    tlsVerify: tls !== 'false',
    deepScan: values['deep-scan'] ?? false,
    quiet: values.quiet ?? false,
  };
  if (creds !== undefined) opts.creds = creds;
  if (values.authfile !== undefined) opts.authfile = values.authfile;
  return opts;
}

/**
 * What to print for one recipe, by `--output` (json of an image is handled by the caller). `subject` is
 * what the recipe was recovered from, for the SBOM and SLSA outputs.
 */
async function renderRecipe(
  recipe: Recipe,
  rebuild: Rebuild,
  opts: InspectOptions,
  subject: AttestSubject | undefined,
  image?: ImageFacts,
): Promise<string> {
  if (isAttestationOutput(opts.output)) {
    if (subject === undefined) throw new RecipeError('internal', 'a document needs its subject');
    // The SBOM libraries load on use: the other outputs start without them.
    const { renderAttestation } = await import('../../../shared/attest/render-attestation.js');
    return renderAttestation(ATTESTATION_OUTPUTS[opts.output], {
      recipe,
      subject,
      scannedAt: opts.scannedAt ?? new Date().toISOString(),
    }).body;
  }
  switch (opts.output) {
    case 'channels':
      return renderText(recipe, { file: 'channels.scm', printer: opts.printer });
    case 'manifest':
      // A system image: a usage error saying why, and to ask for --output configuration.
      return renderText(recipe, { file: 'manifest.scm', style: opts.manifestStyle, printer: opts.printer });
    case 'configuration':
      return renderText(recipe, { file: 'configuration.scm' });
    case 'json':
      return formatJson(recipe);
    case 'rebuild':
      return rebuildScript(rebuild, scriptTexts(recipe, opts));
    case 'summary':
      return formatSummary(recipe, image, rebuild);
  }
}

/**
 * The texts the rebuild script writes: exactly what `--output channels` / `--output manifest` (a
 * system: `--output configuration`) print.
 */
function scriptTexts(recipe: Recipe, opts: InspectOptions): RebuildTexts {
  const texts: RebuildTexts = {};
  if (recipe.kind === 'system') {
    if (recipe.texts.configuration !== undefined)
      texts.configuration = renderText(recipe, { file: 'configuration.scm' });
  } else
    texts.manifest = renderText(recipe, {
      file: 'manifest.scm',
      style: opts.manifestStyle,
      printer: opts.printer,
    });
  if (recipe.channels.length > 0)
    texts.channels = renderText(recipe, { file: 'channels.scm', printer: opts.printer });
  return texts;
}

async function inspectProfile(
  path: string,
  opts: InspectOptions,
  io: CliIO,
  signal: AbortSignal,
): Promise<number> {
  const local = await readLocalProfile(path, { signal, cwd: io.cwd });
  let recipe: Recipe;
  try {
    recipe = buildRecipe(local.text, { profile: local.profile });
  } catch (err) {
    // Say which file: the reader's and decoder's messages know positions, not names.
    if (err instanceof RecipeError)
      throw new RecipeError(err.code, `${path}: ${err.message}`, {
        cause: err,
        ...(err.details ? { details: err.details } : {}),
      });
    throw err;
  }
  const rebuild = profileRebuild(recipe, null, NO_ARTIFACT);
  io.stdout.write(await renderRecipe(recipe, rebuild, opts, profileSubject(local)));
  return 0;
}

/** The result `--platform` asks for: the only one of a single image, else the matching one. */
export function selectResult(scan: ImageScan, platform: Platform): ScanResult {
  const only = scan.results[0];
  if (
    scan.results.length === 1 &&
    only !== undefined &&
    (!isIndexMediaType(scan.manifest.mediaType) || only.platform === undefined)
  ) {
    return only;
  }
  const match = scan.results.find((r) => platformMatches(r.platform, platform));
  if (match) return match;
  const have = scan.results.map((r) => (r.platform ? formatPlatform(r.platform) : 'unknown')).join(', ');
  throw new RecipeError(
    'platform-not-found',
    `the image has no ${formatPlatform(platform)} platform; it has: ${have || 'none'}`,
  );
}

function noProfile(
  r: Exclude<ScanResult, { kind: 'recipe' }>,
  source: string,
  deepScan: boolean,
): RecipeError {
  if (r.kind !== 'not-guix')
    return new RecipeError('no-guix-profile', `no Guix profile found in ${source}: ${r.reason}`);
  // Advice to deep-scan only where it was not done: after one, the layers were read and hold none.
  const advice = deepScan ? '' : '; --deep-scan reads its layers anyway';
  return new RecipeError(
    'no-guix-profile',
    `no Guix profile found in ${source}: not a Guix image (${r.reason})${advice}`,
  );
}

async function inspectImage(opts: InspectOptions, io: CliIO, signal: AbortSignal): Promise<number> {
  const found = findTransport(opts.source);
  if (found === undefined) {
    const known = [
      'profile:',
      ...TRANSPORTS.map((t) => t.prefix),
      ...ARCHIVE_SOURCES.map((a) => a.prefix),
    ].join(', ');
    throw new RecipeError('usage', `unknown source '${opts.source}': it must start with one of ${known}`);
  }
  const transportOptions = {
    signal,
    tlsVerify: opts.tlsVerify,
    cwd: io.cwd,
    env: io.env,
    ...(opts.creds === undefined ? {} : { creds: opts.creds }),
    ...(opts.authfile === undefined ? {} : { authfile: opts.authfile }),
  };
  const source = await found.transport.open(found.rest, transportOptions);
  const progress = progressDisplay(io, opts.quiet);
  try {
    const wantsAll = opts.output === 'json';
    let scan: ImageScan;
    try {
      scan = await scanImage(source, {
        signal,
        deepScan: opts.deepScan,
        // Platforms of an index often share layers: each is read once per run.
        layerCache: new MemoryLayerCache(),
        ...(wantsAll ? {} : { platform: opts.platform, strictPlatform: opts.strictPlatform }),
        ...(progress && { onProgress: progress.listener }),
      });
    } finally {
      progress?.stop();
    }
    if (wantsAll) {
      io.stdout.write(formatJson({ source: source.name, ...scan }));
      const firstMissing = scan.results.find((r) => r.kind !== 'recipe');
      if (!scan.results.some((r) => r.kind === 'recipe')) {
        throw firstMissing
          ? noProfile(firstMissing, source.name, opts.deepScan)
          : new RecipeError('no-guix-profile', `no Guix profile found in ${source.name}`);
      }
      return 0;
    }
    const result = selectResult(scan, opts.platform);
    if (result.kind !== 'recipe') throw noProfile(result, source.name, opts.deepScan);
    const facts: ImageFacts = {
      source: source.name,
      digest: result.manifest.digest,
      verified: result.verified,
    };
    if (result.platform) facts.platform = formatPlatform(result.platform);
    if (result.artifact) facts.artifact = artifactLine(result.artifact);
    const subject = imageSubject(opts.source, source.name, result.manifest, result.platform);
    io.stdout.write(await renderRecipe(result.recipe, result.rebuild, opts, subject, facts));
    return 0;
  } finally {
    await source.close?.();
  }
}

/** The summary's line about an artifact read from a registry: the file, and what reading it cost. */
function artifactLine(a: RegistryArtifact): string {
  const how =
    a.read.mode === 'ranges'
      ? `${a.read.requests} range request${a.read.requests === 1 ? '' : 's'}`
      : `${a.read.passes} streamed pass${a.read.passes === 1 ? '' : 'es'} (the registry ignores Range)`;
  return `${a.format}, layer ${a.layer.digest}, ${a.size} bytes: parsed ${a.read.bytesRead} through ${how}, hashed ${a.read.bytesHashed}`;
}

/** `sif:PATH` / `squashfs:PATH`: the recipe of an Apptainer image on disk, with the artifact's facts. */
async function inspectArchive(
  archive: Parameters<typeof scanArchiveSource>[0],
  opts: InspectOptions,
  io: CliIO,
  signal: AbortSignal,
): Promise<number> {
  const scan = await scanArchiveSource(archive, { signal, cwd: io.cwd });
  if (opts.output === 'json') io.stdout.write(formatJson({ source: opts.source, ...scan }));
  else if (opts.output === 'summary')
    io.stdout.write(
      formatArchiveFacts(opts.source, scan) + formatSummary(scan.recipe, undefined, scan.rebuild),
    );
  else {
    const subject = isAttestationOutput(opts.output)
      ? await fileSubject(opts.source, resolve(io.cwd, archive.path), signal)
      : undefined;
    io.stdout.write(await renderRecipe(scan.recipe, scan.rebuild, opts, subject));
  }
  return 0;
}

export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'print the recipe (channels.scm, manifest.scm, JSON, SBOM, SLSA) of a Guix profile or image',
  help: HELP,
  async run(argv, io) {
    const opts = parseInspectArgs(argv);
    if (isAttestationOutput(opts.output)) opts.scannedAt = scanTime(io.env);
    const signal = io.signal ?? new AbortController().signal;
    if (opts.source.startsWith('profile:'))
      return inspectProfile(opts.source.slice('profile:'.length), opts, io, signal);
    const archive = findArchiveSource(opts.source);
    if (archive !== undefined) return inspectArchive(archive, opts, io, signal);
    return inspectImage(opts, io, signal);
  },
};
