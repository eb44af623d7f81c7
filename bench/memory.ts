/**
 * Where a running exporter's memory is: its resident set by kind of mapping
 * (pages of the deno binary, the malloc heap, anonymous memory where V8's heap
 * and thread stacks live), and with `--inspector` a heap snapshot grouped by
 * type, heaviest first.
 *
 *   deno run -A bench/memory.ts --pid 1234 [--inspector http://127.0.0.1:9229 [--save snap.heapsnapshot]]
 */
import { connect } from "./profile.ts";

/** Resident KiB per kind of mapping, from the text of /proc/<pid>/smaps. */
export function rssByMapping(smaps: string): Map<string, number> {
  const out = new Map<string, number>();
  let kind = "";
  for (const line of smaps.split("\n")) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      const name = head[1] ?? "";
      kind = name === ""
        ? "anonymous (V8 heap, stacks, thread arenas)"
        : name === "[heap]"
        ? "malloc heap"
        : /\/deno[^/]*$/.test(name)
        ? "deno binary (code pages touched)"
        : name.startsWith("/")
        ? "other files"
        : name;
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) out.set(kind, (out.get(kind) ?? 0) + Number(rss[1]));
  }
  return out;
}

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/** Self size (bytes) and count per type of heap object, heaviest first. */
export function heapByType(snap: Snapshot): [string, number, number][] {
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const [iType, iName, iSize] = ["type", "name", "self_size"].map((f) => fields.indexOf(f));
  const totals = new Map<string, [number, number]>();
  for (let i = 0; i < snap.nodes.length; i += fields.length) {
    const type = types[snap.nodes[i + iType!]!]!;
    const name = snap.strings[snap.nodes[i + iName!]!]!;
    const key = type === "object"
      ? name.slice(0, 40)
      : type.endsWith("string")
      ? "(strings)"
      : `(${type})`;
    const t = totals.get(key) ?? [0, 0];
    t[0] += snap.nodes[i + iSize!]!;
    t[1]++;
    totals.set(key, t);
  }
  return [...totals].map(([k, [size, n]]): [string, number, number] => [k, size, n])
    .sort((a, b) => b[1] - a[1]);
}

function flag(name: string): string | undefined {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Deno.args[i + 1] : undefined;
}

const mib = (kib: number) => (kib / 1024).toFixed(1).padStart(7);

if (import.meta.main) {
  const pid = flag("pid");
  if (!pid) {
    console.error("Usage: deno run -A bench/memory.ts --pid PID [--inspector URL]");
    Deno.exit(2);
  }
  const byMapping = rssByMapping(await Deno.readTextFile(`/proc/${pid}/smaps`));
  let total = 0;
  for (const [kind, kib] of [...byMapping].sort((a, b) => b[1] - a[1])) {
    total += kib;
    if (kib >= 256) console.log(`${mib(kib)} MiB  ${kind}`);
  }
  console.log(`${mib(total)} MiB  resident in all`);
  const inspector = flag("inspector");
  if (inspector) {
    const session = await connect(inspector);
    const chunks: string[] = [];
    session.on("HeapProfiler.addHeapSnapshotChunk", (p) => {
      chunks.push((p as { chunk: string }).chunk);
    });
    await session.send("HeapProfiler.collectGarbage");
    await session.send("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
    session.close();
    const save = flag("save");
    if (save) await Deno.writeTextFile(save, chunks.join(""));
    const rows = heapByType(JSON.parse(chunks.join("")));
    const heap = rows.reduce((n, r) => n + r[1], 0);
    console.log(`\nV8 heap snapshot: ${mib(heap / 1024)} MiB of live objects (self sizes)`);
    for (const [type, size, n] of rows.slice(0, 20)) {
      console.log(`${mib(size / 1024)} MiB  ${String(n).padStart(8)}  ${type}`);
    }
  }
}
