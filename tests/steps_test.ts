import assert from "node:assert/strict";
import { runSliced, runSteps, type Steps } from "../src/steps.ts";

function* busy(units: number, msEach: number): Steps<number> {
  for (let i = 0; i < units; i++) {
    const until = performance.now() + msEach;
    while (performance.now() < until) { /* work */ }
    yield;
  }
  return units;
}

Deno.test("runSteps runs the steps to the end and returns their value", () => {
  assert.equal(runSteps(busy(5, 0)), 5);
});

Deno.test("runSliced lets timers run between slices of work, and returns the same value", async () => {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  const started = performance.now();
  // 240 units of 0.25 ms: 60 ms of work, so about six slices of 10 ms.
  const value = await runSliced(busy(240, 0.25), 10);
  const elapsed = performance.now() - started;
  clearInterval(timer);
  assert.equal(value, 240);
  assert.ok(ticks >= 3, `${ticks} timer ticks in ${elapsed.toFixed(0)} ms`);
});

Deno.test("runSliced passes a failure of the steps on", async () => {
  function* failing(): Steps<never> {
    yield;
    throw new RangeError("bad step");
  }
  await assert.rejects(runSliced(failing()), RangeError);
});
