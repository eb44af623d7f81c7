/**
 * idle: a file source on the files-10k tree plus a Kubernetes source watching
 * 10,000 TLS Secrets, nothing changing → CPU and RSS drift over 10 minutes.
 * Nothing scrapes during the run: /proc gives CPU and RSS without disturbing it.
 */
import { pemTree } from "./_data.ts";
import {
  cpuSeconds,
  launchExporter,
  launchKubeServer,
  memory,
  round,
  sleep,
  waitSynced,
} from "./_harness.ts";
import { type ScenarioOptions, type ScenarioResult, sizeOf } from "./_report.ts";

export async function idleScenario(options: ScenarioOptions): Promise<ScenarioResult> {
  const seconds = sizeOf(options, "seconds", 600, 60);
  const certs = sizeOf(options, "certs", 10_000, 10_000);
  const files = sizeOf(options, "files", 2_000, 2_000);
  const tls = sizeOf(options, "tls", 10_000, 10_000);
  const dir = await pemTree(certs, files);
  const kubeconfig = `${options.workDir}/kubeconfig`;
  const server = await launchKubeServer({
    kubeconfig,
    tlsSecrets: tls,
    // A real API server sends a BOOKMARK about once a minute.
    bookmarkIntervalMs: 60_000,
  });
  try {
    const exporter = await launchExporter(
      options.workDir,
      `server: { listen: "127.0.0.1:0" }
sources:
  - kind: file
    name: files
    paths: ["${dir}/**/*.pem"]
  - kind: kubernetes
    name: cluster
    kubeconfig: ${kubeconfig}
    secrets:
      types:
        - { type: kubernetes.io/tls, key: tls.crt }
`,
    );
    try {
      await waitSynced(exporter, certs + tls, 120_000);
      await sleep(2000);
      const cpu0 = cpuSeconds(exporter.pid);
      const mem0 = memory(exporter.pid);
      const samples: number[] = [];
      const step = Math.min(30, seconds);
      for (let t = 0; t < seconds; t += step) {
        await sleep(Math.min(step, seconds - t) * 1000);
        samples.push(memory(exporter.pid).rssMiB);
      }
      const cpu = cpuSeconds(exporter.pid) - cpu0;
      const mem1 = memory(exporter.pid);
      return {
        scenario: "idle",
        quick: options.quick,
        params: { seconds, certs, files, tls },
        measures: [
          { name: `CPU over ${seconds} s`, value: round(cpu, 2), unit: "s" },
          {
            name: "CPU per 10 minutes",
            value: round((cpu * 600) / seconds, 2),
            unit: "s",
            budget: 1,
          },
          { name: "RSS at start", value: mem0.rssMiB, unit: "MiB" },
          { name: "RSS drift", value: round(mem1.rssMiB - mem0.rssMiB), unit: "MiB" },
          { name: "RSS max during run", value: Math.max(...samples), unit: "MiB" },
        ],
        notes: [`RSS every ${step} s: ${samples.join(", ")} MiB`],
      };
    } finally {
      await exporter.stop();
    }
  } finally {
    await server.stop();
  }
}
