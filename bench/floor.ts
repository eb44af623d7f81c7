/**
 * The floor: a bare `Deno.serve` process, the least any Deno exporter can weigh.
 * Run directly it just serves; `floorScenario` measures it as a child process.
 */
import { memory, sleep } from "./_harness.ts";
import type { ScenarioOptions, ScenarioResult } from "./_report.ts";

if (import.meta.main) {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, () => {
    return new Response("ok\n");
  });
  console.log(`http://127.0.0.1:${server.addr.port}`);
}

export async function floorScenario(options: ScenarioOptions): Promise<ScenarioResult> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--allow-net", new URL(import.meta.url).pathname],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let url = "";
  while (!url.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("floor.ts exited early");
    url += value;
  }
  reader.releaseLock();
  child.stdout.cancel().catch(() => {});
  try {
    for (let i = 0; i < 20; i++) await (await fetch(url.trim())).text();
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
