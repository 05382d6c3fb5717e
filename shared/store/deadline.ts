/**
 * The one deadline of calls to Redis (the store, the queue): past it a call fails with
 * `unavailable` (503 at the API, a retry in the worker) instead of hanging while Redis is away.
 * ioredis cannot cancel a sent command; the caller stops waiting, the command may still land.
 */
import { RecipeError } from '../errors.js';
import { redisUnavailable } from './redis-connection.js';

/** `p`, or `unavailable` after `ms` (no deadline when `ms` is undefined); Redis errors become `unavailable`. */
export async function withDeadline<T>(p: Promise<T>, ms: number | undefined, what: string): Promise<T> {
  if (ms === undefined) {
    try {
      return await p;
    } catch (err) {
      throw redisUnavailable(err);
    }
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new RecipeError('unavailable', `${what} did not answer within ${ms} ms`)),
      ms,
    );
  });
  try {
    return await Promise.race([p, timeout]);
  } catch (err) {
    throw redisUnavailable(err);
  } finally {
    clearTimeout(timer);
  }
}
