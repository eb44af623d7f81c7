/**
 * Process plumbing shared by the scenarios: the exporter started as the tests
 * start it (scripts/flags.ts permissions, never -A), RSS and CPU of its pid
 * read from /proc, and the fake API server in its own process.
 */
import { type ExporterProcess, startExporter } from "../tests/testing/exporter_process.ts";
import type { KubeServerSpec } from "./_kube_server_main.ts";

export interface Exporter extends ExporterProcess {
  readonly pid: number;
  /** performance.now() just before the process was spawned. */
  readonly spawnedAt: number;
}

const CLK_TCK = 100;

/** Writes `config` (YAML) into `dir` and starts the exporter on it. */
export async function launchExporter(dir: string, config: string): Promise<Exporter> {
  const path = `${dir}/config.yaml`;
  await Deno.writeTextFile(path, config);
  const spawnedAt = performance.now();
  // The pid comes from the spawn itself: scanning this process's children raced with
  // exporters other tests start in parallel.
  const exporter = await startExporter(["--config", path], { timeoutMs: 60_000 });
  return Object.assign(exporter, { spawnedAt });
}

export interface Memory {
  /** Current resident set, MiB. */
  rssMiB: number;
  /** Peak resident set since start (VmHWM), MiB. */
  peakMiB: number;
  /**
   * Anonymous resident memory (RssAnon), MiB: the heaps, without the pages of the
   * binary and of other files, which are clean, shared and reclaimable, and grow
   * once per code path first run.
   */
  anonMiB: number;
}

export function memory(pid: number): Memory {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? 0);
  return {
    rssMiB: round(kb("VmRSS") / 1024),
    peakMiB: round(kb("VmHWM") / 1024),
    anonMiB: round(kb("RssAnon") / 1024),
  };
}

/** User + system CPU seconds of `pid` so far. */
export function cpuSeconds(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

export function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Number of samples of the family `name` in a /metrics body. */
export function countSeries(body: string, name: string): number {
  let n = 0;
  const prefix = `\n${name}{`;
  for (let i = body.indexOf(prefix); i !== -1; i = body.indexOf(prefix, i + 1)) n++;
  return n;
}

export function metricValue(body: string, name: string): number | undefined {
  const m = new RegExp(`^${name} (\\S+)$`, "m").exec(body);
  return m ? Number(m[1]) : undefined;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls until /readyz answers 200 and `x509_cert_not_after` has `series` samples. */
export async function waitSynced(
  exporter: Exporter,
  series: number,
  timeoutMs: number,
): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  let seen = -1;
  while (performance.now() < deadline) {
    const ready = await exporter.get("/readyz");
    await ready.body?.cancel();
    if (ready.status === 200) {
      seen = countSeries(await exporter.metrics(), "x509_cert_not_after");
      if (seen >= series) return (performance.now() - exporter.spawnedAt) / 1000;
    }
    await sleep(50);
  }
  throw new Error(`Not synced after ${timeoutMs} ms: ${seen} of ${series} series`);
}

export type RequestStats = Record<string, { count: number; bytes: number; items: number }>;

export interface KubeServer {
  readonly url: string;
  readonly pid: number;
  stats(reset?: boolean): Promise<RequestStats>;
  control(path: string, method?: string): Promise<unknown>;
  stop(): Promise<void>;
}

/** Starts bench/_kube_server_main.ts and waits for its `{ url, control }` line. */
export async function launchKubeServer(spec: KubeServerSpec): Promise<KubeServer> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--allow-all",
      "--v8-flags=--max-old-space-size=8192",
      new URL("./_kube_server_main.ts", import.meta.url).pathname,
      JSON.stringify(spec),
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const { url, control } = JSON.parse(await firstLine(child, "The fake API server"));
  const call = async (path: string, method = "GET") => {
    const res = await fetch(control + path, { method });
    return await res.json();
  };
  return {
    url,
    pid: child.pid,
    stats: (reset = false) => call(reset ? "/stats?reset=1" : "/stats") as Promise<RequestStats>,
    control: call,
    stop: async () => {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

/** The first line a child writes on stdout (where it listens); the rest is let go. */
export async function firstLine(child: Deno.ChildProcess, who: string): Promise<string> {
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) {
      throw new Error(`${who} exited before listening (${JSON.stringify(await child.status)})`);
    }
    text += value;
  }
  reader.releaseLock();
  child.stdout.cancel().catch(() => {});
  return text.slice(0, text.indexOf("\n"));
}
