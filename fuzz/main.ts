/**
 * `deno task fuzz [--seconds=30] [--seed=N] [--case=K] [--slow-ms=2000] [name...]`:
 * runs each fuzzer (decode, kubeconfig, and config when fuzz/config_fuzz.ts exists)
 * for a bounded time. The seed is printed first; a failure prints the command that
 * replays its one case. Exit 1 on any failure.
 */
import { parseArgs } from "node:util";
import { fuzzers, randomSeed } from "./_run.ts";

const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    seconds: { type: "string", default: "30" },
    seed: { type: "string" },
    case: { type: "string" },
    "slow-ms": { type: "string", default: "2000" },
  },
});
const seed = values.seed !== undefined ? Number(values.seed) >>> 0 : randomSeed();
const all = await fuzzers();
const names = positionals.length ? positionals : Object.keys(all);
const unknown = names.filter((n) => !(n in all));
if (unknown.length) {
  console.error(`Unknown fuzzer: ${unknown.join(", ")} (have: ${Object.keys(all).join(", ")})`);
  Deno.exit(2);
}
if (!("config" in all)) {
  console.error("fuzz: no fuzz/config_fuzz.ts yet: the config fuzzer is skipped");
}
let failed = false;
for (const name of names) {
  console.log(`fuzz ${name}: seed ${seed}, ${values.seconds} s`);
  const result = await all[name]!({
    seed,
    seconds: Number(values.seconds),
    slowMs: Number(values["slow-ms"]),
    ...(values.case !== undefined ? { case: Number(values.case) } : {}),
  });
  const slowest = result.slowestMs === undefined
    ? ""
    : `, slowest ${result.slowestMs.toFixed(0)} ms`;
  if (result.failure) {
    failed = true;
    console.log(`fuzz ${name}: FAILED at case ${result.failure.case} after ${result.cases} cases`);
    console.log(`  ${result.failure.message}`);
    console.log(`  replay: deno task fuzz --seed=${seed} --case=${result.failure.case} ${name}`);
  } else {
    console.log(`fuzz ${name}: ${result.cases} cases ok${slowest}`);
  }
}
Deno.exit(failed ? 1 : 0);
