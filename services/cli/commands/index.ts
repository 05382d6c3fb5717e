/**
 * Every `guix-recipes` command, in the order `--help` lists them. Helpers adding `serve`, `worker`,
 * `start` or `gate` write commands/<name>.ts exporting a Command and add it here.
 */
import type { Command } from '../command.js';
import { inspectCommand } from './inspect.js';

export const COMMANDS: readonly Command[] = [inspectCommand];

export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name);
}
