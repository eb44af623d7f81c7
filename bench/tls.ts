/**
 * tls-1k: 1,000 TLS endpoints (20 loopback listeners × 50 SNI names, a leaf
 * each, signed by one CA) probed by one `kind: tls` source with concurrency
 * 32 → wall time of the first round (all at once), peak RSS, then RSS and CPU
 * over one interval where the probes are spread. The listeners run in this
 * process; RSS and CPU are the exporter's alone.
 */
import { cpuSeconds, launchExporter, memory, percentile, round, sleep } from "./_harness.ts";
import { type ScenarioOptions, type ScenarioResult, sizeOf } from "./_report.ts";
import { type Endpoint, nodeTlsServer, pemCert } from "../tests/testing/tls_endpoints.ts";

export async function tlsScenario(options: ScenarioOptions): Promise<ScenarioResult> {
  const targets = sizeOf(options, "targets", 1000, 1000);
  const listeners = Math.min(20, targets);
  const intervalS = sizeOf(options, "interval", 60, 20);
  const concurrency = 32;
  const ca = await pemCert({ cn: "Bench Root", ca: true, days: 365 });
  const perListener = Math.ceil(targets / listeners);
  const servers: Endpoint[] = [];
  const lines: string[] = [];
  try {
    for (let l = 0; l < listeners; l++) {
      const sni = new Map<string, Awaited<ReturnType<typeof pemCert>>>();
      for (let i = 0; i < perListener && l * perListener + i < targets; i++) {
        const name = `t${l * perListener + i}.bench.test`;
        sni.set(name, await pemCert({ cn: name, dns: [name], issuer: ca }));
      }
      const server = await nodeTlsServer(sni.values().next().value!, { sni });
      servers.push(server);
      for (const name of sni.keys()) {
        lines.push(`      - { address: "${server.address}", serverName: ${name} }`);
      }
    }
    const caFile = `${options.workDir}/ca.crt`;
    await Deno.writeTextFile(caFile, ca.cert);
    const exporter = await launchExporter(
      options.workDir,
      `server: { listen: "127.0.0.1:0" }
sources:
  - kind: tls
    name: bench
    refreshInterval: ${intervalS}s
    concurrency: ${concurrency}
    caFile: ${caFile}
    targets:
${lines.join("\n")}
`,
    );
    try {
      // /readyz turns 200 once the first round (every target, `concurrency` at a time) is done.
      for (;;) {
        const ready = await exporter.get("/readyz");
        await ready.body?.cancel();
        if (ready.status === 200) break;
        await sleep(20);
      }
      const firstRound = (performance.now() - exporter.spawnedAt) / 1000;
      const body = await exporter.metrics();
      const ok = body.match(/^x509_probe_success\{.*\} 1$/gm)?.length ?? 0;
      const verified = body.match(/^x509_probe_verified\{.*\} 1$/gm)?.length ?? 0;
      const afterRound = memory(exporter.pid);
      // One interval of spread probes: RSS every second, CPU over the whole interval.
      const cpu0 = cpuSeconds(exporter.pid);
      const samples: number[] = [];
      for (let t = 0; t < intervalS; t++) {
        await sleep(1000);
        samples.push(memory(exporter.pid).rssMiB);
      }
      const cpu = cpuSeconds(exporter.pid) - cpu0;
      const end = memory(exporter.pid);
      return {
        scenario: "tls-1k",
        quick: options.quick,
        params: { targets, listeners, concurrency, intervalS },
        measures: [
          {
            name: "first round: spawn → ready, every target probed",
            value: round(firstRound, 2),
            unit: "s",
          },
          { name: "targets probed successfully", value: ok, unit: `of ${targets}` },
          { name: "verified", value: verified, unit: `of ${targets}` },
          { name: "RSS after the first round", value: afterRound.rssMiB, unit: "MiB" },
          { name: "peak RSS (VmHWM)", value: end.peakMiB, unit: "MiB" },
          { name: "RSS between probes, median", value: percentile(samples, 50), unit: "MiB" },
          { name: "RSS between probes, max", value: Math.max(...samples), unit: "MiB" },
          {
            name: `CPU over one ${intervalS} s interval (spread probes)`,
            value: round(cpu, 2),
            unit: "s",
          },
        ],
        notes: [`RSS every second of the interval: ${samples.join(", ")} MiB`],
      };
    } finally {
      await exporter.stop();
    }
  } finally {
    for (const s of servers) await s.stop();
  }
}
