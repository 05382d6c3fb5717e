/**
 * The rebuild script: a small POSIX shell script that writes the files its command reads
 * (`channels.scm`, and `manifest.scm` for a pack or `configuration.scm` for a system image: the texts
 * `inspect --output channels|manifest|configuration` print) into the current directory and runs the
 * rebuild command. `inspect --output rebuild` prints it and the API serves it
 * (`/v1/recipes/{digest}/rebuild.sh`): this one function makes both, so they are the same bytes.
 *
 * Each file is written by `cat` from a quoted here-document (`<<'DELIM'`: nothing in it is
 * expanded), whose delimiter is chosen so that no line of the text equals it. A here-document always
 * ends its text with a newline; a text that does not end with one (Guix's always do) goes through
 * `printf '%s' "$(cat <<'DELIM' ...)"`, whose command substitution drops that newline.
 * The options the artifact cannot reveal are listed in comments, made printable first.
 */
import { RecipeError } from '../errors.js';
import { CHANNELS_FILE, MANIFEST_FILE, shellQuote, SYSTEM_CONFIG_FILE, type Rebuild } from './rebuild.js';

/** The texts the script may write; each is written when the command reads its file. */
export interface RebuildTexts {
  channels?: string;
  manifest?: string;
  configuration?: string;
}

const DELIMITER = 'GUIX_RECIPES_EOF';

/** A here-document delimiter that is not a line of `text`. */
export function heredocDelimiter(text: string): string {
  const lines = new Set(text.split('\n'));
  let delim = DELIMITER;
  for (let n = 1; lines.has(delim); n++) delim = `${DELIMITER}_${n}`;
  return delim;
}

/** One line of comment text: control characters (newlines included) become `?`. */
function commentText(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '?');
}

function writeFile(name: string, text: string): string {
  if (text.includes('\0'))
    throw new RecipeError('internal', `${name} holds a NUL character, which a shell script cannot carry`);
  const file = shellQuote(name);
  if (text === '') return `: > ${file}\n`;
  const delim = heredocDelimiter(text);
  if (text.endsWith('\n')) return `cat > ${file} <<'${delim}'\n${text}${delim}\n`;
  return `printf '%s' "$(cat <<'${delim}'\n${text}\n${delim}\n)" > ${file}\n`;
}

/** The script (text ending with a newline). Throws `no-provenance` when the command reads a file
 *  whose text is not known (a system image without its configuration.scm). */
export function rebuildScript(rebuild: Rebuild, texts: RebuildTexts): string {
  const files: [string, string][] = [];
  for (const [name, text] of [
    [CHANNELS_FILE, texts.channels],
    [MANIFEST_FILE, texts.manifest],
    [SYSTEM_CONFIG_FILE, texts.configuration],
  ] as const) {
    if (!rebuild.command.includes(name)) continue;
    if (text === undefined) {
      const why = rebuild.unknown.find(
        (u) => u.option === name || (name === CHANNELS_FILE && u.option === 'channels'),
      );
      if (why !== undefined)
        throw new RecipeError('no-provenance', `no ${name} to rebuild from: ${why.reason}`);
      throw new RecipeError('internal', `the rebuild command reads ${name}, but there is none`);
    }
    files.push([name, text]);
  }
  let out = '#!/bin/sh\n';
  out += `# Rebuild with GNU Guix: writes ${files.map(([n]) => n).join(' and ')} here, then runs\n`;
  out += `# ${commentText(rebuild.text)}\n`;
  if (rebuild.unknown.length > 0) {
    out += "# Not known from what was read, so left to Guix's defaults:\n";
    for (const u of rebuild.unknown) out += `#   ${commentText(u.option)}: ${commentText(u.reason)}\n`;
  }
  out += 'set -eu\n';
  for (const [name, text] of files) out += writeFile(name, text);
  out += `${rebuild.text}\n`;
  return out;
}
