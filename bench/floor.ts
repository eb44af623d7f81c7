/**
 * The floor: a bare `Deno.serve` process, the least any Deno exporter can weigh.
 * Run directly it just serves; `floorScenario` measures it as a child process.
 * `/<n>/metrics` answers `n` bytes in 64 KiB chunks, each a new buffer, as the
 * exporter sends a text: the least sending that many bytes can take here.
 */
import { V8_FLAGS } from "../scripts/flags.ts";
import { firstLine, memory, sleep } from "./_harness.ts";
import type { ScenarioOptions, ScenarioResult } from "./_report.ts";
import { scrapeSeries } from "./_scrape.ts";

if (import.meta.main) {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const bytes = Number(/^\/(\d+)\/metrics$/.exec(new URL(req.url).pathname)?.[1] ?? 0);
    if (bytes === 0) return new Response("ok\n");
    let left = bytes;
    return new Response(
      new ReadableStream<Uint8Array>({
        pull(c) {
          if (left === 0) return c.close();
          const n = Math.min(left, 64 * 1024);
          c.enqueue(new Uint8Array(n).fill(0x61));
          left -= n;
        },
      }, { highWaterMark: 0 }),
      { headers: { "content-length": String(bytes) } },
    );
  });
  console.log(`http://127.0.0.1:${server.addr.port}`);
}

/** Starts floor.ts as a child (with the binary's V8 flags if `v8`) and reads its address. */
async function launchFloor(v8: boolean): Promise<{ url: string; child: Deno.ChildProcess }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--allow-net",
      "--allow-read",
      ...(v8 ? V8_FLAGS : []),
      new URL(import.meta.url).pathname,
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  return { url: (await firstLine(child, "floor.ts")).trim(), child };
}

/**
 * p50/p99 of `n` plain scrapes of `bytes` bytes from the floor, run with the
 * binary's V8 flags: what sending a body that large costs before any exporter work.
 */
export async function floorSend(bytes: number, n: number): Promise<{ p50: number; p99: number }> {
  const { url, child } = await launchFloor(true);
  try {
    const r = await scrapeSeries(`${url}/${bytes}`, n, false);
    if (r.bytes !== bytes) throw new Error(`The floor sent ${r.bytes} bytes, not ${bytes}`);
    return r;
  } finally {
    child.kill("SIGTERM");
    await child.status;
  }
}

export async function floorScenario(options: ScenarioOptions): Promise<ScenarioResult> {
  const { url, child } = await launchFloor(false);
  try {
    for (let i = 0; i < 20; i++) await (await fetch(url)).text();
    await sleep(500);
    const m = memory(child.pid);
    return {
      scenario: "floor",
      quick: options.quick,
      params: { deno: Deno.version.deno },
      measures: [
        { name: "bare Deno.serve RSS", value: m.rssMiB, unit: "MiB" },
        { name: "bare Deno.serve peak", value: m.peakMiB, unit: "MiB" },
      ],
    };
  } finally {
    child.kill("SIGTERM");
    await child.status;
  }
}
