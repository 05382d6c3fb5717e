/**
 * One subcommand of `guix-recipes`. Commands are registered in commands/index.ts; run-cli.ts parses the
 * command name, handles `--help`, and maps any error thrown by `run` to one stderr line and an exit code.
 */
import type { RecipeError } from '../../shared/errors.js';
import type { CliIO } from './cli-io.js';

export interface Command {
  /** The word after `guix-recipes`, e.g. `inspect`. */
  name: string;
  /** One line for the command list of `guix-recipes --help`. */
  summary: string;
  /** The full `--help` text (ends with a newline). */
  help: string;
  /** Run with the arguments after the command name; resolves to the exit status. */
  run(argv: string[], io: CliIO): Promise<number>;
  /** Exit status for an error (default: `err.exitCode`, from the table in shared/errors.ts). */
  exitCodeFor?(err: RecipeError): number;
}
