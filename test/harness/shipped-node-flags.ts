/**
 * The Node flags bin/guix-recipes starts with: the ones on its first line
 * (`#!/usr/bin/env -S node --flag ...`), read from the file so that tests follow it.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The bin's first line, as written. */
export const BIN_FIRST_LINE = readFileSync(
  fileURLToPath(new URL('../../bin/guix-recipes', import.meta.url)),
  'utf8',
).split('\n', 1)[0]!;

/** The flags after `node` on that line. */
export const SHIPPED_NODE_FLAGS: string[] = BIN_FIRST_LINE.split(' ').slice(3);
