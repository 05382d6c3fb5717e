/**
 * Platforms (`os/arch[/variant]`): as index entries state them, as `--platform` spells them, and
 * whether one satisfies another.
 */
import { RecipeError } from '../errors.js';

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
}

/** The platform picked from an index when none is named (the CLI's `--platform`, the API's `?platform=`). */
export const DEFAULT_PLATFORM = 'linux/amd64';

/** `os/arch[/variant]`, the spelling of `--platform` and of our keys. */
export function formatPlatform(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

/** The variant a platform means when it names none, as containerd normalises them (arm64 is v8, ...). */
function normalVariant(p: Platform): string | undefined {
  const v = p.variant === '' ? undefined : p.variant;
  if (p.architecture === 'arm64' && v === 'v8') return undefined;
  if (p.architecture === 'amd64' && v === 'v1') return undefined;
  if (p.architecture === 'arm' && v === undefined) return 'v7';
  return v;
}

/**
 * Does `have` (an index entry's platform) satisfy `want` (what the user asked for)? OS and
 * architecture must be equal; a variant is compared only when `want` names one, after normalising
 * the implied defaults (so `linux/arm64/v8` finds an `arm64` entry that states no variant).
 */
export function platformMatches(have: Platform | undefined, want: Platform): boolean {
  if (have === undefined || have.os !== want.os || have.architecture !== want.architecture) return false;
  if (want.variant === undefined || want.variant === '') return true;
  return normalVariant(have) === normalVariant(want);
}

export function parsePlatform(s: string): Platform {
  const parts = s.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((x) => !/^[a-z0-9._-]+$/i.test(x)))
    throw new RecipeError('usage', `not a platform (want OS/ARCH[/VARIANT]): ${s}`);
  const [os, architecture, variant] = parts as [string, string, string | undefined];
  return variant ? { os, architecture, variant } : { os, architecture };
}

/** A platform object from untrusted JSON (an index entry's); undefined when it is not one. */
export function platformFromJson(v: unknown): Platform | undefined {
  if (v === null || typeof v !== 'object') return undefined;
  const p = v as Record<string, unknown>;
  if (typeof p.os !== 'string' || typeof p.architecture !== 'string') return undefined;
  const out: Platform = { os: p.os, architecture: p.architecture };
  if (typeof p.variant === 'string') out.variant = p.variant;
  if (typeof p['os.version'] === 'string') out['os.version'] = p['os.version'];
  return out;
}
