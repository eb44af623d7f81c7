/**
 * How long the event loop was held while some work ran: the largest gap between
 * ticks of a short interval (shared by the hostile-input tests and bench offload).
 */

/** Runs `work`; resolves with its value, its wall time and the longest hold of the loop (ms). */
export async function measureStall<T>(
  work: () => Promise<T> | T,
  tickMs = 5,
): Promise<{ value: T; wallMs: number; stallMs: number }> {
  let last = performance.now();
  let stallMs = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    stallMs = Math.max(stallMs, now - last);
    last = now;
  }, tickMs);
  try {
    // The timer's first tick, so the gap before it is not counted as work.
    await new Promise((r) => setTimeout(r, 2 * tickMs));
    const started = performance.now();
    last = started;
    const value = await work();
    const ended = performance.now();
    stallMs = Math.max(stallMs, ended - last);
    return { value, wallMs: ended - started, stallMs };
  } finally {
    clearInterval(timer);
  }
}
