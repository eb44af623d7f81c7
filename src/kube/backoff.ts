/** Exponential backoff with jitter, so a fleet of exporters does not retry in lockstep. */

export interface BackoffOptions {
  /** First delay. @default 2000 */
  initialMs?: number;
  /** Ceiling of the delay. @default 60000 */
  maxMs?: number;
  /** Growth per consecutive failure. @default 2 */
  factor?: number;
  /** Up to this fraction is added at random to each delay. @default 0.2 */
  jitter?: number;
  /** Source of randomness in [0, 1). @default Math.random */
  random?: () => number;
}

export class Backoff {
  readonly #initial: number;
  readonly #max: number;
  readonly #factor: number;
  readonly #jitter: number;
  readonly #random: () => number;
  #current: number;

  constructor(opts: BackoffOptions = {}) {
    this.#initial = opts.initialMs ?? 2000;
    this.#max = opts.maxMs ?? 60_000;
    this.#factor = opts.factor ?? 2;
    this.#jitter = opts.jitter ?? 0.2;
    this.#random = opts.random ?? Math.random;
    this.#current = this.#initial;
  }

  /** The delay to wait now; each call without a `reset()` grows the next one. */
  next(): number {
    const base = this.#current;
    this.#current = Math.min(this.#max, this.#current * this.#factor);
    return Math.min(this.#max, base * (1 + this.#jitter * this.#random()));
  }

  /** Called after a success: the next failure waits the initial delay again. */
  reset(): void {
    this.#current = this.#initial;
  }
}
