/** Bound a call to Redis or the queue: past `ms` it fails with `unavailable` (503) instead of hanging. */
import { RecipeError } from '../../shared/errors.js';
import { redisUnavailable } from '../../shared/store/redis-connection.js';

export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
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
