/**
 * Issue 15, the Kubernetes side: oversized objects and watch lines are skipped without
 * being held, a WATCH that never gets its headers is abandoned, and no timer overflows.
 */
import assert from "node:assert/strict";
import { systemClock } from "../src/kube/clock.ts";
import { readListItems } from "../src/kube/list_stream.ts";
import { readNdjson } from "../src/kube/ndjson.ts";
import { makeCert, type TestCert } from "./testing/certs.ts";
import { secret, withSource } from "./testing/kube_source_harness.ts";

const TLS = "secrets:\n  types: [{ type: kubernetes.io/tls, key: tls.crt }]";
let certs: TestCert[];
async function pair(): Promise<TestCert[]> {
  certs ??= await Promise.all([1, 2].map((n) => makeCert({ serial: `0${n + 4}` })));
  return certs;
}

/** A Secret of `mib` MiB of base64 garbage. */
function garbageSecret(name: string, mib: number) {
  const raw = new Uint8Array(mib * 1024 * 1024 * 0.75);
  for (let i = 0; i < raw.length; i += 4096) raw[i] = i & 0xff;
  return { ...secret("app", name, {}), data: { "tls.crt": raw.toBase64() } };
}

function streamOf(text: string, chunk = 65536): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let at = 0;
  return new ReadableStream({
    pull(c) {
      if (at >= bytes.length) return c.close();
      c.enqueue(bytes.slice(at, at + chunk));
      at += chunk;
    },
  });
}

Deno.test("readNdjson() skips a line over maxLineBytes without holding it and goes on", async () => {
  const long = JSON.stringify({ big: "x".repeat(300_000) });
  const body = streamOf(`{"a":1}\n${long}\n{"b":2}\n${long}`, 4096);
  const seen: unknown[] = [];
  let oversize = 0;
  const opts = { idleMs: 1000, maxLineBytes: 1000, onOversize: () => oversize++ };
  for await (const v of readNdjson(body, opts)) seen.push(v);
  assert.deepEqual(seen, [{ a: 1 }, { b: 2 }]);
  assert.equal(oversize, 2);
});

Deno.test("readListItems() skips an item over maxItemBytes and keeps the others and the metadata", async () => {
  const big = { metadata: { name: "big" }, data: "y".repeat(200_000) };
  const body = streamOf(
    JSON.stringify({
      kind: "SecretList",
      items: [{ metadata: { name: "a" } }, big, { metadata: { name: "b" } }],
      metadata: { resourceVersion: "7" },
    }),
    1000,
  );
  const names: string[] = [];
  let oversize = 0;
  const items = readListItems(body, { maxItemBytes: 10_000, onOversize: () => oversize++ });
  let next = await items.next();
  for (; !next.done; next = await items.next()) {
    names.push((next.value as { metadata: { name: string } }).metadata.name);
  }
  assert.deepEqual(names, ["a", "b"]);
  assert.equal(next.value.resourceVersion, "7");
  assert.equal(oversize, 1);
});

Deno.test("KubernetesSource: a 13 MiB garbage Secret, listed or watched, is skipped and counted; the rest is read", async () => {
  const [c1, c2] = await pair();
  await withSource(
    TLS,
    (s) => {
      s.upsert("secrets", secret("app", "good", { "tls.crt": c1!.pem }));
      s.upsert("secrets", garbageSecret("garbage-listed", 13));
    },
    async (h) => {
      assert.deepEqual(h.view(), { "secret/app/good/tls.crt": ["5"] });
      h.server.upsert("secrets", garbageSecret("garbage-watched", 13));
      h.server.upsert("secrets", secret("app", "after", { "tls.crt": c2!.pem }));
      await h.until(() => h.view()["secret/app/after/tls.crt"]?.[0] === "6", "the next event");
      assert.deepEqual(Object.keys(h.view()).sort(), [
        "secret/app/after/tls.crt",
        "secret/app/good/tls.crt",
      ]);
      const errors = await h.metric("x509_kube_transport_errors_total");
      assert.match(errors, /reason="object_too_large"[^\n]*\} 2$/m);
    },
  );
});

Deno.test("KubernetesSource: a WATCH that never gets response headers is abandoned, and resumed once the API heals", async () => {
  const [c1, c2] = await pair();
  await withSource(
    TLS,
    (s) => s.upsert("secrets", secret("app", "web", { "tls.crt": c1!.pem })),
    async (h) => {
      // Every new watch hangs without headers, as behind a proxy whose upstream died.
      h.server.stallWatchHeaders = true;
      h.server.dropWatches();
      await h.until(() => h.server.stalledWatchRequests >= 1, "a stalled watch");
      h.server.upsert("secrets", secret("app", "web", { "tls.crt": c2!.pem }));
      // Healed: the hung request stays hung; only a new one can see the rotation.
      h.server.stallWatchHeaders = false;
      const healed = performance.now();
      await h.until(() => h.view()["secret/app/web/tls.crt"]?.[0] === "6", "the rotation");
      const seconds = (performance.now() - healed) / 1000;
      // watchStartTimeoutMs 500 + backoff up to 240 ms: well under the 2 s allowed here.
      assert.ok(seconds < 2, `resumed after ${seconds.toFixed(2)} s`);
      assert.match(await h.metric("x509_kube_transport_errors_total"), /watch_start_failed/);
    },
    {
      watch: {
        idleTimeoutMs: 2000,
        watchStartTimeoutMs: 500,
        backoff: { initialMs: 20, maxMs: 200 },
      },
    },
  );
});

Deno.test("systemClock.schedule() waits past 2^31-1 ms instead of firing at once", async () => {
  let fired = 0;
  const cancelLong = systemClock.schedule(2 ** 31 + 1000, () => fired++);
  const cancelHuge = systemClock.schedule(Infinity, () => fired++);
  await new Promise((r) => setTimeout(r, 50));
  cancelLong();
  cancelHuge();
  assert.equal(fired, 0);
  await new Promise<void>((r) => systemClock.schedule(5, r));
});
