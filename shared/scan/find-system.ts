/**
 * Where a Guix system image keeps its system directory (`/gnu/store/<hash>-system`), as
 * `system-docker-image` (Guix's `gnu/system/image.scm`) writes it: the entry point is
 * `(boot-program system)`, so its second element is the system directory; the root file system
 * holds `var/guix/profiles/system-1-link`, a link to it, which is all that is left when the entry
 * point was changed or dropped. Inside the system directory, `provenance-service-type` adds the
 * links `provenance`, `channels.scm` and `configuration.scm`, and `profile` is the system profile.
 */
import type { ImageConfigInfo } from './find-profile.js';
import { profileFromConfig } from './find-profile.js';

/** A system directory: nix-base32 hash, `-system`. */
const SYSTEM_DIR = /^\/?gnu\/store\/[0123456789abcdfghijklmnpqrsvwxyz]{32}-system$/;

/** The generation link `populate-root-file-system` writes, relative to the image root. */
export const SYSTEM_LINK = 'var/guix/profiles/system-1-link';

/** `/gnu/store/<hash>-system` (or the same without the leading `/`, or with a trailing one). */
export function isSystemDirectory(path: string): boolean {
  return SYSTEM_DIR.test(path.replace(/\/+$/, ''));
}

/**
 * The system directory the config's entry point names: its second element, when the first is not
 * in a profile (a `guix pack` entry point is) and the second is a system directory.
 */
export function systemFromConfig(cfg: ImageConfigInfo): string | null {
  const second = cfg.entrypoint[1];
  if (second === undefined || profileFromConfig(cfg) !== null || !isSystemDirectory(second)) return null;
  return `/${second.replace(/^\/+/, '').replace(/\/+$/, '')}`;
}

/** The image-root-relative path of an entry of the system directory `system` (`/gnu/store/...`). */
export function systemEntryPath(system: string, entry: string): string {
  return `${system.replace(/^\/+/, '')}/${entry}`;
}
