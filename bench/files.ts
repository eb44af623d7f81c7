/**
 * files-10k: 10,000 certificates in 2,000 PEM bundles → first sync, /metrics
 * latency over 200 scrapes, body size and RSS.
 */
import { pemTree, warmPageCache } from "./_data.ts";
import { floorSend } from "./floor.ts";
import { cpuSeconds, launchExporter, memory, round, sleep, waitSynced } from "./_harness.ts";
import { type ScenarioOptions, type ScenarioResult, sizeOf } from "./_report.ts";
import { scrapeSeries } from "./_scrape.ts";

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
  warmPageCache(dir);
  const exporter = await launchExporter(
    options.workDir,
    `server: { listen: "127.0.0.1:0" }
${extra}sources:
  - kind: file
    name: bench
    paths: ["${dir}/**/*.pem"]
`,
  );
  let stopped = false;
  try {
    const firstSync = await waitSynced(exporter, certs, 120_000);
    const synced = memory(exporter.pid);
    // Prometheus asks for gzip; a person with curl does not. Both are measured.
    const gzip = await scrapeSeries(exporter.url, scrapes, true);
    const afterGzip = memory(exporter.pid);
    const plain = await scrapeSeries(exporter.url, scrapes, false);
    const after = memory(exporter.pid);
    const cpu = cpuSeconds(exporter.pid);
    // The text's chunks wait for a GC in the malloc heap: what is left once it has run.
    const settleMs = sizeOf(options, "settleMs", 30_000, 0);
    await sleep(settleMs);
    const settled = memory(exporter.pid);
    await exporter.stop();
    stopped = true;
    // What sending as many bytes costs a bare Deno.serve, with nothing else running.
    const floor = await floorSend(plain.bytes, scrapes);
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
        {
          name: "floor: a bare Deno.serve sending that body, p50",
          value: round(floor.p50),
          unit: "ms",
        },
        {
          name: "floor: a bare Deno.serve sending that body, p99",
          value: round(floor.p99),
          unit: "ms",
        },
        { name: "RSS after sync", value: synced.rssMiB, unit: "MiB", budget: 100 },
        { name: "RSS after gzip scrapes", value: afterGzip.rssMiB, unit: "MiB", budget: 100 },
        { name: "peak RSS until then", value: afterGzip.peakMiB, unit: "MiB" },
        { name: "RSS after plain scrapes", value: after.rssMiB, unit: "MiB", budget: 100 },
        {
          name: `RSS ${settleMs / 1000} s after plain scrapes`,
          value: settled.rssMiB,
          unit: "MiB",
        },
        { name: "peak RSS (VmHWM)", value: after.peakMiB, unit: "MiB" },
        { name: "CPU total", value: round(cpu, 2), unit: "s" },
      ],
    };
  } finally {
    if (!stopped) await exporter.stop();
  }
}
