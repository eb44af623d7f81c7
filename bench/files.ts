/**
 * files-10k: 10,000 certificates in 2,000 PEM bundles → first sync, /metrics
 * latency over 200 scrapes, body size and RSS.
 */
import { pemTree } from "./_data.ts";
import { cpuSeconds, launchExporter, memory, percentile, round, waitSynced } from "./_harness.ts";
import { type ScenarioOptions, type ScenarioResult, sizeOf } from "./_report.ts";

const PROMETHEUS_HEADERS = {
  accept: "text/plain;version=0.0.4;q=0.9,*/*;q=0.1",
  "accept-encoding": "gzip",
};

export async function filesScenario(options: ScenarioOptions): Promise<ScenarioResult> {
  const certs = sizeOf(options, "certs", 10_000, 1_000);
  const files = sizeOf(options, "files", 2_000, 200);
  const scrapes = sizeOf(options, "scrapes", 200, 50);
  const dir = await pemTree(certs, files);
  const exporter = await launchExporter(
    options.workDir,
    `server: { listen: "127.0.0.1:0" }
sources:
  - kind: file
    name: bench
    paths: ["${dir}/**/*.pem"]
`,
  );
  try {
    const firstSync = await waitSynced(exporter, certs, 120_000);
    const synced = memory(exporter.pid);
    const latencies: number[] = [];
    let bytes = 0;
    // curl reads like Prometheus does (a native client): timing through Deno's own fetch
    // measured this process's GC of 11 MB buffers, ~5x the server's time at p99.
    const curl = await hasCurl();
    for (let i = 0; i < scrapes; i++) {
      if (curl) {
        const [seconds, size] = await curlScrape(`${exporter.url}/metrics`);
        latencies.push(seconds * 1000);
        bytes = size;
        continue;
      }
      const t = performance.now();
      const res = await exporter.get("/metrics", { headers: PROMETHEUS_HEADERS });
      bytes = (await res.arrayBuffer()).byteLength;
      latencies.push(performance.now() - t);
    }
    const after = memory(exporter.pid);
    return {
      scenario: "files-10k",
      quick: options.quick,
      params: { certs, files, scrapes },
      measures: [
        { name: "first sync", value: round(firstSync, 2), unit: "s", budget: 3 },
        { name: "/metrics p50", value: round(percentile(latencies, 50)), unit: "ms" },
        { name: "/metrics p99", value: round(percentile(latencies, 99)), unit: "ms", budget: 50 },
        { name: "/metrics body", value: round(bytes / 1024), unit: "KiB" },
        { name: "RSS after sync", value: synced.rssMiB, unit: "MiB", budget: 100 },
        { name: "RSS after scrapes", value: after.rssMiB, unit: "MiB", budget: 100 },
        { name: "peak RSS (VmHWM)", value: after.peakMiB, unit: "MiB" },
        { name: "CPU total", value: round(cpuSeconds(exporter.pid), 2), unit: "s" },
      ],
    };
  } finally {
    await exporter.stop();
  }
}

async function hasCurl(): Promise<boolean> {
  try {
    return (await new Deno.Command("curl", { args: ["--version"], stdout: "null" }).output())
      .success;
  } catch {
    return false;
  }
}

/** One scrape with curl: total time in seconds and body size in bytes. */
async function curlScrape(url: string): Promise<[number, number]> {
  const out = await new Deno.Command("curl", {
    args: [
      "-s",
      "-o",
      "/dev/null",
      "-H",
      `Accept: ${PROMETHEUS_HEADERS.accept}`,
      "-H",
      "Accept-Encoding: gzip",
      "-w",
      "%{time_total} %{size_download}",
      url,
    ],
    stdout: "piped",
  }).output();
  const [t, n] = new TextDecoder().decode(out.stdout).split(" ").map(Number);
  return [t!, n!];
}
