/** One step of the store's migrations: from schema `from` to `from + 1` (store-schema.ts runs them). */
import type { RedisClient } from '../redis-connection.js';
import type { StoreKeys } from '../store-keys.js';

export interface MigrationContext {
  redis: RedisClient;
  keys: StoreKeys;
  /** Aborted when the process stops: a step stops between two commands and runs again next time. */
  signal: AbortSignal;
  /** One line of progress for the log. */
  log(message: string): void;
}

export interface MigrationStep {
  /** The schema the step reads; it leaves the store at `from + 1`. */
  from: number;
  /** What changes, in a few words (logged, and kept in the store's meta). */
  description: string;
  /**
   * Rewrite what schema `from` holds into what `from + 1` means. Must be idempotent: a process
   * that dies part-way leaves the store at `from`, and the next start runs the step again from the
   * beginning; readers of `from + 1` must also still read what the step has not reached yet.
   */
  run(ctx: MigrationContext): Promise<void>;
}
