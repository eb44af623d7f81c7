/**
 * churn: 100 Secret rotations per second. Every rotation brings a certificate
 * with a unique notAfter, so the first /metrics poll (fixed 100 ms period)
 * showing it dates its arrival; latency is an upper bound within one period.
 */
import {
  cpuSeconds,
  type Exporter,
  launchExporter,
  launchKubeServer,
  memory,
  percentile,
  round,
  sleep,
  waitSynced,
} from "./_harness.ts";
import { type ScenarioOptions, type ScenarioResult, sizeOf } from "./_report.ts";
import { kubeConfigYaml } from "./secrets.ts";

const POLL_MS = 100;

interface Rotation {
  name: string;
  notAfter: number;
  t: number;
}

/** notAfter of every secret_name in a /metrics body. */
function notAfterBySecret(body: string): Map<string, number> {
  const out = new Map<string, number>();
  const re = /^x509_cert_not_after\{.*?secret_name="([^"]*)".*\} (\S+)$/gm;
  for (const m of body.matchAll(re)) out.set(m[1]!, Number(m[2]));
  return out;
}

/** Scrapes every POLL_MS until `stop()`; calls `seen` with each body and its arrival time. */
async function poll(
  exporter: Exporter,
  stop: () => boolean,
  seen: (body: string, at: number) => void,
): Promise<number> {
  let n = 0;
  let next = performance.now();
  while (!stop()) {
    const body = await exporter.metrics();
    seen(body, Date.now());
    n++;
    next += POLL_MS;
    await sleep(Math.max(0, next - performance.now()));
  }
  return n;
}

export async function churnScenario(options: ScenarioOptions): Promise<ScenarioResult> {
  const rate = sizeOf(options, "rate", 100, 100);
  const seconds = sizeOf(options, "seconds", 60, 10);
  const tls = sizeOf(options, "tls", 1_000, 1_000);
  const baselineSeconds = sizeOf(options, "baselineSeconds", 10, 3);
  const kubeconfig = `${options.workDir}/kubeconfig`;
  const server = await launchKubeServer({
    kubeconfig,
    tlsSecrets: tls,
    churnPool: rate * seconds,
    bookmarkIntervalMs: 60_000,
  });
  try {
    const exporter = await launchExporter(options.workDir, kubeConfigYaml(kubeconfig, 1));
    try {
      await waitSynced(exporter, tls, 120_000);
      await sleep(1000);
      // Baseline: what polling alone costs, to tell it apart from the churn's own cost.
      const cpu0 = cpuSeconds(exporter.pid);
      const baseEnd = performance.now() + baselineSeconds * 1000;
      const basePolls = await poll(exporter, () => performance.now() > baseEnd, () => {});
      const pollCpuPerSecond = (cpuSeconds(exporter.pid) - cpu0) / baselineSeconds;

      const mem0 = memory(exporter.pid);
      const cpu1 = cpuSeconds(exporter.pid);
      const started = performance.now();
      await server.control(`/churn?rate=${rate}&seconds=${seconds}`, "POST");
      // Every change of a secret's notAfter, as (time seen, value); matched to the log after.
      const changes = new Map<string, { at: number; value: number }[]>();
      let last = new Map<string, number>();
      let done = false;
      let lastCheck = 0;
      const deadline = started + (seconds + 15) * 1000;
      const polls = await poll(exporter, () => done || performance.now() > deadline, (body, at) => {
        const current = notAfterBySecret(body);
        for (const [name, value] of current) {
          if (last.get(name) === value) continue;
          const list = changes.get(name) ?? [];
          list.push({ at, value });
          changes.set(name, list);
        }
        last = current;
        // Done once the server finished and a poll a second later saw nothing pending.
        if (performance.now() - lastCheck > 1000) {
          lastCheck = performance.now();
          void server.control("/churn").then((l) => {
            const log = l as { done: boolean; rotations: Rotation[] };
            const lastRot = log.rotations.at(-1);
            if (log.done && lastRot && (last.get(lastRot.name) ?? 0) >= lastRot.notAfter) {
              done = true;
            }
          });
        }
      });
      const elapsed = (performance.now() - started) / 1000;
      const cpu = cpuSeconds(exporter.pid) - cpu1;
      const mem1 = memory(exporter.pid);
      const log = await server.control("/churn") as { done: boolean; rotations: Rotation[] };
      const latencies: number[] = [];
      let missed = 0;
      for (const r of log.rotations) {
        const hit = changes.get(r.name)?.find((c) => c.value >= r.notAfter && c.at >= r.t);
        if (hit) latencies.push(hit.at - r.t);
        else missed++;
      }
      const netCpu = cpu - pollCpuPerSecond * elapsed;
      return {
        scenario: "churn",
        quick: options.quick,
        params: { rate, seconds, tls, pollMs: POLL_MS, baselineSeconds, basePolls, polls },
        measures: [
          { name: "rotations", value: log.rotations.length, unit: "" },
          { name: "rotations never seen", value: missed, unit: "" },
          {
            name: "event → /metrics p50",
            value: round(percentile(latencies, 50) / 1000, 3),
            unit: "s",
          },
          {
            name: "event → /metrics p99",
            value: round(percentile(latencies, 99) / 1000, 3),
            unit: "s",
            budget: 1,
          },
          { name: "CPU during churn", value: round(cpu, 2), unit: "s" },
          { name: "CPU net of polling", value: round(netCpu, 2), unit: "s" },
          { name: "CPU of polling alone", value: round(pollCpuPerSecond, 3), unit: "s/s" },
          { name: "RSS before", value: mem0.rssMiB, unit: "MiB" },
          { name: "RSS drift", value: round(mem1.rssMiB - mem0.rssMiB), unit: "MiB" },
          { name: "peak RSS (VmHWM)", value: mem1.peakMiB, unit: "MiB" },
        ],
        notes: [
          `Latency is an upper bound: the first ${POLL_MS} ms poll showing the new notAfter.`,
          `Run lasted ${round(elapsed)} s from the first rotation to the last one seen.`,
        ],
      };
    } finally {
      await exporter.stop();
    }
  } finally {
    await server.stop();
  }
}

/**
 * churn-30m: steady rotation for a long time (issue 15 row 17: 8 rotations/s for 30 minutes),
 * /metrics scraped every 5 s, RSS sampled every 30 s. The first `warmupSeconds` are excluded:
 * caches and V8's heap sizing settle there. "Flat" means the RSS after warm-up moves by less
 * than the budget, first sample to the mean of the last five.
 */
export async function churnLongScenario(options: ScenarioOptions): Promise<ScenarioResult> {
  const rate = sizeOf(options, "rate", 8, 8);
  const seconds = sizeOf(options, "seconds", 1800, 120);
  const warmupSeconds = sizeOf(options, "warmupSeconds", 300, 30);
  const sampleSeconds = sizeOf(options, "sampleSeconds", 30, 10);
  // Under 1,000 so the bench cache holds exactly these (a larger pool is generated at 10k).
  const tls = 999;
  const pool = 999;
  const kubeconfig = `${options.workDir}/kubeconfig`;
  const server = await launchKubeServer({
    kubeconfig,
    tlsSecrets: tls,
    churnPool: pool,
    bookmarkIntervalMs: 60_000,
  });
  try {
    const exporter = await launchExporter(options.workDir, kubeConfigYaml(kubeconfig, 1));
    try {
      await waitSynced(exporter, tls, 120_000);
      const started = performance.now();
      const end = started + seconds * 1000;
      const samples: { t: number; rss: number }[] = [];
      let nextSample = started;
      let nextScrape = started;
      let rotations = 0;
      let chunkEnds = 0;
      while (performance.now() < end) {
        const now = performance.now();
        if (now >= chunkEnds) {
          // The server's pool is `pool` certificates: rotate through it again and again.
          const chunk = Math.min(pool / rate, (end - now) / 1000);
          await server.control(`/churn?rate=${rate}&seconds=${chunk}`, "POST");
          rotations += Math.round(rate * chunk);
          chunkEnds = now + chunk * 1000;
        }
        if (now >= nextScrape) {
          await exporter.metrics();
          nextScrape += 5000;
        }
        if (now >= nextSample) {
          samples.push({ t: (now - started) / 1000, rss: memory(exporter.pid).rssMiB });
          nextSample += sampleSeconds * 1000;
        }
        await sleep(100);
      }
      samples.push({ t: seconds, rss: memory(exporter.pid).rssMiB });
      const after = samples.filter((s) => s.t >= warmupSeconds);
      const first = after[0] ?? samples[0]!;
      const tail = after.slice(-5);
      const tailMean = tail.reduce((a, s) => a + s.rss, 0) / Math.max(1, tail.length);
      const rss = after.map((s) => s.rss);
      return {
        scenario: "churn-30m",
        quick: options.quick,
        params: { rate, seconds, warmupSeconds, sampleSeconds, tls, pool, scrapeSeconds: 5 },
        measures: [
          { name: "rotations", value: rotations, unit: "" },
          { name: "RSS at sync", value: samples[0]!.rss, unit: "MiB" },
          { name: "RSS after warm-up", value: first.rss, unit: "MiB" },
          { name: "RSS at end (mean of last 5)", value: round(tailMean), unit: "MiB" },
          {
            name: "RSS drift after warm-up",
            value: round(tailMean - first.rss),
            unit: "MiB",
            budget: 5,
          },
          {
            name: "RSS range after warm-up",
            value: round(Math.max(...rss) - Math.min(...rss)),
            unit: "MiB",
          },
          { name: "peak RSS (VmHWM)", value: memory(exporter.pid).peakMiB, unit: "MiB" },
        ],
        notes: [
          `RSS samples (s: MiB): ${samples.map((s) => `${round(s.t, 0)}: ${s.rss}`).join(", ")}`,
        ],
      };
    } finally {
      await exporter.stop();
    }
  } finally {
    await server.stop();
  }
}
