/**
 * files-10k: 10,000 certificates in 2,000 PEM bundles → first sync, /metrics
 * latency over 200 scrapes, body size and RSS.
 */
import { pemTree } from "./_data.ts";
import {
  cpuSeconds,
  type Exporter,
  launchExporter,
  memory,
  percentile,
  round,
  waitSynced,
} from "./_harness.ts";
import { type ScenarioOptions, type ScenarioResult, sizeOf } from "./_report.ts";

const PROMETHEUS_HEADERS = {
  accept: "text/plain;version=0.0.4;q=0.9,*/*;q=0.1",
  "accept-encoding": "gzip",
};

export function filesScenario(options: ScenarioOptions): Promise<ScenarioResult> {
  return filesRun(options, "files-10k", "");
}

/** files-10k with the certificate facts on: x509_cert_info and the chain families. */
export function filesFactsScenario(options: ScenarioOptions): Promise<ScenarioResult> {
  return filesRun(options, "files-10k-facts", "metrics: { exposeInfo: true, exposeChain: true }\n");
}

async function filesRun(
  options: ScenarioOptions,
  scenario: string,
  extra: string,
): Promise<ScenarioResult> {
  const certs = sizeOf(options, "certs", 10_000, 1_000);
  const files = sizeOf(options, "files", 2_000, 200);
  const scrapes = sizeOf(options, "scrapes", 200, 50);
  const dir = await pemTree(certs, files);
  const exporter = await launchExporter(
    options.workDir,
    `server: { listen: "127.0.0.1:0" }
${extra}sources:
  - kind: file
    name: bench
    paths: ["${dir}/**/*.pem"]
`,
  );
  try {
    const firstSync = await waitSynced(exporter, certs, 120_000);
    const synced = memory(exporter.pid);
    // Prometheus asks for gzip; a person with curl does not. Both are measured.
    const gzip = await scrapeSeries(exporter, scrapes, true);
    const afterGzip = memory(exporter.pid);
    const plain = await scrapeSeries(exporter, scrapes, false);
    const after = memory(exporter.pid);
    return {
      scenario,
      quick: options.quick,
      params: { certs, files, scrapes },
      measures: [
        { name: "first sync", value: round(firstSync, 2), unit: "s", budget: 3 },
        { name: "/metrics p50 (gzip, as Prometheus)", value: round(gzip.p50), unit: "ms" },
        {
          name: "/metrics p99 (gzip, as Prometheus)",
          value: round(gzip.p99),
          unit: "ms",
          budget: 50,
        },
        { name: "/metrics body (gzip)", value: round(gzip.bytes / 1024), unit: "KiB" },
        { name: "/metrics p50 (plain text)", value: round(plain.p50), unit: "ms" },
        { name: "/metrics p99 (plain text)", value: round(plain.p99), unit: "ms", budget: 50 },
        { name: "/metrics body (plain text)", value: round(plain.bytes / 1024), unit: "KiB" },
        { name: "RSS after sync", value: synced.rssMiB, unit: "MiB", budget: 100 },
        { name: "RSS after gzip scrapes", value: afterGzip.rssMiB, unit: "MiB", budget: 100 },
        { name: "peak RSS until then", value: afterGzip.peakMiB, unit: "MiB" },
        { name: "RSS after plain scrapes", value: after.rssMiB, unit: "MiB", budget: 100 },
        { name: "peak RSS (VmHWM)", value: after.peakMiB, unit: "MiB" },
        { name: "CPU total", value: round(cpuSeconds(exporter.pid), 2), unit: "s" },
      ],
    };
  } finally {
    await exporter.stop();
  }
}

/** `n` scrapes, with or without `Accept-Encoding: gzip`: latency percentiles (ms) and body size. */
async function scrapeSeries(
  exporter: Exporter,
  n: number,
  gzip: boolean,
): Promise<{ p50: number; p99: number; bytes: number }> {
  const latencies: number[] = [];
  let bytes = 0;
  // curl reads like Prometheus does (a native client): timing through Deno's own fetch
  // measured this process's GC of 11 MB buffers, ~5x the server's time at p99.
  const curl = await hasCurl();
  for (let i = 0; i < n; i++) {
    if (curl) {
      const [seconds, size] = await curlScrape(`${exporter.url}/metrics`, gzip);
      latencies.push(seconds * 1000);
      bytes = size;
      continue;
    }
    const t = performance.now();
    const res = await exporter.get("/metrics", {
      headers: { ...PROMETHEUS_HEADERS, "accept-encoding": gzip ? "gzip" : "identity" },
    });
    bytes = (await res.arrayBuffer()).byteLength;
    latencies.push(performance.now() - t);
  }
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), bytes };
}

async function hasCurl(): Promise<boolean> {
  try {
    return (await new Deno.Command("curl", { args: ["--version"], stdout: "null" }).output())
      .success;
  } catch {
    return false;
  }
}

/** One scrape with curl: total time in seconds and bytes received (compressed, if gzip). */
async function curlScrape(url: string, gzip: boolean): Promise<[number, number]> {
  const out = await new Deno.Command("curl", {
    args: [
      "-s",
      "-o",
      "/dev/null",
      "-H",
      `Accept: ${PROMETHEUS_HEADERS.accept}`,
      ...(gzip ? ["-H", "Accept-Encoding: gzip"] : []),
      "-w",
      "%{time_total} %{size_download}",
      url,
    ],
    stdout: "piped",
  }).output();
  const [t, n] = new TextDecoder().decode(out.stdout).split(" ").map(Number);
  return [t!, n!];
}
