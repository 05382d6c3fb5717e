/**
 * THE mapping of RecipeError kinds to BullMQ, in one place:
 *   retryable    → rethrown: BullMQ retries with exponential backoff until attempts run out;
 *   permanent    → UnrecoverableError: the job fails at once, its reason `code: message`;
 *   rate-limited → worker.rateLimit(retryAfterMs) and Worker.RateLimitError(): the whole queue
 *                  waits, and the job goes back to waiting without using up an attempt.
 */
import { UnrecoverableError, Worker } from 'bullmq';
import { toRecipeError, type RecipeError } from '../errors.js';

/** Wait used when a registry says 429 without Retry-After. */
export const DEFAULT_RATE_LIMIT_MS = 30000;

/** The failure reason BullMQ records: `code: message` (parse back with parseFailedReason). */
export function failedReason(err: RecipeError): string {
  return `${err.code}: ${err.message}`;
}

/** Split a BullMQ failedReason written by failedReason back into code and message. */
export function parseFailedReason(reason: string): { code: string; message: string } {
  const m = /^([a-z][a-z-]*): ([\s\S]*)$/.exec(reason);
  return m ? { code: m[1]!, message: m[2]! } : { code: 'internal', message: reason };
}

export interface JobErrorOutcome {
  /** What the processor must throw. */
  error: Error;
  /** Whether this failure ends the job (no further attempt). */
  final: boolean;
  recipeError: RecipeError;
}

/**
 * Decide what to throw for `err` in a job that has made `attemptsMade` previous attempts out of
 * `attempts`. Applies the rate limit on `worker` when the error asks for one.
 */
export async function mapJobError(
  err: unknown,
  ctx: { worker: Pick<Worker, 'rateLimit'>; attemptsMade: number; attempts: number },
): Promise<JobErrorOutcome> {
  const e = toRecipeError(err);
  switch (e.kind) {
    case 'permanent':
      return { error: new UnrecoverableError(failedReason(e)), final: true, recipeError: e };
    case 'rate-limited':
      await ctx.worker.rateLimit(Math.max(1, e.retryAfterMs ?? DEFAULT_RATE_LIMIT_MS));
      return { error: Worker.RateLimitError(), final: false, recipeError: e };
    case 'retryable': {
      const wrapped = new Error(failedReason(e), { cause: e });
      return { error: wrapped, final: ctx.attemptsMade + 1 >= ctx.attempts, recipeError: e };
    }
  }
}
