/**
 * Where the time goes: attaches to an exporter started with `--inspect=127.0.0.1:9229`
 * through the DevTools protocol, CPU-profiles while `--scrapes` /metrics requests (or
 * `--seconds` of whatever it is doing) run, and prints the top functions by self time.
 *
 *   deno run --inspect=127.0.0.1:9229 --allow-read --allow-net --allow-env --allow-sys \
 *     main.ts --config cfg.yaml &
 *   deno run -A bench/profile.ts --url http://127.0.0.1:9793 --scrapes 100 [--out p.cpuprofile]
 *
 * `--heap` also prints V8's heap statistics before and after.
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function flag(name: string, fallback: string): string {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Deno.args[i + 1] ?? fallback : fallback;
}

/** A minimal DevTools protocol session over the inspector's WebSocket. */
export async function connect(inspector: string) {
  const targets = await (await fetch(`${inspector}/json/list`)).json();
  const ws = new WebSocket(targets[0].webSocketDebuggerUrl);
  await new Promise((r) => ws.addEventListener("open", r, { once: true }));
  let id = 0;
  const waiting = new Map<number, (v: unknown) => void>();
  const listeners = new Map<string, (params: unknown) => void>();
  ws.addEventListener("message", (e) => {
    const msg = JSON.parse(e.data);
    if (msg.id !== undefined) waiting.get(msg.id)?.(msg.result ?? msg.error);
    else if (msg.method) listeners.get(msg.method)?.(msg.params);
  });
  return {
    send(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
      const n = ++id;
      ws.send(JSON.stringify({ id: n, method, params }));
      return new Promise((r) => waiting.set(n, r));
    },
    /** Calls `fn` with the params of every `method` event. */
    on(method: string, fn: (params: unknown) => void): void {
      listeners.set(method, fn);
    },
    close: () => ws.close(),
  };
}

/** Self time per function, in ms, heaviest first. */
export function selfTimes(profile: Profile): [string, number][] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const totals = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const f = byId.get(id)!.callFrame;
    const where = f.url
      ? `${f.url.replace(/^.*\/(src|node_modules|ext)\//, "$1/")}:${f.lineNumber + 1}`
      : "";
    const key = `${f.functionName || "(anonymous)"} ${where}`.trim();
    totals.set(key, (totals.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  return [...totals].sort((a, b) => b[1] - a[1]);
}

if (import.meta.main) {
  const url = flag("url", "http://127.0.0.1:9793");
  const scrapes = Number(flag("scrapes", "0"));
  const seconds = Number(flag("seconds", "0"));
  const out = flag("out", "");
  const session = await connect(flag("inspector", "http://127.0.0.1:9229"));
  const heap = () => session.send("Runtime.getHeapUsage");
  if (Deno.args.includes("--heap")) console.log("heap before", await heap());
  await session.send("Profiler.enable");
  await session.send("Profiler.setSamplingInterval", { interval: 200 });
  await session.send("Profiler.start");
  const started = performance.now();
  for (let i = 0; i < scrapes; i++) await (await fetch(`${url}/metrics`)).arrayBuffer();
  if (seconds > 0) await new Promise((r) => setTimeout(r, seconds * 1000));
  const elapsed = performance.now() - started;
  const { profile } = await session.send("Profiler.stop") as { profile: Profile };
  if (Deno.args.includes("--heap")) console.log("heap after", await heap());
  session.close();
  if (out) await Deno.writeTextFile(out, JSON.stringify(profile));
  console.log(`${elapsed.toFixed(0)} ms profiled; self time by function:`);
  for (const [name, ms] of selfTimes(profile).slice(0, 25)) {
    console.log(`${ms.toFixed(1).padStart(9)} ms  ${name}`);
  }
}
