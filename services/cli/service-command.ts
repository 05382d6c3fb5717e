/**
 * The long-running commands (`serve`, `worker`, `start`) share their arguments (`--quiet`, `--help`),
 * the shape of their help text and their run: run-service.ts, loaded on use so that `inspect` stays
 * quick to start. Each command file says only what it runs and how to describe it.
 */
import { parseArgs } from 'node:util';
import { RecipeError } from '../../shared/errors.js';
import type { Command } from './command.js';
import { examplesSection, HELP_OPTION, optionLine } from './help-text.js';
import type { RunServiceOptions } from './run-service.js';

export interface ServiceCommandSpec {
  name: string;
  summary: string;
  /** What it does, as paragraphs of the help text (each line at most 100 characters). */
  about: string;
  /** What it runs. */
  modes: Omit<RunServiceOptions, 'quiet'>;
  examples: readonly string[];
}

const LOG_NOTE =
  'The log goes to standard output: readable lines on a terminal, one JSON object a line otherwise\n' +
  '(GUIX_RECIPES_LOG_FORMAT=json|pretty decides instead). Standard error carries only the error the\n' +
  'process ends with, if any. Stops gracefully on SIGTERM or SIGINT.';

export function serviceCommand(spec: ServiceCommandSpec): Command {
  return {
    name: spec.name,
    summary: spec.summary,
    help:
      `Usage: guix-recipes ${spec.name} [--quiet]\n\n${spec.about.trimEnd()}\n\n${LOG_NOTE}\n\n` +
      `Options:\n${optionLine('-q, --quiet', 'log warnings and errors only')}\n${HELP_OPTION}\n\n` +
      examplesSection(spec.examples),
    async run(argv, io) {
      let quiet: boolean;
      try {
        const { values } = parseArgs({
          args: argv,
          options: { quiet: { type: 'boolean', short: 'q' } },
          allowPositionals: false,
          strict: true,
        });
        quiet = values.quiet ?? false;
      } catch (err) {
        throw new RecipeError(
          'usage',
          `${spec.name} takes no arguments but --quiet (got ${argv.join(' ')}); configure it with environment variables, see 'guix-recipes ${spec.name} --help'`,
          { cause: err },
        );
      }
      const { runService } = await import('./run-service.js');
      return runService({ ...spec.modes, quiet }, io);
    },
  };
}
