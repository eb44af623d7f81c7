/**
 * secrets-50k: 10,000 TLS Secrets among 40,000 Helm releases of 50 KiB, served
 * by the fake API server in its own process → full sync, peak and steady RSS,
 * API responses, with one secret type (a field selector) and with two.
 */
import {
  cpuSeconds,
  launchExporter,
  launchKubeServer,
  memory,
  round,
  sleep,
  waitSynced,
} from "./_harness.ts";
import { type Measure, type ScenarioOptions, type ScenarioResult, sizeOf } from "./_report.ts";

const RULES = {
  tls: "        - { type: kubernetes.io/tls, key: tls.crt }",
  opaque: "        - { type: Opaque, key: ca.crt }",
  // An empty type matches every Secret type, so no field selector can apply.
  any: '        - { type: "", key: tls.crt }',
};

/** `typeRules`: how many typed rules (1: TLS; 2: TLS and Opaque), or "any" for one untyped rule. */
export function kubeConfigYaml(kubeconfig: string, typeRules: number | "any", extra = ""): string {
  const rules = typeRules === "any"
    ? RULES.any
    : [RULES.tls, RULES.opaque].slice(0, typeRules).join("\n");
  return `server: { listen: "127.0.0.1:0" }
sources:
  - kind: kubernetes
    name: cluster
    kubeconfig: ${kubeconfig}
${extra}    secrets:
      types:
${rules}
`;
}

export async function secretsScenario(options: ScenarioOptions): Promise<ScenarioResult> {
  const tls = sizeOf(options, "tls", 10_000, 1_000);
  const helm = sizeOf(options, "helm", 40_000, 4_000);
  const helmBytes = sizeOf(options, "helmBytes", 50 * 1024, 50 * 1024);
  // V8's memory reducer gives the sync's garbage back ~20-25 s after the allocation
  // rate drops: "steady" is read after that, "10 s after sync" shows the way there.
  const settleMs = sizeOf(options, "settleMs", 45_000, 3_000);
  const kubeconfig = `${options.workDir}/kubeconfig`;
  const server = await launchKubeServer({
    kubeconfig,
    tlsSecrets: tls,
    helmSecrets: helm,
    helmBytes,
  });
  const measures: Measure[] = [];
  const notes: string[] = [];
  try {
    const variants: { label: string; rules: number | "any" }[] = [
      { label: "1 type (fieldSelector)", rules: 1 },
      { label: "2 types (a fieldSelector each)", rules: 2 },
      { label: "any type (no selector)", rules: "any" },
    ];
    for (const v of variants) {
      await server.stats(true);
      const exporter = await launchExporter(
        options.workDir,
        kubeConfigYaml(
          kubeconfig,
          v.rules,
          options.sizes?.pageSize ? `    listPageSize: ${options.sizes.pageSize}\n` : "",
        ),
      );
      try {
        const sync = await waitSynced(exporter, tls, 300_000);
        const early = Math.min(10_000, settleMs);
        await sleep(early);
        const after10 = memory(exporter.pid);
        await sleep(settleMs - early);
        const steady = memory(exporter.pid);
        const stats = await server.stats();
        const list = stats.list ?? { count: 0, bytes: 0, items: 0 };
        const p = `${v.label}: `;
        measures.push(
          { name: p + "full sync", value: round(sync, 2), unit: "s", budget: 20 },
          { name: p + "peak RSS (VmHWM)", value: steady.peakMiB, unit: "MiB", budget: 150 },
          { name: p + `RSS ${early / 1000} s after sync`, value: after10.rssMiB, unit: "MiB" },
          {
            name: p + `steady RSS (${settleMs / 1000} s after)`,
            value: steady.rssMiB,
            unit: "MiB",
            budget: 100,
          },
          { name: p + "LIST responses", value: list.count, unit: "" },
          { name: p + "LIST bytes", value: round(list.bytes / 2 ** 20), unit: "MiB" },
          { name: p + "objects received", value: list.items, unit: "" },
          { name: p + "CPU to sync", value: round(cpuSeconds(exporter.pid), 2), unit: "s" },
        );
        notes.push(`${v.label}: requests by verb ${JSON.stringify(stats)}`);
      } finally {
        await exporter.stop();
      }
    }
  } finally {
    await server.stop();
  }
  return {
    scenario: "secrets-50k",
    quick: options.quick,
    params: { tls, helm, helmBytes, settleMs, ...options.sizes },
    measures,
    notes,
  };
}
