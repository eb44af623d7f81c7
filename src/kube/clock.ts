/**
 * Time as the LIST+WATCH machinery sees it. Injected so tests of backoff, rate
 * limiting and idle detection run exactly and fast instead of sleeping for real.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Runs `fn` after `ms`; the returned function cancels it. */
  schedule(ms: number, fn: () => void): () => void;
}

/** Longest delay setTimeout honours (2^31-1 ms, ~24.8 days); a longer one fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export const systemClock: Clock = {
  now: () => Date.now(),
  schedule(ms, fn) {
    // Past the timer's range, wait in steps: a longer setTimeout would fire at once and
    // a sleep loop on it would spin. NaN waits nothing, as setTimeout's; Infinity, forever.
    let id: ReturnType<typeof setTimeout>;
    let left = Number.isNaN(ms) ? 0 : Math.max(0, ms);
    const step = () => {
      if (left > MAX_TIMER_MS) {
        left -= MAX_TIMER_MS;
        id = setTimeout(step, MAX_TIMER_MS);
      } else {
        id = setTimeout(fn, left);
      }
    };
    step();
    return () => clearTimeout(id);
  },
};

/** Waits `ms`, or less if `signal` aborts first; never rejects, so callers just check `signal`. */
export function sleep(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      cancel();
      signal.removeEventListener("abort", done);
      resolve();
    };
    const cancel = clock.schedule(ms, done);
    signal.addEventListener("abort", done, { once: true });
  });
}
