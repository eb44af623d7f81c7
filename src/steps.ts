/**
 * Work over every certificate written once, as a generator that yields between
 * units (a bundle, a row), and run either straight through (tests, the CLI) or
 * in slices with the event loop let in between (the server). Rendering 5,000
 * new series took 135 ms in one go, long enough to fail a 100 ms liveness
 * probe; at 100,000 it would be seconds.
 */

/** Longest stretch of work (ms) before the event loop gets a turn. */
export const SLICE_MS = 10;

/** Work that yields between units and returns `T`. */
export type Steps<T> = Generator<void, T, void>;

/** Runs `steps` to the end at once. */
export function runSteps<T>(steps: Steps<T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/** Runs `steps`, giving the event loop a turn (a macrotask) every `sliceMs` of work. */
export async function runSliced<T>(steps: Steps<T>, sliceMs = SLICE_MS): Promise<T> {
  const slice = new TimeSlice(sliceMs);
  for (let n = 1;; n++) {
    const r = steps.next();
    if (r.done) return r.value;
    // A unit is a few microseconds: reading the clock every eighth is enough.
    if ((n & 7) === 0) {
      const pause = slice.pause();
      if (pause) await pause;
    }
  }
}

/**
 * A stretch of work that hands the event loop a turn once it ran `sliceMs`.
 * Awaiting a promise is not enough: a chain of microtasks (a compressor
 * consuming chunk after chunk) never lets a timer or a connection in.
 */
export class TimeSlice {
  readonly #ms: number;
  #since = performance.now();

  constructor(ms = SLICE_MS) {
    this.#ms = ms;
  }

  /** Undefined while the slice lasts; else a macrotask to await, after which a new slice starts. */
  pause(): Promise<void> | undefined {
    if (performance.now() - this.#since < this.#ms) return undefined;
    return new Promise<void>((resolve) => setTimeout(resolve, 0)).then(() => {
      this.#since = performance.now();
    });
  }
}
