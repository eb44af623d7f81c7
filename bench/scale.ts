/**
 * The scale scenarios: what the exporter weighs and how fast it answers at
 * 100,000 certificates, read against a native peer doing the same work.
 *
 * - scale-files: 10,000 then 100,000 certificates (five per PEM file, `pemTree`).
 *   For each size, in one run and in sequence: the floor (a bare `Deno.serve`),
 *   the Deno exporter, then `bench/native` (Go standard library only, built
 *   here with `go build`) on the same tree. Both are measured alike: first sync,
 *   RSS after sync and after N gzip then N plain scrapes, scrape p50/p99, CPU to
 *   sync; then the Deno/native ratios, and a check that both bodies carry the
 *   same certificate series (the same work is compared).
 * - scale-secrets: 50,000 and 10,000 TLS Secrets (no other Secret) from the fake
 *   API server in its own process → full sync, peak and steady RSS.
 *
 * Sync is polled as Prometheus would scrape: with `Accept-Encoding: gzip`; the
 * first scrape after /readyz is timed on its own (the Deno exporter compresses a
 * changed body once, so its first scrape is its slowest).
 */
import { pemTree, warmPageCache } from "./_data.ts";
import { floorScenario } from "./floor.ts";
import {
  countSeries,
  cpuSeconds,
  firstLine,
  launchExporter,
  launchKubeServer,
  memory,
  round,
  sleep,
} from "./_harness.ts";
import { type Measure, type ScenarioOptions, type ScenarioResult, sizeOf } from "./_report.ts";
import { PROMETHEUS_HEADERS, scrapeOnce, scrapeSeries } from "./_scrape.ts";
import { kubeConfigYaml } from "./secrets.ts";

/** The certificate families of both exporters' default output. */
const CERT_FAMILIES = ["x509_cert_not_after", "x509_cert_expired"];

const GO_ENV = {
  // Repeated runs reuse the build; no network is ever needed (standard library only).
  GOCACHE: "/tmp/x509-bench-gocache",
  GO111MODULE: "on",
  GOPROXY: "off",
  GOTOOLCHAIN: "local",
};

/** What both exporters offer the measures: an address, a pid and when it was spawned. */
interface Peer {
  readonly url: string;
  readonly pid: number;
  readonly spawnedAt: number;
  stop(): Promise<unknown>;
}

/** One exporter's numbers at one size. */
interface Run {
  sync: number;
  cpuSync: number;
  /** RSS at the first /readyz 200, before any /metrics. */
  ready: number;
  /** The first gzip /metrics after /readyz 200 (the Deno exporter compresses a new body once), ms. */
  firstScrape: number;
  synced: number;
  afterGzip: number;
  afterPlain: number;
  peak: number;
  gzip: Scrapes;
  plain: Scrapes;
}

export async function scaleFilesScenario(options: ScenarioOptions): Promise<ScenarioResult> {
  // pemTree's bundles hold 1-10 certificates: files = certs / 5 makes 5 a file on average.
  const size = (certs: number, scrapes: number) => ({
    certs,
    files: Math.max(1, Math.round(certs / 5)),
    scrapes,
  });
  const sizes = [
    size(sizeOf(options, "small", 10_000, 1_000), sizeOf(options, "smallScrapes", 100, 20)),
    size(sizeOf(options, "large", 100_000, 3_000), sizeOf(options, "largeScrapes", 50, 10)),
  ];
  const native = await buildNative(options.workDir);
  const measures: Measure[] = [];
  const notes: string[] = [];
  for (const { certs, files, scrapes } of sizes) {
    const dir = await pemTree(certs, files);
    const glob = `${dir}/**/*.pem`;
    const floor = await floorRss(options);
    const timeoutMs = 60_000 + certs;

    warmPageCache(dir);
    const deno = await launchExporter(
      options.workDir,
      `server: { listen: "127.0.0.1:0" }
sources:
  - kind: file
    name: bench
    paths: ["${glob}"]
`,
    );
    let denoRun: Run, denoLines: string[];
    try {
      denoRun = await measureRun(deno, certs, scrapes, timeoutMs);
      denoLines = await certLines(deno.url);
    } finally {
      await deno.stop();
    }

    warmPageCache(dir);
    const peer = await launchNative(native, glob);
    let nativeRun: Run, differing: number;
    try {
      nativeRun = await measureRun(peer, certs, scrapes, timeoutMs);
      differing = diffCount(denoLines, await certLines(peer.url));
    } finally {
      await peer.stop();
    }
    denoLines = [];

    const p = `${certs.toLocaleString("en-US")} certs: `;
    const atScale = certs >= 100_000;
    measures.push(
      { name: p + "floor (bare Deno.serve) RSS", value: floor, unit: "MiB" },
      ...runMeasures(p + "deno: ", denoRun, scrapes, atScale),
      {
        name: p + "deno: per certificate past the floor",
        value: round(((denoRun.afterGzip - floor) * 1024) / certs, 2),
        unit: "KiB",
        ...(atScale ? { budget: 1.5 } : {}),
      },
      ...runMeasures(p + "native: ", nativeRun, scrapes, false),
      ...ratios(p + "deno/native: ", denoRun, nativeRun),
      { name: p + "cert series differing between the two", value: differing, unit: "", budget: 0 },
    );
    notes.push(
      `${p}bodies deno ${kib(denoRun.gzip.bytes)} KiB gzip, ${kib(denoRun.plain.bytes)} KiB ` +
        `plain; native ${kib(nativeRun.gzip.bytes)} KiB gzip, ${
          kib(nativeRun.plain.bytes)
        } KiB plain`,
    );
  }
  return {
    scenario: "scale-files",
    quick: options.quick,
    params: { sizes, ...options.sizes },
    measures,
    notes,
  };
}

export async function scaleSecretsScenario(options: ScenarioOptions): Promise<ScenarioResult> {
  // V8's memory reducer returns the sync's garbage ~20-25 s after it: "steady" is after that.
  const settleMs = sizeOf(options, "settleMs", 45_000, 3_000);
  const runs = [
    { tls: sizeOf(options, "large", 50_000, 5_000) },
    { tls: sizeOf(options, "small", 10_000, 1_000), steadyBudget: 100 },
  ];
  const measures: Measure[] = [];
  const notes: string[] = [];
  for (const { tls, steadyBudget } of runs) {
    const kubeconfig = `${options.workDir}/kubeconfig`;
    const server = await launchKubeServer({
      kubeconfig,
      tlsSecrets: tls,
    });
    try {
      const exporter = await launchExporter(options.workDir, kubeConfigYaml(kubeconfig, 1));
      try {
        const { sync } = await waitReady(exporter, tls, 300_000);
        const cpu = cpuSeconds(exporter.pid);
        await sleep(settleMs);
        const steady = memory(exporter.pid);
        const list = (await server.stats()).list ?? { count: 0, bytes: 0, items: 0 };
        const p = `${tls.toLocaleString("en-US")} TLS Secrets: `;
        measures.push(
          { name: p + "full sync", value: round(sync, 2), unit: "s" },
          { name: p + "CPU to sync", value: round(cpu, 2), unit: "s" },
          { name: p + "peak RSS (VmHWM)", value: steady.peakMiB, unit: "MiB" },
          {
            name: p + `steady RSS (${settleMs / 1000} s after sync)`,
            value: steady.rssMiB,
            unit: "MiB",
            ...(steadyBudget ? { budget: steadyBudget } : {}),
          },
          { name: p + "LIST responses", value: list.count, unit: "" },
          { name: p + "LIST bytes", value: round(list.bytes / 2 ** 20), unit: "MiB" },
        );
      } finally {
        await exporter.stop();
      }
    } finally {
      await server.stop();
    }
  }
  return {
    scenario: "scale-secrets",
    quick: options.quick,
    params: { runs, settleMs, ...options.sizes },
    measures,
    notes,
  };
}

/** Sync, then N gzip and N plain scrapes, with RSS read between them. */
async function measureRun(peer: Peer, certs: number, scrapes: number, timeoutMs: number) {
  const { sync, ready, firstScrape } = await waitReady(peer, certs, timeoutMs);
  const cpuSync = cpuSeconds(peer.pid);
  const synced = memory(peer.pid).rssMiB;
  const gzip = await scrapeSeries(peer.url, scrapes, true);
  const afterGzip = memory(peer.pid).rssMiB;
  const plain = await scrapeSeries(peer.url, scrapes, false);
  const after = memory(peer.pid);
  return {
    sync,
    cpuSync,
    ready,
    firstScrape,
    synced,
    afterGzip,
    afterPlain: after.rssMiB,
    peak: after.peakMiB,
    gzip,
    plain,
  } satisfies Run;
}

function runMeasures(p: string, r: Run, scrapes: number, atScale: boolean): Measure[] {
  const budget = (b: number) => (atScale ? { budget: b } : {});
  return [
    { name: p + "first sync", value: round(r.sync, 2), unit: "s", ...budget(10) },
    { name: p + "CPU to sync", value: round(r.cpuSync, 2), unit: "s" },
    { name: p + "RSS at ready (no scrape yet)", value: r.ready, unit: "MiB" },
    { name: p + "first /metrics after ready (gzip)", value: round(r.firstScrape), unit: "ms" },
    { name: p + "RSS after sync (and 2 scrapes)", value: r.synced, unit: "MiB" },
    {
      name: p + `RSS after ${scrapes} gzip scrapes`,
      value: r.afterGzip,
      unit: "MiB",
      ...budget(256),
    },
    { name: p + `RSS after ${scrapes} plain scrapes`, value: r.afterPlain, unit: "MiB" },
    { name: p + "peak RSS (VmHWM)", value: r.peak, unit: "MiB" },
    { name: p + "/metrics p50 (gzip)", value: round(r.gzip.p50), unit: "ms" },
    { name: p + "/metrics p99 (gzip)", value: round(r.gzip.p99), unit: "ms", ...budget(100) },
    { name: p + "/metrics p50 (plain text)", value: round(r.plain.p50), unit: "ms" },
    { name: p + "/metrics p99 (plain text)", value: round(r.plain.p99), unit: "ms" },
  ];
}

function ratios(p: string, deno: Run, native: Run): Measure[] {
  const ratio = (a: number, b: number) => round(a / b, 2);
  return [
    {
      name: p + "memory (RSS after gzip scrapes)",
      value: ratio(deno.afterGzip, native.afterGzip),
      unit: "×",
      budget: 1.2,
    },
    { name: p + "first sync", value: ratio(deno.sync, native.sync), unit: "×", budget: 1 },
    { name: p + "gzip p99", value: ratio(deno.gzip.p99, native.gzip.p99), unit: "×", budget: 1 },
    { name: p + "plain p99", value: ratio(deno.plain.p99, native.plain.p99), unit: "×" },
  ];
}

/**
 * `sync`: seconds from spawn to the /readyz 200 after which /metrics (asked as
 * Prometheus asks, gzip) holds `series` samples of `x509_cert_not_after`; `ready`:
 * RSS then (MiB); `firstScrape`: the first gzip scrape after it (ms), before the
 * one that counts the series.
 */
async function waitReady(
  peer: Peer,
  series: number,
  timeoutMs: number,
): Promise<{ sync: number; ready: number; firstScrape: number }> {
  const deadline = performance.now() + timeoutMs;
  let seen = -1;
  let first: { ready: number; firstScrape: number } | undefined;
  while (performance.now() < deadline) {
    const ready = await fetch(`${peer.url}/readyz`);
    const at = performance.now();
    await ready.body?.cancel();
    if (ready.status === 200) {
      first ??= {
        ready: memory(peer.pid).rssMiB,
        firstScrape: (await scrapeOnce(peer.url, true))[0],
      };
      const res = await fetch(`${peer.url}/metrics`, { headers: PROMETHEUS_HEADERS });
      seen = countSeries(await res.text(), "x509_cert_not_after");
      if (seen >= series) return { sync: (at - peer.spawnedAt) / 1000, ...first };
    }
    await sleep(50);
  }
  throw new Error(`Not synced after ${timeoutMs} ms: ${seen} of ${series} series`);
}

/** The native peer built from bench/native into `workDir`; fails clearly without Go. */
async function buildNative(workDir: string): Promise<string> {
  const out = `${workDir}/native-exporter`;
  let result: Deno.CommandOutput;
  try {
    result = await new Deno.Command("go", {
      args: ["build", "-o", out, "."],
      cwd: new URL("./native", import.meta.url).pathname,
      env: GO_ENV,
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new Error(
        "scale-files builds its native peer (bench/native) with Go, and `go` is not on PATH: " +
          "install Go (Debian/Ubuntu: apt-get install golang-go)",
      );
    }
    throw err;
  }
  if (!result.success) {
    throw new Error(`go build of bench/native failed:\n${new TextDecoder().decode(result.stderr)}`);
  }
  return out;
}

/** Starts the native peer and reads its `listening ADDR` line. */
async function launchNative(binary: string, glob: string): Promise<Peer> {
  const spawnedAt = performance.now();
  const child = new Deno.Command(binary, {
    args: ["-listen", "127.0.0.1:0", "-glob", glob, "-poll", "5m"],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const text = await firstLine(child, "The native peer");
  const m = /^listening (\S+)/.exec(text);
  if (!m) throw new Error(`Unexpected first line from the native peer: ${text}`);
  return {
    url: `http://${m[1]}`,
    pid: child.pid,
    spawnedAt,
    stop: async () => {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

/** The lines of the certificate families (HELP, TYPE, samples), sorted. */
async function certLines(url: string): Promise<string[]> {
  const body = await (await fetch(`${url}/metrics`, { headers: PROMETHEUS_HEADERS })).text();
  const wanted = (line: string) =>
    CERT_FAMILIES.some((f) =>
      line.startsWith(f + "{") || line.startsWith(`# HELP ${f} `) ||
      line.startsWith(`# TYPE ${f} `)
    );
  return body.split("\n").filter(wanted).sort();
}

/** Lines in one sorted list and not in the other. */
function diffCount(a: readonly string[], b: readonly string[]): number {
  let i = 0, j = 0, n = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) (i++, j++);
    else if (a[i]! < b[j]!) (i++, n++);
    else (j++, n++);
  }
  return n + (a.length - i) + (b.length - j);
}

async function floorRss(options: ScenarioOptions): Promise<number> {
  const r = await floorScenario(options);
  return r.measures.find((m) => m.name === "bare Deno.serve RSS")!.value;
}

interface Scrapes {
  p50: number;
  p99: number;
  bytes: number;
}

function kib(bytes: number): number {
  return round(bytes / 1024);
}
