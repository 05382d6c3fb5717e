/**
 * Which profile a `guix pack -f squashfs` image runs, found the way the pack itself points at it,
 * then its `manifest` read. Guix's `squashfs-image` (guix/scripts/pack.scm) writes:
 *   - `/bin` -> `gnu/store/<profile>/bin` (always, unless `-S /bin=...` named another target);
 *   - `/.singularity.d/env/90-environment.sh` -> a store item whose text is `. <profile>/etc/profile`;
 *   - with `--entry-point=FILE`, `/.singularity.d/runscript` -> `../gnu/store/<profile>/FILE`;
 *   - `-S SOURCE=TARGET` symlinks to `<profile>/TARGET`; with `--localstatedir`, `/var/guix`.
 * The clues are tried in that order (a clue whose store item has no `manifest` is passed over); when
 * none names a profile, the `/gnu/store/*profile` directories holding a `manifest` are, and only a
 * single one is taken. Every path is resolved through the tree (symlinks followed, relative and
 * absolute, bounded); a `manifest` anywhere else is never read.
 */
import { RecipeError } from '../../errors.js';
import type { FileInode } from './inode-table.js';
import type { SquashfsImage } from './squashfs-image.js';
import { displayPath, normalize, resolvePath, symlinkChain } from './path-walk.js';
import type { WalkLimits } from './path-walk.js';

/** How the profile was found. */
export type ProfileClue = 'bin-symlink' | 'environment-script' | 'runscript' | 'store-listing';

/** A `-S SOURCE=TARGET` symlink found in the image (TARGET relative to the profile). */
export interface PackSymlink {
  source: string;
  target: string;
}

export interface PackProfile {
  /** `/gnu/store/<hash>-<name>`. */
  profile: string;
  foundBy: ProfileClue;
  /** What each clue present in the image named (null: it named no store item). */
  clues: { clue: ProfileClue; profile: string | null }[];
  /** The manifest's text (UTF-8). */
  manifestText: string;
  /** `--entry-point`, relative to the profile, when the runscript reveals it. */
  entryPoint: string | null;
  /** Symlinks from outside the store into the profile (`-S`), `/bin` included. */
  symlinks: PackSymlink[];
  /** Whether `/var/guix` is there (`--localstatedir`). */
  localstatedir: boolean;
}

export interface FindProfileOptions {
  signal: AbortSignal;
  /** Most bytes of the manifest read. */
  maxManifestBytes: number;
  walk?: Partial<WalkLimits>;
}

/** A store path: `/gnu/store/<nix-base32 hash>-<name>`, then what follows inside it. */
const STORE_PATH = /^\/gnu\/store\/([0123456789abcdfghijklmnpqrsvwxyz]{32}-[^/]+)(?:\/(.*))?$/;
/** A profile's store item name, for the listing fallback (as the Docker image scan takes it). */
const PROFILE_ITEM = /^[0123456789abcdfghijklmnpqrsvwxyz]{32}-[^/]*profile$/;
/** The environment script's line naming the profile. */
const SOURCE_PROFILE =
  /^\. (\/gnu\/store\/[0123456789abcdfghijklmnpqrsvwxyz]{32}-[^/\s]+)\/etc\/profile\s*$/m;
/** Most bytes of the environment script read (Guix's is one line). */
const MAX_ENV_SCRIPT_BYTES = 64 * 1024;
/** Root entries Guix's pack makes that are not `-S` symlinks, or that hold none. */
const PACK_ENTRIES = new Set(['gnu', '.singularity.d', 'proc', 'sys', 'dev', 'home', 'tmp', 'var']);
/** Bounds of the search for `-S` symlinks outside the store. */
const SYMLINK_SCAN_DEPTH = 3;
const SYMLINK_SCAN_ENTRIES = 256;

/** Find the pack's profile and read its manifest; no profile: `no-guix-profile`. */
export async function findPackProfile(img: SquashfsImage, opts: FindProfileOptions): Promise<PackProfile> {
  const walk = { signal: opts.signal, limits: opts.walk ?? {} };
  const clues: PackProfile['clues'] = [];
  const candidates: { clue: ProfileClue; profile: string }[] = [];
  const note = (clue: ProfileClue, profile: string | null): void => {
    clues.push({ clue, profile });
    if (profile !== null) candidates.push({ clue, profile });
  };

  const bin = await storeTarget(img, '/bin', walk);
  if (bin !== undefined) note('bin-symlink', bin?.item ?? null);
  // The first clue's manifest, when it has one, is the one read: it is read together with the
  // environment script, both files' blocks in image order (one forward pass over a streamed image).
  const binManifest = bin ? await manifestOf(img, bin.item, walk) : undefined;
  const manifestWhat = (profile: string): string => `${displayPath(profile)}/manifest`;
  const script = await environmentScript(img, walk);
  let preread: Uint8Array | undefined;
  let env: string | null | undefined = script === undefined ? undefined : null;
  if (script) {
    const asked = [{ file: script.file, maxBytes: MAX_ENV_SCRIPT_BYTES, what: script.path }];
    if (binManifest !== undefined)
      asked.push({ file: binManifest.file, maxBytes: opts.maxManifestBytes, what: manifestWhat(bin!.item) });
    const [text, manifest] = await img.readFiles(asked);
    env = SOURCE_PROFILE.exec(Buffer.from(text!).toString('latin1'))?.[1] ?? null;
    preread = manifest;
  }
  if (env !== undefined) note('environment-script', env);
  const run = await storeTarget(img, '/.singularity.d/runscript', walk);
  if (run !== undefined) note('runscript', run?.item ?? null);

  let chosen: { clue: ProfileClue; profile: string; manifest: ManifestFile } | undefined;
  for (const c of candidates) {
    const manifest = c.clue === 'bin-symlink' ? binManifest : await manifestOf(img, c.profile, walk);
    if (manifest !== undefined) {
      chosen = { ...c, manifest };
      break;
    }
  }
  if (chosen === undefined) {
    const listed = await listedProfiles(img, walk);
    if (listed.length === 1) chosen = { clue: 'store-listing', ...listed[0]! };
    else if (listed.length > 1)
      throw new RecipeError(
        'no-guix-profile',
        `several profiles in /gnu/store (${listed.map((p) => displayPath(p.profile)).join(', ')}) and nothing in the image says which one it runs`,
      );
  }
  if (chosen === undefined) {
    const said = clues
      .filter((c) => c.profile !== null)
      .map((c) => `${c.clue} names ${displayPath(c.profile!)}`);
    const store = await resolvePath(img, '/gnu/store', { ...walk, followFinal: true });
    throw new RecipeError(
      'no-guix-profile',
      `no /gnu/store/<hash>-profile/manifest in the squashfs image${said.length > 0 ? ` (${said.join('; ')}, which has no manifest)` : ''}`,
      // Whether the image looks like a Guix pack at all: a clue, or a store.
      { details: { packTraces: said.length > 0 || store?.inode.kind === 'directory' } },
    );
  }

  const bytes =
    chosen.clue === 'bin-symlink' && preread !== undefined
      ? preread
      : await img.readFile(chosen.manifest.file, {
          maxBytes: opts.maxManifestBytes,
          what: manifestWhat(chosen.profile),
        });
  let manifestText: string;
  try {
    manifestText = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (err) {
    throw new RecipeError('parse-error', `${displayPath(chosen.profile)}/manifest is not valid UTF-8`, {
      cause: err,
    });
  }
  const profile = chosen.profile;
  const entry = run?.item === profile ? run.rest : null;
  return {
    profile: displayPath(profile),
    foundBy: chosen.clue,
    clues: clues.map((c) => ({ clue: c.clue, profile: c.profile === null ? null : displayPath(c.profile) })),
    manifestText,
    entryPoint: entry === null || entry === '' ? null : displayPath(entry),
    symlinks: await packSymlinks(img, profile, walk),
    localstatedir:
      (await resolvePath(img, '/var/guix', { ...walk, followFinal: true }))?.inode.kind === 'directory',
  };
}

type Walk = { signal: AbortSignal; limits: Partial<WalkLimits> };
type ManifestFile = { file: FileInode };

/**
 * Where the symlink chain from `path` first enters the store: the store item, and the rest of the
 * path inside it. undefined: `path` is absent; null: it leads nowhere in the store.
 */
async function storeTarget(
  img: SquashfsImage,
  path: string,
  walk: Walk,
): Promise<{ item: string; rest: string } | null | undefined> {
  const first = await resolvePath(img, path, { ...walk, followFinal: false });
  if (first === undefined) return undefined;
  const { paths } = await symlinkChain(img, path, walk);
  for (const p of paths) {
    const m = STORE_PATH.exec(p);
    if (m !== null) return { item: `/gnu/store/${m[1]!}`, rest: m[2] ?? '' };
  }
  return null;
}

/**
 * The environment script (its text names the profile it sources); undefined when there is none,
 * null when it is not a regular file of a script's size (it names no profile then).
 */
async function environmentScript(
  img: SquashfsImage,
  walk: Walk,
): Promise<{ file: FileInode; path: string } | null | undefined> {
  const r = await resolvePath(img, '/.singularity.d/env/90-environment.sh', { ...walk, followFinal: true });
  if (r === undefined) return undefined;
  if (r.inode.kind !== 'file' || r.inode.size > MAX_ENV_SCRIPT_BYTES) return null;
  return { file: r.inode, path: r.path };
}

/** `<profile>/manifest`, when it resolves to a regular file. */
async function manifestOf(
  img: SquashfsImage,
  profile: string,
  walk: Walk,
): Promise<ManifestFile | undefined> {
  const r = await resolvePath(img, `${profile}/manifest`, { ...walk, followFinal: true });
  return r !== undefined && r.inode.kind === 'file' ? { file: r.inode } : undefined;
}

/** The `/gnu/store/*profile` items holding a manifest. */
async function listedProfiles(
  img: SquashfsImage,
  walk: Walk,
): Promise<{ profile: string; manifest: ManifestFile }[]> {
  const store = await resolvePath(img, '/gnu/store', { ...walk, followFinal: true });
  if (store === undefined || store.inode.kind !== 'directory') return [];
  const names: string[] = [];
  for await (const e of img.entries(store.inode)) {
    // Directories, or symlinks (a profile reached through a link).
    if (PROFILE_ITEM.test(e.name) && (e.type === 1 || e.type === 3)) names.push(e.name);
  }
  const out: { profile: string; manifest: ManifestFile }[] = [];
  for (const name of names) {
    const profile = `/gnu/store/${name}`;
    const manifest = await manifestOf(img, profile, walk);
    if (manifest !== undefined) out.push({ profile, manifest });
  }
  return out;
}

/**
 * Symlinks outside the store whose chain enters `profile`: `-S` options (and Guix's own `/bin`).
 * Looked for at the root and, bounded, in directories at the root that the pack does not make itself.
 */
async function packSymlinks(img: SquashfsImage, profile: string, walk: Walk): Promise<PackSymlink[]> {
  const out: PackSymlink[] = [];
  let seen = 0;
  const visit = async (dirPath: string, depth: number): Promise<void> => {
    const dir = await resolvePath(img, dirPath || '/', { ...walk, followFinal: false });
    if (dir === undefined || dir.inode.kind !== 'directory') return;
    const entries: { name: string; type: number }[] = [];
    for await (const e of img.entries(dir.inode)) {
      if (++seen > SYMLINK_SCAN_ENTRIES) return;
      if (depth === 0 && PACK_ENTRIES.has(e.name)) continue;
      entries.push({ name: e.name, type: e.type });
    }
    for (const e of entries) {
      const path = `${dirPath}/${e.name}`;
      if (e.type === 3) {
        const t = await storeTarget(img, path, walk);
        if (t && t.item === profile)
          out.push({ source: displayPath(normalize(path)), target: displayPath(t.rest) });
      } else if (e.type === 1 && depth + 1 < SYMLINK_SCAN_DEPTH) {
        await visit(path, depth + 1);
      }
    }
  };
  await visit('', 0);
  return out;
}
