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

export const systemClock: Clock = {
  now: () => Date.now(),
  schedule(ms, fn) {
    const id = setTimeout(fn, ms);
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
