import assert from "node:assert/strict";
import { IdleTimeoutError, readNdjson } from "../src/kube/ndjson.ts";

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return ReadableStream.from(chunks.map((c) => enc.encode(c)));
}

async function collect(body: ReadableStream<Uint8Array>, idleMs = 1000): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const v of readNdjson(body, { idleMs })) out.push(v);
  return out;
}

Deno.test("readNdjson() reassembles objects split across chunks, even inside a UTF-8 character", async () => {
  const bytes = new TextEncoder().encode('{"a":"é"}\n{"b":[1,');
  const split = [bytes.slice(0, 7), bytes.slice(7, 12), bytes.slice(12)];
  const body = ReadableStream.from([...split, new TextEncoder().encode('2]}\n\n{"c":3}')]);
  assert.deepEqual(await collect(body), [{ a: "é" }, { b: [1, 2] }, { c: 3 }]);
});

Deno.test("readNdjson() yields a large object streamed in many small pieces", async () => {
  const big = JSON.stringify({ data: "x".repeat(200_000) }) + "\n";
  const pieces = big.match(/[\s\S]{1,1000}/g) ?? [];
  const out = await collect(streamOf(pieces));
  assert.equal((out[0] as { data: string }).data.length, 200_000);
});

Deno.test("readNdjson() throws IdleTimeoutError on a silent stream and cancels it", async () => {
  let cancelled = false;
  const silent = new ReadableStream<Uint8Array>({
    start: (c) => c.enqueue(new TextEncoder().encode('{"type":"BOOKMARK"}\n')),
    cancel: () => void (cancelled = true),
  });
  const seen: unknown[] = [];
  await assert.rejects(async () => {
    for await (const v of readNdjson(silent, { idleMs: 50 })) seen.push(v);
  }, IdleTimeoutError);
  assert.deepEqual(seen, [{ type: "BOOKMARK" }]);
  assert.equal(cancelled, true);
});
