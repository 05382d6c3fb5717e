/**
 * Channels from a manifest entry's `provenance` property, as `manifest-entry-provenance` (guix/describe.scm)
 * and `sexp->channel` (guix/channels.scm) compute them.
 *
 * `sexp->channel` is positional and strict: `(repository (version 0) (url U) (branch B) (commit C) REST...)`,
 * with `name` and `introduction` looked up in REST. Where Guix itself would raise on a malformed
 * repository (a `(name ...)` or `(introduction ...)` of the wrong arity) we treat the repository as
 * unparseable instead: hostile input must never crash a scan. A malformed introduction (Guix raises)
 * leaves the channel without one. A `#f` commit is kept (null): Guix reads it, `channel->code` prints the
 * channel without its `(commit ...)` line and `channel=?` never merges it. Guix accepts ANY datum as URL,
 * branch, commit or name and prints it back; our channels hold strings and symbol names, so a non-string
 * URL, a commit neither string nor #f, a branch neither string nor #f, or a non-symbol name makes the
 * repository unparseable too (docs/recipe-schema.md lists these limits).
 */
import { DottedList, isSym, Sym } from './sexp/datum.js';
import type { Datum } from './sexp/datum.js';
import { assq, assqRef } from './alist.js';
import { exactInteger } from './exact-integer.js';
import type { ManifestEntry } from './manifest.js';

/** A channel introduction: the first signed commit and its signer's OpenPGP fingerprint (formatted). */
export interface ChannelIntroduction {
  commit: string;
  /** As `openpgp-format-fingerprint` prints it: `XXXX XXXX XXXX XXXX XXXX  XXXX XXXX XXXX XXXX XXXX`. */
  signer: string;
}

/** A `<channel>` as recorded in provenance. */
export interface Channel {
  name: string;
  url: string;
  /** null when recorded as `#f`. */
  branch: string | null;
  /** null when recorded as `#f`. */
  commit: string | null;
  introduction: ChannelIntroduction | null;
}

/**
 * `sexp->channel`: the channel of one `repository` sexp, `fallbackName` when it has no `(name SYM)`;
 * null when the sexp does not parse.
 */
export function sexpToChannel(sexp: Datum, fallbackName: string): Channel | null {
  if (!Array.isArray(sexp)) return null;
  const [head, version, url, branch, commit, ...rest] = sexp as readonly Datum[];
  if (!isSym(head, 'repository')) return null;
  const u = fieldValue(url, 'url');
  const b = fieldValue(branch, 'branch');
  const c = fieldValue(commit, 'commit');
  if (!isZero(fieldValue(version, 'version'))) return null;
  if (typeof u !== 'string' || (typeof c !== 'string' && c !== false)) return null;
  if (typeof b !== 'string' && b !== false) return null;

  let name = fallbackName;
  const nameField = assq(rest, 'name');
  if (nameField !== undefined) {
    if (nameField instanceof DottedList || nameField.length !== 2 || !(nameField[1] instanceof Sym))
      return null;
    name = nameField[1].name;
  }

  let introduction: ChannelIntroduction | null = null;
  const introField = assq(rest, 'introduction');
  if (introField !== undefined) {
    if (introField instanceof DottedList || introField.length !== 2) return null;
    introduction = sexpToChannelIntroduction(introField[1]!);
  }
  return { name, url: u, branch: b === false ? null : b, commit: c === false ? null : c, introduction };
}

/**
 * `sexp->channel-introduction`: `(channel-introduction (version 0) (commit C) (signer S) _ ...)`, the
 * signer normalised; null when it does not match or the signer is not a 20-byte fingerprint.
 */
export function sexpToChannelIntroduction(sexp: Datum): ChannelIntroduction | null {
  if (!Array.isArray(sexp)) return null;
  const [head, version, commit, signer] = sexp as readonly Datum[];
  if (!isSym(head, 'channel-introduction') || !isZero(fieldValue(version, 'version'))) return null;
  const c = fieldValue(commit, 'commit');
  const s = fieldValue(signer, 'signer');
  if (typeof c !== 'string' || typeof s !== 'string') return null;
  const formatted = normaliseFingerprint(s);
  return formatted === null ? null : { commit: c, signer: formatted };
}

/**
 * `openpgp-fingerprint` then `openpgp-format-fingerprint`: keep the hex digits, upper-case them, print the
 * first 20 bytes as 10 groups of 4 with two spaces in the middle. null when there are fewer than 20 bytes
 * or an odd number of digits (Guix would raise).
 */
export function normaliseFingerprint(s: string): string | null {
  const hex = s.replace(/[^0-9a-fA-F]/g, '').toUpperCase();
  if (hex.length % 2 !== 0 || hex.length < 40) return null;
  const groups = [];
  for (let i = 0; i < 10; i++) groups.push(hex.slice(i * 4, i * 4 + 4));
  return `${groups.slice(0, 5).join(' ')}  ${groups.slice(5).join(' ')}`;
}

/**
 * `manifest-entry-provenance`: the entry's channels, main (fallback name `guix`) first, then the extras
 * that parse (fallback names `channel1`, `channel2`, ..., counting only extras that parse). [] when there
 * is no provenance or the main repository does not parse.
 */
export function entryProvenance(entry: Pick<ManifestEntry, 'properties'>): Channel[] {
  const prov = assqRef(entry.properties, 'provenance');
  if (!Array.isArray(prov) || prov.length === 0) return [];
  const [mainSexp, ...extras] = prov as readonly Datum[];
  const main = sexpToChannel(mainSexp!, 'guix');
  if (main === null) return [];
  const channels = [main];
  let counter = 1;
  for (const extra of extras) {
    const ch = sexpToChannel(extra, `channel${counter}`);
    if (ch !== null) {
      channels.push(ch);
      counter++;
    }
  }
  return channels;
}

/** The value of a `(KEY VALUE)` field, or undefined when `d` is not exactly that. */
function fieldValue(d: Datum | undefined, key: string): Datum | undefined {
  if (!Array.isArray(d)) return undefined;
  const f = d as readonly Datum[];
  return f.length === 2 && isSym(f[0], key) ? f[1] : undefined;
}

/** The exact integer 0, however written (what `('version 0)` matches with equal?: `0`, `#x0`, `#e0.0`). */
function isZero(d: Datum | undefined): boolean {
  return exactInteger(d) === 0n;
}
