/**
 * Every `guix-recipes` command, in the order `--help` lists them. Helpers adding `serve`, `worker`,
 * `start` or `gate` write commands/<name>.ts exporting a Command and add it here.
 */
import type { Command } from '../command.js';
import { inspectCommand } from './inspect.js';
import { serveCommand } from './serve.js';
import { workerCommand } from './worker.js';
import { startCommand } from './start.js';
import { gateCommand } from './gate.js';
import { backfillCommand } from './backfill.js';
import { exportCommand, importCommand } from './export.js';

export const COMMANDS: readonly Command[] = [
  inspectCommand,
  gateCommand,
  serveCommand,
  workerCommand,
  startCommand,
  backfillCommand,
  exportCommand,
  importCommand,
];

export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name);
}
