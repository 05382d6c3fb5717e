/**
 * THE ordered list of store migrations: step i reads schema i + 1 and writes schema i + 2. Adding
 * one: write `<what-it-does>.ts` exporting a MigrationStep whose `from` is the current schema, add
 * it at the end here; STORE_SCHEMA_VERSION follows (docs/configuration.md, "Migrations").
 */
import type { MigrationStep } from './migration-step.js';
import { repositoryIndexes } from './repository-indexes.js';

export const MIGRATIONS: readonly MigrationStep[] = [repositoryIndexes];
