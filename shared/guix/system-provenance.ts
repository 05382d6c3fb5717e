/**
 * The files `provenance-service-type` (Guix's `gnu/services.scm`) stores in a system directory, read
 * without evaluating anything:
 *
 *  - `provenance`: `(provenance (version 0) (channels CHANNEL...) (configuration-file FILE))`, one
 *    line, each CHANNEL `(channel (name N) (url U) (branch B) (commit C))` (`channel->sexp`: no
 *    introduction). Read as `sexp->system-provenance` reads it: that exact shape, or nothing.
 *  - `channels.scm`: `object->pretty-string` of `(list CODE...)`, each CODE what `channel->code`
 *    writes: `(channel (name 'N) (url U) (branch B) (commit C) [(introduction
 *    (make-channel-introduction COMMIT (openpgp-fingerprint "FP")))])`. The text itself is the
 *    recipe and is reported as stored; it is also matched against that shape (never evaluated) to
 *    know the channels, for lookups, diffs and policies.
 */
import { isSym, Sym } from './sexp/datum.js';
import type { Datum } from './sexp/datum.js';
import { readDatum, type ReaderOptions } from './sexp/reader.js';
import { prettyPrint, type PrinterStyle } from './sexp/pretty-print.js';
import { exactInteger } from './exact-integer.js';
import { channelToCode } from './export-channels.js';
import { normaliseFingerprint } from './provenance.js';
import { isRecipeError } from '../errors.js';
import type { RecipeChannel, SystemProvenanceChannel, SystemProvenanceFile } from './recipe.js';

/** The entries `provenance-service-type` adds to a system directory. */
export const SYSTEM_PROVENANCE_ENTRY = 'provenance';
export const SYSTEM_CHANNELS_ENTRY = 'channels.scm';
export const SYSTEM_CONFIGURATION_ENTRY = 'configuration.scm';

/** Reader bounds for these small files (their size is capped before they are read). */
type ReaderBounds = Partial<ReaderOptions>;

/** `(KEY VALUE)` -> VALUE; undefined when `d` is not exactly that. */
function field(d: Datum | undefined, key: string): Datum | undefined {
  if (!Array.isArray(d)) return undefined;
  const f = d as readonly Datum[];
  return f.length === 2 && isSym(f[0], key) ? f[1] : undefined;
}

/** `d` when it is a proper list. */
function list(d: Datum | undefined): readonly Datum[] | undefined {
  return Array.isArray(d) ? (d as readonly Datum[]) : undefined;
}

/** A string, or null for `#f`; undefined for anything else. */
function stringOrFalse(d: Datum | undefined): string | null | undefined {
  if (typeof d === 'string') return d;
  return d === false ? null : undefined;
}

/**
 * The `provenance` file, as `sexp->system-provenance` reads it. Never throws: a text that does not
 * read is `unreadable`, a datum of another shape (a channel included) is `unrecognised`, each with
 * the reason.
 */
export function readProvenanceFile(text: string, bounds: ReaderBounds = {}): SystemProvenanceFile {
  let datum: Datum;
  try {
    datum = readDatum(text, bounds);
  } catch (err) {
    if (isRecipeError(err)) return { status: 'unreadable', reason: `not an s-expression: ${err.message}` };
    throw err;
  }
  const unrecognised = (why: string): SystemProvenanceFile => ({
    status: 'unrecognised',
    reason: `not Guix's (provenance (version 0) (channels ...) (configuration-file ...)): ${why}`,
  });
  if (!Array.isArray(datum)) return unrecognised('not a list');
  const [head, version, channels, config, ...rest] = datum as readonly Datum[];
  if (!isSym(head, 'provenance')) return unrecognised('it does not start with provenance');
  if (exactInteger(field(version, 'version')) !== 0n) return unrecognised('its version is not 0');
  if (rest.length > 0) return unrecognised('it has more than three fields');
  if (!Array.isArray(channels) || !isSym((channels as readonly Datum[])[0], 'channels'))
    return unrecognised('no (channels ...) field');
  const file = field(config, 'configuration-file');
  if (file === undefined) return unrecognised('no (configuration-file ...) field');
  const configurationFile = stringOrFalse(file);
  if (configurationFile === undefined)
    return unrecognised('the configuration file is neither a string nor #f');
  const out: SystemProvenanceChannel[] = [];
  for (const ch of (channels as readonly Datum[]).slice(1)) {
    const parsed = provenanceChannel(ch);
    if (parsed === null)
      return unrecognised(`a channel is not (channel (name N) (url U) (branch B) (commit C))`);
    out.push(parsed);
  }
  return { status: 'read', channels: out, configurationFile };
}

/** `sexp->channel` of gnu/services.scm: positional name, url, branch, commit, anything after. */
function provenanceChannel(d: Datum): SystemProvenanceChannel | null {
  if (!Array.isArray(d)) return null;
  const [head, name, url, branch, commit] = d as readonly Datum[];
  if (!isSym(head, 'channel')) return null;
  const n = field(name, 'name');
  const u = field(url, 'url');
  const b = stringOrFalse(field(branch, 'branch'));
  const c = stringOrFalse(field(commit, 'commit'));
  const nameText = n instanceof Sym ? n.name : typeof n === 'string' ? n : undefined;
  if (nameText === undefined || typeof u !== 'string' || b === undefined || c === undefined) return null;
  return { name: nameText, url: u, branch: b, commit: c };
}

/**
 * The channels of a system's `channels.scm`, matched against what `channel->code` writes (fields in
 * any order, each at most once); a string saying why when the text is not of that shape. Never
 * evaluates and never throws on hostile text.
 */
export function readSystemChannels(text: string, bounds: ReaderBounds = {}): RecipeChannel[] | string {
  let datum: Datum;
  try {
    datum = readDatum(text, bounds);
  } catch (err) {
    if (isRecipeError(err)) return `not an s-expression: ${err.message}`;
    throw err;
  }
  if (!Array.isArray(datum) || !isSym((datum as readonly Datum[])[0], 'list'))
    return 'not a (list (channel ...) ...) form';
  const out: RecipeChannel[] = [];
  for (const code of (datum as readonly Datum[]).slice(1)) {
    const ch = channelFromCode(code);
    if (typeof ch === 'string') return ch;
    out.push(ch);
  }
  return out;
}

function channelFromCode(code: Datum): RecipeChannel | string {
  if (!Array.isArray(code) || !isSym((code as readonly Datum[])[0], 'channel'))
    return 'an element of the list is not a (channel ...) form';
  const fields = new Map<string, Datum>();
  for (const f of (code as readonly Datum[]).slice(1)) {
    if (!Array.isArray(f) || f.length !== 2 || !(f[0] instanceof Sym) || fields.has(f[0].name))
      return 'a channel field is not (KEY VALUE), or is repeated';
    fields.set(f[0].name, f[1] as Datum);
  }
  const quoted = list(fields.get('name'));
  const name =
    quoted !== undefined && quoted.length === 2 && isSym(quoted[0], 'quote') && quoted[1] instanceof Sym
      ? quoted[1].name
      : undefined;
  const url = fields.get('url');
  const branch = fields.has('branch') ? stringOrFalse(fields.get('branch')) : null;
  const commit = fields.has('commit') ? stringOrFalse(fields.get('commit')) : null;
  if (name === undefined) return "a channel's name is not (name 'SYMBOL)";
  if (typeof url !== 'string') return `channel ${name}: its url is not a string`;
  if (branch === undefined) return `channel ${name}: its branch is neither a string nor #f`;
  if (commit === undefined) return `channel ${name}: its commit is neither a string nor #f`;
  let introduction: RecipeChannel['introduction'] = null;
  if (fields.has('introduction')) {
    introduction = introductionFromCode(fields.get('introduction')!);
    if (introduction === null) return `channel ${name}: its introduction is not Guix's form`;
  }
  for (const k of fields.keys())
    if (!['name', 'url', 'branch', 'commit', 'introduction'].includes(k))
      return `channel ${name}: unknown field ${k}`;
  return { name, url, branch, commit, introduction, commits: [commit] };
}

/** `(make-channel-introduction COMMIT (openpgp-fingerprint "FP"))`. */
function introductionFromCode(datum: Datum): RecipeChannel['introduction'] {
  const d = list(datum);
  if (d === undefined || d.length !== 3 || !isSym(d[0], 'make-channel-introduction')) return null;
  const commit = d[1];
  const fp = list(d[2]);
  if (typeof commit !== 'string' || fp === undefined || fp.length !== 2) return null;
  if (!isSym(fp[0], 'openpgp-fingerprint') || typeof fp[1] !== 'string') return null;
  const signer = normaliseFingerprint(fp[1]);
  return signer === null ? null : { commit, signer };
}

/** The channels of a `provenance` file as Recipe channels (no introduction: the file has none). */
export function provenanceChannels(channels: readonly SystemProvenanceChannel[]): RecipeChannel[] {
  return channels.map((c) => ({ ...c, introduction: null, commits: [c.commit] }));
}

/**
 * The `channels.scm` Guix would store for these channels: `object->pretty-string` of
 * `(list CODE...)`, ending with a newline. With `classic` (Guile <= 3.0.9) and channels read from
 * a stored file, it gives that file back.
 */
export function systemChannelsText(channels: readonly RecipeChannel[], printer: PrinterStyle): string {
  const list: Datum = [new Sym('list'), ...channels.map((c) => channelToCode(c))];
  return prettyPrint(list, { printer });
}
