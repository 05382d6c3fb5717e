/**
 * The rebuild: the `guix` command that makes an artifact again from its exported `channels.scm` and
 * `manifest.scm`, one model for every kind of artifact. The options are data, each recovered from
 * the artifact (docker-pack-options.ts for `guix pack -f docker`, squashfs-pack-options.ts for
 * `guix pack -f squashfs`, system-image-options.ts for `guix system image -t docker`); the argv and
 * the shell line are rendered from them here only, so every kind prints its options the same way.
 *
 * An option is in `options` only when the artifact revealed it, with its value (Guix's default
 * included: `compression: 'gzip'`, `maxLayers: null`); one the artifact cannot reveal is absent
 * from `options`, is listed in `unknown` with the reason, and is left out of the command (Guix then
 * uses its default). The command never guesses.
 */

/** What Guix builds: a `guix pack`, or a `guix system image`. */
export type RebuildKind = 'pack' | 'system-image';

/** `guix pack -C` compressors (Guix's `gnu/compression.scm`); `gzip` is the default. */
export type PackCompression = 'gzip' | 'lzip' | 'xz' | 'bzip2' | 'zstd' | 'none';

/** `-S SOURCE=TARGET`: a symlink SOURCE to TARGET, relative to the profile (`""`: the profile). */
export interface RebuildSymlink {
  source: string;
  target: string;
}

/** Every option the command can carry; see the module comment for present vs absent. */
export interface RebuildOptions {
  /** `--entry-point=FILE`, relative to the profile; null: no entry point. */
  entryPoint?: string | null;
  /** `--entry-point-argument=ARG` (`-A`), in order; [] when none. */
  entryPointArguments?: string[];
  /** `-S SOURCE=TARGET`, in the order the artifact holds them; [] when none. */
  symlinks?: RebuildSymlink[];
  /** `--max-layers=N`; null: a single-layer image (no `--max-layers`). */
  maxLayers?: number | null;
  /** `--image-tag=NAME`; null: Guix's default name (the manifest's friendly name). */
  imageTag?: string | null;
  /** `--localstatedir`. */
  localStateDir?: boolean;
  /** `-C TOOL`; `gzip` (Guix's default) is not written. */
  compression?: PackCompression;
  /** `-R` or `-RR`; null: not relocatable. */
  relocatable?: 'R' | 'RR' | null;
  /** `--system=SYSTEM`, e.g. `x86_64-linux`. */
  system?: string;
  /** `--save-provenance`: the manifest records provenance (a system: it stores its provenance
   *  files), so the command runs under `guix time-machine -C channels.scm` (a system recording no
   *  channels: without it, `channels` then being unknown). Without it there is no channels.scm. */
  saveProvenance?: boolean;
}

/** An option the artifact cannot reveal: its name as the command spells it, and why. */
export interface UnknownOption {
  option: string;
  reason: string;
}

/** How to make the artifact again. Plain JSON data (part of `--output json` and the API). */
export interface Rebuild {
  kind: RebuildKind;
  /** `-f` of a pack (`docker`, `squashfs`, ...), `-t` of a system image; null when unknown (a profile
   *  on disk is no artifact). */
  format: string | null;
  options: RebuildOptions;
  unknown: UnknownOption[];
  /** The argv. */
  command: string[];
  /** The same as one POSIX shell line, quoted where needed. */
  text: string;
}

/** The files the command reads, as `inspect --output channels|manifest|configuration` writes them. */
export const CHANNELS_FILE = 'channels.scm';
export const MANIFEST_FILE = 'manifest.scm';
/** The operating-system declaration a system image is rebuilt from, as the system stores it. */
export const SYSTEM_CONFIG_FILE = 'configuration.scm';

/** The Rebuild of these facts: the command rendered from the options. */
export function makeRebuild(facts: {
  kind: RebuildKind;
  format: string | null;
  options: RebuildOptions;
  unknown: UnknownOption[];
}): Rebuild {
  const command = argvOf(facts.kind, facts.format, facts.options, facts.unknown);
  return {
    kind: facts.kind,
    format: facts.format,
    options: facts.options,
    unknown: facts.unknown,
    command,
    text: command.map(shellQuote).join(' '),
  };
}

function argvOf(
  kind: RebuildKind,
  format: string | null,
  o: RebuildOptions,
  unknown: readonly UnknownOption[],
): string[] {
  if (kind === 'system-image') {
    // A system that saved its provenance may still record no channels: no time machine then.
    const channels = o.saveProvenance === true && !unknown.some((u) => u.option === NO_PROVENANCE.option);
    const argv = channels ? ['guix', 'time-machine', '-C', CHANNELS_FILE, '--'] : ['guix'];
    argv.push('system', 'image');
    if (format !== null) argv.push('-t', format);
    if (o.system !== undefined) argv.push(`--system=${o.system}`);
    if (o.maxLayers !== undefined && o.maxLayers !== null) argv.push(`--max-layers=${o.maxLayers}`);
    if (o.saveProvenance) argv.push('--save-provenance');
    argv.push(SYSTEM_CONFIG_FILE);
    return argv;
  }
  const argv = o.saveProvenance ? ['guix', 'time-machine', '-C', CHANNELS_FILE, '--'] : ['guix'];
  argv.push('pack');
  if (format !== null) argv.push('-f', format);
  if (o.compression !== undefined && o.compression !== 'gzip') argv.push('-C', o.compression);
  if (o.relocatable === 'R' || o.relocatable === 'RR') argv.push(`-${o.relocatable}`);
  if (o.system !== undefined) argv.push(`--system=${o.system}`);
  if (o.entryPoint !== undefined && o.entryPoint !== null) argv.push(`--entry-point=${o.entryPoint}`);
  for (const a of o.entryPointArguments ?? []) argv.push(`--entry-point-argument=${a}`);
  for (const s of o.symlinks ?? []) argv.push('-S', `${s.source}=${s.target}`);
  if (o.maxLayers !== undefined && o.maxLayers !== null) argv.push(`--max-layers=${o.maxLayers}`);
  if (o.imageTag !== undefined && o.imageTag !== null) argv.push(`--image-tag=${o.imageTag}`);
  if (o.localStateDir === true) argv.push('--localstatedir');
  if (o.saveProvenance) argv.push('--save-provenance');
  argv.push('-m', MANIFEST_FILE);
  return argv;
}

/** One word for a POSIX shell: as is when safe, else single-quoted. */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The unknown entry for the Guix revision of a profile (or system) without provenance. */
export const NO_PROVENANCE: UnknownOption = {
  option: 'channels',
  reason: 'the profile records no provenance, so there is no channels.scm: the Guix revision is unknown',
};

/** Unknown for every pack: grafting leaves no trace. */
export const NO_GRAFTS_UNKNOWN: UnknownOption = {
  option: '--no-grafts',
  reason: 'grafting leaves no trace in the profile manifest',
};
