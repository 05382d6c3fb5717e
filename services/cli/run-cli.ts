/**
 * The `guix-recipes` command line, in-process: `runCli(argv, io)` resolves to the exit status and never
 * throws. Every failure becomes exactly one line on stderr (`guix-recipes: MESSAGE`), never a stack trace;
 * this is the one place where errors meet exit codes.
 */
import { packageInfo } from '../../shared/package-info.js';
import { toRecipeError } from '../../shared/errors.js';
import type { CliIO } from './cli-io.js';
import { printable } from './terminal-text.js';
import type { Command } from './command.js';
import { allCommands, findCommand } from './commands/index.js';

export type { CliIO } from './cli-io.js';

const PROGRAM = 'guix-recipes';

/** Exit status after an interrupt (SIGINT), as shells report a command killed by it: 128 + 2. */
export const EXIT_INTERRUPTED = 130;

async function mainHelp(): Promise<string> {
  const commands = await allCommands();
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return (
    `Usage: ${PROGRAM} COMMAND [OPTIONS...]\n\n` +
    'Recover the reproduction recipe (channels.scm + manifest.scm) of Guix-built profiles and images,\n' +
    'without Guix and without Docker.\n\n' +
    `Commands:\n${lines.join('\n')}\n\n` +
    `Run '${PROGRAM} COMMAND --help' for the options of a command.\n`
  );
}

function version(): string {
  return packageInfo().version;
}

/** One line, whatever the message holds (a hostile file name could carry newlines or escapes). */
export function errorLine(message: string): string {
  const clean = printable(message.trim());
  return `${PROGRAM}: ${clean === '' ? 'failed' : clean}\n`;
}

/** Run the CLI with `argv` (the arguments after the program name). Resolves to the exit status. */
export async function runCli(argv: string[], io: CliIO): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h') {
    (first === undefined ? io.stderr : io.stdout).write(await mainHelp());
    return first === undefined ? 2 : 0;
  }
  if (first === '--version' || first === '-V') {
    io.stdout.write(`${PROGRAM} ${version()}\n`);
    return 0;
  }
  if (first === 'help') {
    const target = rest[0] === undefined ? undefined : await findCommand(rest[0]);
    if (rest[0] !== undefined && target === undefined) {
      io.stderr.write(errorLine(`unknown command '${rest[0]}'; run '${PROGRAM} --help' for the list`));
      return 2;
    }
    io.stdout.write(target === undefined ? await mainHelp() : target.help);
    return 0;
  }
  const command = await findCommand(first);
  if (command === undefined) {
    io.stderr.write(errorLine(`unknown command '${first}'; run '${PROGRAM} --help' for the list`));
    return 2;
  }
  const dashdash = rest.indexOf('--');
  const options = dashdash === -1 ? rest : rest.slice(0, dashdash);
  if (options.includes('--help') || options.includes('-h')) {
    io.stdout.write(command.help);
    return 0;
  }
  return runCommand(command, rest, io);
}

async function runCommand(command: Command, argv: string[], io: CliIO): Promise<number> {
  try {
    return await command.run(argv, io);
  } catch (err) {
    // Whatever the interrupted call threw (an AbortError, a timeout it raced with), the user pressed
    // Ctrl-C: say so, not what it broke.
    if (io.signal?.aborted) {
      io.stderr.write(errorLine('interrupted'));
      return EXIT_INTERRUPTED;
    }
    const e = toRecipeError(err);
    io.stderr.write(errorLine(e.message));
    return command.exitCodeFor ? command.exitCodeFor(e) : e.exitCode;
  }
}
