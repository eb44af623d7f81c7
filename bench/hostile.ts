/**
 * hostile: issue 15's inputs dropped into a watched directory beside a good file:
 * 4,995 certificates in one 2.7 MiB bundle (under maxInputBytes, over maxCertificates),
 * 1 MiB of BEGIN lines without END, a 700 MiB sparse file, a FIFO, and a PKCS#12 whose
 * MAC and bags ask for the iteration limit (100,000) tried with a wrong passphrase first.
 * /healthz is timed every 20 ms throughout; RSS is read before (after a warm-up scrape),
 * while they are there, and once they are gone and V8's memory reducer had its 45 s.
 */
import { keyAndChain, makeTestPki, opensslPkcs12 } from "../tests/testing/keystores.ts";
import { certPool } from "./_data.ts";
import { launchExporter, memory, round, sleep } from "./_harness.ts";
import { type ScenarioOptions, type ScenarioResult, sizeOf } from "./_report.ts";

export async function hostileScenario(options: ScenarioOptions): Promise<ScenarioResult> {
  const settleMs = sizeOf(options, "settleMs", 45_000, 10_000);
  const dir = `${options.workDir}/certs`;
  await Deno.mkdir(dir);
  const pems = await certPool("leaf", 999);
  await Deno.writeTextFile(`${dir}/good.pem`, pems[0]!);
  const p12 = await heavyPkcs12(options.workDir);
  const exporter = await launchExporter(
    options.workDir,
    `server: { listen: "127.0.0.1:0" }
cache: { filePoll: { interval: 1s } }
sources:
  - kind: file
    name: hostile
    paths: ["${dir}/*"]
    formats: [pem, pkcs12]
    pkcs12: { passphrase: secret }
`,
  );
  let worstHealthz = 0;
  let probes = 0;
  let failedProbes = 0;
  let stop = false;
  const t0 = performance.now();
  const slow: string[] = [];
  // Probed while the inputs arrive, are parsed, scraped and removed; memory is read in
  // quiet spells on both sides, since 50 probes a second leave a sawtooth of garbage
  // (anonymous memory 26 → 31 MiB in a minute with no input at all).
  let prober: Promise<void> = Promise.resolve();
  const probe = async () => {
    while (!stop) {
      const t = performance.now();
      try {
        const res = await exporter.get("/healthz", { signal: AbortSignal.timeout(2000) });
        await res.body?.cancel();
      } catch {
        failedProbes++;
      }
      const took = performance.now() - t;
      worstHealthz = Math.max(worstHealthz, took);
      if (took > 50) slow.push(`${round(took)} ms at ${round((t - t0) / 1000)} s`);
      probes++;
      await sleep(20);
    }
  };
  try {
    await sleep(3000);
    // The baseline is a warm process: one scrape has compiled the render path.
    await exporter.metrics();
    await sleep(settleMs / 3);
    prober = probe();
    const inputsAt = round((performance.now() - t0) / 1000);
    const before = memory(exporter.pid);
    const inputs = [
      `${dir}/bundle.pem`,
      `${dir}/no-end.pem`,
      `${dir}/sparse.pem`,
      `${dir}/fifo`,
      `${dir}/heavy.p12`,
    ];
    await Deno.writeTextFile(inputs[0]!, pems.join("").repeat(5));
    await Deno.writeTextFile(inputs[1]!, "-----BEGIN CERTIFICATE-----\n".repeat(37_450));
    using sparse = await Deno.open(inputs[2]!, { write: true, create: true });
    await sparse.truncate(700 * 1024 * 1024);
    await new Deno.Command("mkfifo", { args: [inputs[3]!] }).output();
    await Deno.writeFile(inputs[4]!, p12);
    // Ten polls with the inputs present: each changed file is parsed once, then skipped.
    await sleep(10_000);
    const during = memory(exporter.pid);
    const body = await exporter.metrics();
    const tooLarge = /reason="too_large"[^\n]*\} (\d+)/.exec(body)?.[1] ?? "0";
    const good = body.includes("good.pem");
    const p12Certs = (body.match(/^x509_cert_not_after\{[^}]*heavy\.p12/gm) ?? []).length;
    const scrapedAt = round((performance.now() - t0) / 1000);
    // Apart from the scrape, so a stall shows which of the two it belongs to.
    await sleep(2000);
    const removedAt = round((performance.now() - t0) / 1000);
    for (const p of inputs) await Deno.remove(p);
    await sleep(2000);
    stop = true;
    await prober;
    await sleep(settleMs);
    const after = memory(exporter.pid);
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
        { name: "RSS after, over before", value: pct(after.rssMiB, before.rssMiB), unit: "%" },
        { name: "anonymous memory before", value: before.anonMiB, unit: "MiB" },
        { name: "anonymous memory with the inputs", value: during.anonMiB, unit: "MiB" },
        { name: "anonymous memory after they are gone", value: after.anonMiB, unit: "MiB" },
        {
          // The budget is on what the exporter holds: code pages of the binary first run
          // by these inputs stay resident (clean, shared, reclaimable) and are no leak.
          name: "anonymous memory after, over before",
          value: pct(after.anonMiB, before.anonMiB),
          unit: "%",
          budget: 10,
        },
        { name: "peak RSS (VmHWM)", value: after.peakMiB, unit: "MiB" },
        { name: "good file exported", value: good ? 1 : 0, unit: "" },
        { name: "certificates of the PKCS#12 at the limit", value: p12Certs, unit: "" },
      ],
      notes: [
        `too_large errors counted while present: ${tooLarge}`,
        `inputs at ${inputsAt} s, scrape at ${scrapedAt} s, removal at ${removedAt} s`,
        `/healthz over 50 ms: ${slow.join(", ") || "none"}`,
      ],
    };
  } finally {
    stop = true;
    await prober.catch(() => {});
    await exporter.stop();
  }
}

/** A PKCS#12 of a key and its chain, MAC and bags at 100,000 iterations (passphrase "secret"). */
export async function heavyPkcs12(dir: string): Promise<Uint8Array> {
  const pki = await makeTestPki(await Deno.makeTempDir({ dir, prefix: "pki-" }));
  return await opensslPkcs12(pki, "heavy", [
    ...["-iter", "100000", "-passout", "pass:secret"],
    ...keyAndChain(pki),
  ]);
}

function pct(after: number, before: number): number {
  return round((after / before - 1) * 100);
}
