import { type Clock, sleep, systemClock } from "./clock.ts";

export interface RateLimit {
  /** Sustained requests per second. */
  qps: number;
  /** Requests allowed at once after a quiet period. */
  burst: number;
}

/**
 * A token bucket like client-go's default limiter: requests beyond `burst` wait for
 * tokens refilled at `qps`, so a resync storm cannot hammer the API server.
 */
export class TokenBucket {
  readonly #qps: number;
  readonly #burst: number;
  readonly #clock: Clock;
  #tokens: number;
  #last: number;

  constructor(limit: RateLimit, clock: Clock = systemClock) {
    if (!(limit.qps > 0) || !(limit.burst >= 1)) {
      throw new RangeError(`Invalid rate limit: qps ${limit.qps}, burst ${limit.burst}`);
    }
    this.#qps = limit.qps;
    this.#burst = limit.burst;
    this.#clock = clock;
    this.#tokens = limit.burst;
    this.#last = clock.now();
  }

  /**
   * Takes one token, waiting until one is available. Tokens are reserved up front
   * (the count may go negative), so concurrent callers queue fairly.
   */
  async take(signal: AbortSignal): Promise<void> {
    const now = this.#clock.now();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#last) / 1000) * this.#qps);
    this.#last = now;
    this.#tokens -= 1;
    if (this.#tokens >= 0) return;
    await sleep(this.#clock, (-this.#tokens / this.#qps) * 1000, signal);
  }
}
