/**
 * offload: the two ways to keep parsing from holding the event loop, side by side
 * (issue 15 asked for both to be measured). Each input is decoded inline, with the
 * exporter's sliced decode (decodeItemsAsync: 10 ms slices, PKCS#12 in its worker)
 * and whole in a worker (bench/_decode_worker.ts), in a process with the binary's
 * flags; reported: wall time and the longest hold of the event loop.
 *
 * Inputs: 4,995 certificates in one PEM bundle (2.7 MiB), and a PKCS#12 whose MAC and
 * bags ask for the 100,000-iteration limit, tried with a wrong passphrase first.
 */
import { RUNTIME_FLAGS } from "../scripts/flags.ts";
import { certPool } from "./_data.ts";
import { round } from "./_harness.ts";
import { type Measure, type ScenarioOptions, type ScenarioResult, sizeOf } from "./_report.ts";
import { heavyPkcs12 } from "./hostile.ts";

interface Timing {
  readonly wallMs: number;
  readonly stallMs: number;
}

export async function offloadScenario(options: ScenarioOptions): Promise<ScenarioResult> {
  const certs = sizeOf(options, "certs", 999, 200);
  const pems = await certPool("leaf", certs);
  const bundle = `${options.workDir}/bundle.pem`;
  await Deno.writeTextFile(bundle, pems.join("").repeat(5));
  const p12 = `${options.workDir}/heavy.p12`;
  await Deno.writeFile(p12, await heavyPkcs12(options.workDir));
  const limits = {
    maxInputBytes: 8 * 1024 * 1024,
    maxCertificates: 5000,
    maxErrorItems: 100,
    maxPkcs12Iterations: 100_000,
    maxNestingDepth: 32,
  };
  const inputs = [
    { name: "PEM bundle", path: bundle, options: { limits, formats: ["pem"] } },
    {
      name: "PKCS#12 at the limit",
      path: p12,
      options: { limits, formats: ["pkcs12"], passphrases: { pkcs12: ["wrong", "secret"] } },
    },
  ];
  const main = new URL("./_offload_main.ts", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...RUNTIME_FLAGS, main, JSON.stringify(inputs)],
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error(`offload run failed (exit ${out.code})`);
  const result: Record<string, Record<string, Timing>> = JSON.parse(
    new TextDecoder().decode(out.stdout),
  );
  const measures: Measure[] = [];
  for (const [input, ways] of Object.entries(result)) {
    for (const [way, t] of Object.entries(ways)) {
      measures.push({ name: `${input}: ${way}: wall`, value: round(t.wallMs), unit: "ms" });
      measures.push({
        name: `${input}: ${way}: event loop held`,
        value: round(t.stallMs),
        unit: "ms",
        ...(way === "inline" ? {} : { budget: 100 }),
      });
    }
  }
  return {
    scenario: "offload",
    quick: options.quick,
    params: { certificates: certs * 5 },
    measures,
  };
}
