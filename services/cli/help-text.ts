/**
 * Pieces every command's `--help` shares, so that the texts say the same things the same way: the
 * option lines of `--quiet` and `--help` (aligned with the option columns of inspect and gate), and
 * the Examples section every command ends with (the test of the help texts holds them to it).
 */

/** The column option descriptions start at, in inspect's and gate's option lists. */
const DESCRIPTION_COLUMN = 29;

/** One option line: `  FLAGS  DESCRIPTION`, the description aligned with the others. */
export function optionLine(flags: string, description: string): string {
  const left = `  ${flags}`;
  return left.length + 1 > DESCRIPTION_COLUMN
    ? `${left}\n${' '.repeat(DESCRIPTION_COLUMN)}${description}`
    : `${left.padEnd(DESCRIPTION_COLUMN)}${description}`;
}

/** `-q, --quiet` of the commands that read images: what it silences. */
export const QUIET_OPTION = optionLine(
  '-q, --quiet',
  'no progress display (it is only drawn when standard error is a terminal)',
);

export const HELP_OPTION = optionLine('-h, --help', 'show this help');

/** The Examples section: one command per line, each indented, ending the help text. */
export function examplesSection(lines: readonly string[]): string {
  return `Examples:\n${lines.map((l) => `  ${l}`).join('\n')}\n`;
}
