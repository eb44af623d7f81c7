/**
 * hostile: issue 15's inputs dropped into a watched directory beside a good file:
 * 4,995 certificates in one 2.7 MiB bundle (under maxInputBytes, over maxCertificates),
 * 1 MiB of BEGIN lines without END, a 700 MiB sparse file, a FIFO. /healthz is timed
 * every 20 ms throughout; RSS is read before, while they are there, and once they are
 * gone and V8's memory reducer had its 45 s.
 */
import { certPool } from "./_data.ts";
import { launchExporter, memory, round, sleep } from "./_harness.ts";
import { type ScenarioOptions, type ScenarioResult, sizeOf } from "./_report.ts";

export async function hostileScenario(options: ScenarioOptions): Promise<ScenarioResult> {
  const settleMs = sizeOf(options, "settleMs", 45_000, 10_000);
  const dir = `${options.workDir}/certs`;
  await Deno.mkdir(dir);
  const pems = await certPool("leaf", 999);
  await Deno.writeTextFile(`${dir}/good.pem`, pems[0]!);
  const exporter = await launchExporter(
    options.workDir,
    `server: { listen: "127.0.0.1:0" }
cache: { filePoll: { interval: 1s } }
sources:
  - kind: file
    name: hostile
    paths: ["${dir}/*"]
`,
  );
  let worstHealthz = 0;
  let probes = 0;
  let failedProbes = 0;
  let stop = false;
  const prober = (async () => {
    while (!stop) {
      const t = performance.now();
      try {
        const res = await exporter.get("/healthz", { signal: AbortSignal.timeout(2000) });
        await res.body?.cancel();
      } catch {
        failedProbes++;
      }
      worstHealthz = Math.max(worstHealthz, performance.now() - t);
      probes++;
      await sleep(20);
    }
  })();
  try {
    await sleep(3000);
    const before = memory(exporter.pid);
    const inputs = [`${dir}/bundle.pem`, `${dir}/no-end.pem`, `${dir}/sparse.pem`, `${dir}/fifo`];
    await Deno.writeTextFile(inputs[0]!, pems.join("").repeat(5));
    await Deno.writeTextFile(inputs[1]!, "-----BEGIN CERTIFICATE-----\n".repeat(37_450));
    using sparse = await Deno.open(inputs[2]!, { write: true, create: true });
    await sparse.truncate(700 * 1024 * 1024);
    await new Deno.Command("mkfifo", { args: [inputs[3]!] }).output();
    // Ten polls with the inputs present: each changed file is parsed once, then skipped.
    await sleep(10_000);
    const during = memory(exporter.pid);
    const body = await exporter.metrics();
    const tooLarge = /reason="too_large"[^\n]*\} (\d+)/.exec(body)?.[1] ?? "0";
    const good = body.includes("good.pem");
    for (const p of inputs) await Deno.remove(p);
    await sleep(settleMs);
    const after = memory(exporter.pid);
    stop = true;
    await prober;
    return {
      scenario: "hostile",
      quick: options.quick,
      params: { settleMs, pollSeconds: 1 },
      measures: [
        { name: "worst /healthz", value: round(worstHealthz), unit: "ms", budget: 100 },
        { name: "/healthz probes", value: probes, unit: "" },
        { name: "/healthz probes failed (2 s timeout)", value: failedProbes, unit: "" },
        { name: "RSS before", value: before.rssMiB, unit: "MiB" },
        { name: "RSS with the inputs", value: during.rssMiB, unit: "MiB" },
        { name: "RSS after they are gone", value: after.rssMiB, unit: "MiB" },
        {
          name: "RSS after, over before",
          value: round((after.rssMiB / before.rssMiB - 1) * 100),
          unit: "%",
          budget: 10,
        },
        { name: "peak RSS (VmHWM)", value: after.peakMiB, unit: "MiB" },
        { name: "good file exported", value: good ? 1 : 0, unit: "" },
      ],
      notes: [`too_large errors counted while present: ${tooLarge}`],
    };
  } finally {
    stop = true;
    await prober.catch(() => {});
    await exporter.stop();
  }
}
