/**
 * The deadline of one request's work: `f` gets a signal that aborts after `ms` (as
 * `AbortSignal.timeout` does, with a `TimeoutError`), and the timer is cleared as soon as `f` settles.
 * `AbortSignal.timeout` itself keeps its timer and signal alive for the whole deadline: at 1,000
 * verdicts a second and a 30 s deadline, that is 30,000 of them, which the young-generation
 * collections then copy and promote, and whose pauses become the latency tail.
 */
export async function withRequestDeadline<T>(ms: number, f: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')),
    ms,
  );
  try {
    return await f(controller.signal);
  } finally {
    clearTimeout(timer);
  }
}
