import assert from "node:assert/strict";
import { Logger } from "../src/log.ts";
import { pollLoop, sleep } from "../src/sources/source.ts";
import { Store } from "../src/store.ts";

const ID = { kind: "file", name: "host-pki" };

function deps(store = new Store()) {
  const lines: string[] = [];
  return { sink: store, logger: new Logger({ write: (l) => lines.push(l) }), lines };
}

Deno.test("pollLoop() runs sync every interval until the signal aborts", async () => {
  const d = deps();
  const stop = new AbortController();
  let rounds = 0;
  await pollLoop(ID, d, 1, () => {
    if (++rounds === 3) stop.abort();
    return Promise.resolve();
  }, stop.signal);
  assert.equal(rounds, 3);
});

Deno.test("pollLoop() never syncs when the signal is already aborted", async () => {
  let rounds = 0;
  await pollLoop(ID, deps(), 1, () => {
    rounds++;
    return Promise.resolve();
  }, AbortSignal.abort());
  assert.equal(rounds, 0);
});

Deno.test("pollLoop() marks the source synced once its first round has finished", async () => {
  const d = deps();
  d.sink.register(ID);
  const stop = new AbortController();
  const syncedDuringRound: boolean[] = [];
  await pollLoop(ID, d, 1, () => {
    syncedDuringRound.push(d.sink.ready());
    if (syncedDuringRound.length === 2) stop.abort();
    return Promise.resolve();
  }, stop.signal);
  assert.deepEqual(syncedDuringRound, [false, true]);
  assert.equal(d.sink.ready(), true);
});

Deno.test("pollLoop() survives a sync that throws: counts a panic, marks the source down, keeps polling", async () => {
  const d = deps();
  d.sink.register(ID);
  d.sink.setUp(ID, true);
  const stop = new AbortController();
  let rounds = 0;
  await pollLoop(ID, d, 1, () => {
    rounds++;
    if (rounds === 1) return Promise.reject(new Error("boom"));
    stop.abort();
    return Promise.resolve();
  }, stop.signal);
  assert.equal(rounds, 2, "the loop went on after the crash");
  assert.equal(d.sink.panics.get("source"), 1);
  const [state] = [...d.sink.sources()];
  assert.equal(state?.up, false);
  assert.equal(state?.synced, true, "a crashed first round still completes the first sync");
  assert.equal(d.lines.length, 1);
  assert.match(d.lines[0]!, /Source sync crashed/);
  assert.match(d.lines[0]!, /boom/);
});

Deno.test("pollLoop() counts one panic per crashed round", async () => {
  const d = deps();
  const stop = new AbortController();
  let rounds = 0;
  await pollLoop(ID, d, 1, () => {
    if (++rounds === 3) stop.abort();
    throw new TypeError("bug");
  }, stop.signal);
  assert.equal(d.sink.panics.get("source"), 3);
});

Deno.test("pollLoop() leaves the source's health to a sync that succeeds", async () => {
  const d = deps();
  const stop = new AbortController();
  await pollLoop(ID, d, 1, () => {
    d.sink.setUp(ID, true);
    stop.abort();
    return Promise.resolve();
  }, stop.signal);
  assert.equal([...d.sink.sources()][0]?.up, true);
  assert.equal(d.sink.panics.get("source"), 0);
});

Deno.test("pollLoop() stops waiting for the next round as soon as the signal aborts", async () => {
  const stop = new AbortController();
  const started = performance.now();
  await pollLoop(ID, deps(), 60_000, () => {
    setTimeout(() => stop.abort(), 5);
    return Promise.resolve();
  }, stop.signal);
  assert.ok(performance.now() - started < 1000);
});

Deno.test("sleep() resolves after its delay, or at once when the signal aborts", async () => {
  const started = performance.now();
  await sleep(20, new AbortController().signal);
  assert.ok(performance.now() - started >= 15);
  const early = performance.now();
  await sleep(60_000, AbortSignal.abort());
  assert.ok(performance.now() - early < 100);
});
