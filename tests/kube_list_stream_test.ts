import assert from "node:assert/strict";
import { ListBodyError, type ListMeta, readListItems } from "../src/kube/list_stream.ts";

function chunked(bytes: Uint8Array, sizes: number[]): ReadableStream<Uint8Array> {
  const parts: Uint8Array[] = [];
  let at = 0;
  for (let k = 0; at < bytes.length; k++) {
    const size = Math.max(1, sizes[k % sizes.length]!);
    parts.push(bytes.slice(at, at + size));
    at += size;
  }
  return ReadableStream.from(parts);
}

async function read(
  body: ReadableStream<Uint8Array>,
): Promise<{ items: unknown[]; meta: ListMeta }> {
  const items: unknown[] = [];
  const it = readListItems(body);
  while (true) {
    const r = await it.next();
    if (r.done) return { items, meta: r.value };
    items.push(r.value);
  }
}

/** Strings that stress the scanner: escaped quotes, backslash runs, braces, multi-byte text. */
const TRICKY = [
  'a "quoted" word',
  "ends with a backslash \\",
  "\\\\\\",
  '\\"',
  "} ] { [ , :",
  "é ü 日本 🙂",
  "\u0000\u001f control",
  "",
];

const LIST = {
  kind: "SecretList",
  apiVersion: "v1",
  metadata: { resourceVersion: "42", continue: 'tok"en' },
  items: [
    {
      metadata: { name: "a", namespace: "ns", labels: { "x/y": "}" } },
      data: { "tls.crt": "QUJD".repeat(5000) },
      type: "kubernetes.io/tls",
    },
    ...TRICKY.map((s, i) => ({
      metadata: { name: `t${i}` },
      data: { s },
      n: [1, -2.5e3, true, null],
    })),
    { metadata: { name: "empty" }, nested: [[[]], {}, [{}]] },
  ],
};

Deno.test("readListItems() matches JSON.parse at every chunk boundary", async () => {
  const text = JSON.stringify(LIST);
  const bytes = new TextEncoder().encode(text);
  // One-byte chunks put a boundary everywhere (inside escapes and UTF-8 characters too).
  for (const sizes of [[1], [2, 3], [7], [64], [1000, 1], [bytes.length]]) {
    const { items, meta } = await read(chunked(bytes, sizes));
    assert.deepEqual(items, LIST.items, `chunks of ${sizes}`);
    assert.deepEqual(meta, LIST.metadata);
  }
});

Deno.test("readListItems() accepts any key order, whitespace and an empty list", async () => {
  const pretty = JSON.stringify(
    { items: LIST.items.slice(0, 3), kind: "SecretList", metadata: { resourceVersion: "7" } },
    null,
    2,
  );
  const { items, meta } = await read(chunked(new TextEncoder().encode(pretty), [5]));
  assert.deepEqual(items, LIST.items.slice(0, 3));
  assert.deepEqual(meta, { resourceVersion: "7" });

  const empty = await read(chunked(new TextEncoder().encode('{"metadata":{},"items":[]}'), [3]));
  assert.deepEqual(empty, { items: [], meta: {} });
  const nullItems = await read(
    chunked(new TextEncoder().encode('{"items":null,"metadata":{}}'), [4]),
  );
  assert.deepEqual(nullItems.items, []);
});

Deno.test("readListItems() rejects truncated, malformed and item-less bodies", async () => {
  const text = JSON.stringify(LIST);
  const enc = new TextEncoder();
  const cases: [string, RegExp][] = [
    [text.slice(0, text.length - 1), /ended early/],
    [text.slice(0, text.indexOf("QUJD") + 100), /ended early/],
    ["[1,2]", /not a JSON object/],
    ['{"kind":"Status"}', /no items/],
    ['{"items":[]} x', /Trailing data/],
    ['{"items":[{"a":1}}', /Unexpected byte|ended early/],
    ['{"items" [] }', /Expected ':'/],
  ];
  for (const [body, message] of cases) {
    await assert.rejects(read(chunked(enc.encode(body), [3])), (err: unknown) => {
      assert.ok(err instanceof ListBodyError || err instanceof SyntaxError, String(err));
      assert.match(String(err), message, body.slice(0, 40));
      return true;
    });
  }
});

Deno.test("readListItems() cancels the body when the caller stops early", async () => {
  let cancelled = false;
  const enc = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(enc.encode('{"items":[{"a":1},'));
    },
    cancel() {
      cancelled = true;
    },
  });
  for await (const item of readListItems(body)) {
    assert.deepEqual(item, { a: 1 });
    break;
  }
  assert.ok(cancelled);
});

Deno.test("readListItems() keeps one item, not one page, in memory", async () => {
  // 200 items of 100 KiB streamed in 16 KiB chunks: each item is handed out as soon as
  // its last byte arrives, before the next chunk is even pulled.
  const item = JSON.stringify({ metadata: { name: "x" }, data: { v: "A".repeat(100 * 1024) } });
  const enc = new TextEncoder();
  let pulled = 0;
  let yielded = 0;
  let maxAhead = 0;
  const itemBytes = enc.encode(item);
  const total = 200;
  let sent = -1;
  let offset = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(c) {
      pulled++;
      if (sent === -1) {
        c.enqueue(enc.encode('{"metadata":{},"items":['));
        sent = 0;
        return;
      }
      if (sent === total) {
        c.enqueue(enc.encode("]}"));
        c.close();
        return;
      }
      const prefix = offset === 0 && sent > 0 ? enc.encode(",") : new Uint8Array();
      const piece = itemBytes.subarray(offset, offset + 16 * 1024);
      const out = new Uint8Array(prefix.length + piece.length);
      out.set(prefix);
      out.set(piece, prefix.length);
      c.enqueue(out);
      offset += piece.length;
      if (offset === itemBytes.length) {
        offset = 0;
        sent++;
      }
      maxAhead = Math.max(maxAhead, sent - yielded);
    },
  }, { highWaterMark: 0 });
  for await (const _ of readListItems(body)) yielded++;
  assert.equal(yielded, total);
  assert.ok(maxAhead <= 1, `the reader ran ${maxAhead} items ahead`);
  assert.ok(pulled > total);
});

Deno.test("readListItems() reads byte streams (as fetch bodies are) into one reused buffer", async () => {
  const bytes = new TextEncoder().encode(JSON.stringify(LIST));
  for (const size of [1, 3, 1000, 70_000]) {
    let at = 0;
    const body = new ReadableStream({
      type: "bytes",
      pull(c) {
        if (at >= bytes.length) {
          c.close();
          return c.byobRequest?.respond(0); // a pending BYOB read waits for this
        }
        c.enqueue(bytes.slice(at, at + size));
        at += size;
      },
    });
    const { items, meta } = await read(body);
    assert.deepEqual(items, LIST.items, `chunks of ${size}`);
    assert.deepEqual(meta, LIST.metadata);
  }
});

Deno.test("readListItems() reads a real fetch body", async () => {
  const text = JSON.stringify(LIST);
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response(text, { headers: { "content-type": "application/json" } }),
  );
  try {
    const res = await fetch(`http://127.0.0.1:${server.addr.port}/`);
    const { items } = await read(res.body!);
    assert.deepEqual(items, LIST.items);
  } finally {
    await server.shutdown();
  }
});
