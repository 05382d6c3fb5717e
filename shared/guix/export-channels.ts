/**
 * `guix package --export-channels`, byte for byte: which channels a profile's
 * top-level entries come from, and the channels.scm text Guix prints for them.
 */
import { RecipeError } from '../errors.js';
import { sym } from './sexp/datum.js';
import type { Datum } from './sexp/datum.js';
import { prettyPrint } from './sexp/pretty-print.js';
import type { PrinterStyle } from './sexp/pretty-print.js';
import { writeDatum } from './sexp/writer.js';
import type { Channel } from './provenance.js';
import type { RecipeChannel } from './recipe.js';

/** Guix's header (English, as `G_` leaves it without a translation), then an empty line. */
export const CHANNELS_HEADER =
  ";; This channel file can be passed to 'guix pull -C' or to\n" +
  ";; 'guix time-machine -C' to obtain the Guix revision that was\n" +
  ';; used to populate this profile.\n' +
  '\n';

const INDENT = '     ';
const NOTE = ';; Note: these other commits were also used to install some of the packages in this profile:';

/** Guix's refusal when no top-level entry has usable provenance. */
export function noProvenanceError(): RecipeError {
  return new RecipeError('no-provenance', 'no provenance information for this profile');
}

/**
 * The exported channel groups, from each top-level entry's provenance (in entry order), as Guix's
 * `export-channels` computes them: `delete-duplicates` with its `channel=?` (both commits strings and
 * equal, whatever the name or URL: the first occurrence stays; a `#f` commit equals nothing, not even
 * another `#f`), then grouped by name in order of first appearance. Each group's first channel is the
 * one exported (without a commit when it is `#f`); `commits` lists the group's commits, first one first
 * (the rest go into the `;; Note:` lines).
 */
export function collectChannels(provenances: readonly (readonly Channel[])[]): RecipeChannel[] {
  const seenCommits = new Set<string>();
  const groups = new Map<string, RecipeChannel>();
  for (const channels of provenances) {
    for (const ch of channels) {
      if (ch.commit !== null) {
        if (seenCommits.has(ch.commit)) continue;
        seenCommits.add(ch.commit);
      }
      const group = groups.get(ch.name);
      if (group === undefined) {
        groups.set(ch.name, {
          name: ch.name,
          url: ch.url,
          branch: ch.branch,
          commit: ch.commit,
          introduction: ch.introduction === null ? null : { ...ch.introduction },
          commits: [ch.commit],
        });
      } else {
        group.commits.push(ch.commit);
      }
    }
  }
  return [...groups.values()];
}

/**
 * `channel->code` with its introduction: the `(channel ...)` form Guix prints. Its `(commit ...)` line
 * only when the commit is not #f (null), its `(introduction ...)` only when there is one.
 */
export function channelToCode(ch: Omit<RecipeChannel, 'commits'>): Datum {
  const form: Datum[] = [
    sym('channel'),
    [sym('name'), [sym('quote'), sym(ch.name)]],
    [sym('url'), ch.url],
    [sym('branch'), ch.branch ?? false],
  ];
  if (ch.commit !== null) form.push([sym('commit'), ch.commit]);
  if (ch.introduction !== null) {
    form.push([
      sym('introduction'),
      [
        sym('make-channel-introduction'),
        ch.introduction.commit,
        [sym('openpgp-fingerprint'), ch.introduction.signer],
      ],
    ]);
  }
  return form;
}

/** Options of `exportChannels`. */
export interface ExportChannelsOptions {
  /** Which Guile pretty-printer to imitate. Default `classic` (Guile <= 3.0.9). */
  printer?: PrinterStyle;
}

/** The channels.scm text; throws RecipeError `no-provenance` (Guix's words) when `channels` is empty. */
export function exportChannels(channels: readonly RecipeChannel[], opts: ExportChannelsOptions = {}): string {
  if (channels.length === 0) throw noProvenanceError();
  const printer = opts.printer ?? 'classic';
  let out = CHANNELS_HEADER + '(list\n';
  for (const ch of channels) {
    const extra = ch.commits.slice(1);
    if (extra.length > 0) {
      out += `${INDENT}${NOTE}\n`;
      // `~s`: a commit string written with its quotes, a #f commit as `#f`.
      for (const c of extra) out += `${INDENT};;   ${writeDatum(c ?? false)}\n`;
    }
    out += prettyPrint(channelToCode(ch), { printer, perLinePrefix: INDENT });
  }
  return out + ')\n';
}
