import assert from "node:assert/strict";
import { Backoff } from "../src/kube/backoff.ts";
import { type Clock, sleep } from "../src/kube/clock.ts";
import { parseRetryAfter, reasonForStatus } from "../src/kube/http_error.ts";
import { TokenBucket } from "../src/kube/rate_limiter.ts";

/** A clock that only moves when told to, firing due timers in order. */
class ManualClock implements Clock {
  #now = 0;
  #timers: { at: number; fn: () => void }[] = [];
  now(): number {
    return this.#now;
  }
  schedule(ms: number, fn: () => void): () => void {
    const t = { at: this.#now + ms, fn };
    this.#timers.push(t);
    return () => void (this.#timers = this.#timers.filter((x) => x !== t));
  }
  async advance(ms: number): Promise<void> {
    this.#now += ms;
    for (const t of this.#timers.filter((t) => t.at <= this.#now).sort((a, b) => a.at - b.at)) {
      this.#timers = this.#timers.filter((x) => x !== t);
      t.fn();
    }
    await Promise.resolve();
  }
  get pending(): number {
    return this.#timers.length;
  }
}

Deno.test("Backoff doubles from 2 s to a 60 s ceiling and starts over after reset()", () => {
  const b = new Backoff({ random: () => 0 });
  assert.deepEqual(Array.from({ length: 7 }, () => b.next()), [
    2000,
    4000,
    8000,
    16000,
    32000,
    60000,
    60000,
  ]);
  b.reset();
  assert.equal(b.next(), 2000);
});

Deno.test("Backoff jitter only lengthens a delay, by at most its fraction, never past the ceiling", () => {
  assert.equal(new Backoff({ random: () => 0.999, jitter: 0.5 }).next(), 2000 * (1 + 0.5 * 0.999));
  assert.equal(new Backoff({ initialMs: 60_000, random: () => 0.9 }).next(), 60_000);
});

Deno.test("TokenBucket lets a burst through, then paces requests at qps", async () => {
  const clock = new ManualClock();
  const bucket = new TokenBucket({ qps: 2, burst: 2 }, clock);
  const signal = new AbortController().signal;
  await bucket.take(signal);
  await bucket.take(signal);
  let third = false;
  const p = bucket.take(signal).then(() => third = true);
  await clock.advance(499);
  assert.equal(third, false);
  await clock.advance(1);
  await p;
  assert.equal(third, true);
  assert.throws(() => new TokenBucket({ qps: 0, burst: 1 }), RangeError);
});

Deno.test("sleep() ends early on abort and leaves no timer behind", async () => {
  const clock = new ManualClock();
  const ac = new AbortController();
  const p = sleep(clock, 10_000, ac.signal);
  assert.equal(clock.pending, 1);
  ac.abort();
  await p;
  assert.equal(clock.pending, 0);
});

Deno.test("HTTP statuses map to the stable reasons and Retry-After parses both forms", () => {
  assert.deepEqual([429, 401, 403, 500, 503, 404, 410].map(reasonForStatus), [
    "rate_limited",
    "http_401",
    "http_403",
    "http_500",
    "http_503",
    undefined,
    undefined,
  ]);
  assert.equal(parseRetryAfter("3", 0), 3);
  assert.equal(parseRetryAfter(new Date(10_000).toUTCString(), 4_000), 6);
  assert.equal(parseRetryAfter("soon", 0), undefined);
  assert.equal(parseRetryAfter(null, 0), undefined);
});
