import assert from "node:assert/strict";
import { heapByType, rssByMapping } from "../bench/memory.ts";

Deno.test("rssByMapping() sums resident memory by kind of mapping", () => {
  const smaps = [
    "55d0c0000000-55d0c4000000 r-xp 00000000 08:01 123 /usr/bin/deno",
    "Rss:               30000 kB",
    "55d0c5000000-55d0c6000000 rw-p 00000000 00:00 0 [heap]",
    "Rss:                9000 kB",
    "7f0000000000-7f0001000000 rw-p 00000000 00:00 0 ",
    "Rss:                4000 kB",
    "7f0001000000-7f0002000000 rw-p 00000000 00:00 0",
    "Rss:                1000 kB",
    "7f0003000000-7f0003100000 r-xp 00000000 08:01 77 /usr/lib/x86_64-linux-gnu/libc.so.6",
    "Rss:                1500 kB",
  ].join("\n");
  const m = rssByMapping(smaps);
  assert.equal(m.get("deno binary (code pages touched)"), 30000);
  assert.equal(m.get("malloc heap"), 9000);
  assert.equal(m.get("anonymous (V8 heap, stacks, thread arenas)"), 5000);
  assert.equal(m.get("other files"), 1500);
});

Deno.test("rssByMapping() accounts for this very process's resident set", async () => {
  const m = rssByMapping(await Deno.readTextFile("/proc/self/smaps"));
  const total = [...m.values()].reduce((a, b) => a + b, 0);
  const status = await Deno.readTextFile("/proc/self/status");
  const vmRss = Number(/VmRSS:\s+(\d+)/.exec(status)![1]);
  assert.ok(Math.abs(total - vmRss) / vmRss < 0.1, `${total} kB by mapping, VmRSS ${vmRss} kB`);
  assert.ok((m.get("deno binary (code pages touched)") ?? 0) > 10 * 1024);
});

Deno.test("heapByType() groups a heap snapshot's objects by type, heaviest first", () => {
  const snapshot = {
    snapshot: {
      meta: {
        node_fields: ["type", "name", "id", "self_size"],
        node_types: [["hidden", "object", "string", "code"]] as [string[]],
      },
    },
    strings: ["Certificate", "abc", "(code)"],
    nodes: [1, 0, 1, 100, 1, 0, 2, 100, 2, 1, 3, 500, 3, 2, 4, 50],
  };
  assert.deepEqual(heapByType(snapshot), [
    ["(strings)", 500, 1],
    ["Certificate", 200, 2],
    ["(code)", 50, 1],
  ]);
});
