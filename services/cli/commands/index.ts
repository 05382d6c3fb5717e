/**
 * Every `guix-recipes` command, in the order `--help` lists them, each loaded only when it is asked
 * for: a command's module (and what it imports) costs start-up time, and `inspect` must start as fast
 * as the work it does allows. A new command is a commands/<name>.ts exporting a Command, with its
 * loader here.
 */
import type { Command } from '../command.js';

const LOADERS: Readonly<Record<string, () => Promise<Command>>> = {
  inspect: async () => (await import('./inspect.js')).inspectCommand,
  gate: async () => (await import('./gate.js')).gateCommand,
  serve: async () => (await import('./serve.js')).serveCommand,
  worker: async () => (await import('./worker.js')).workerCommand,
  start: async () => (await import('./start.js')).startCommand,
  backfill: async () => (await import('./backfill.js')).backfillCommand,
  export: async () => (await import('./export.js')).exportCommand,
  import: async () => (await import('./export.js')).importCommand,
};

/** The command names, in `--help` order. */
export const COMMAND_NAMES: readonly string[] = Object.keys(LOADERS);

/** The command `name`, loaded; undefined when there is none. */
export async function findCommand(name: string): Promise<Command | undefined> {
  return Object.hasOwn(LOADERS, name) ? LOADERS[name]!() : undefined;
}

/** Every command, loaded (for the command list of `--help`). */
export async function allCommands(): Promise<Command[]> {
  return Promise.all(COMMAND_NAMES.map((n) => LOADERS[n]!()));
}
