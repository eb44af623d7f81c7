/**
 * `deno task bench [--quick] [scenario...]`: runs the scenarios (all by default),
 * writes bench/results/<scenario>.json and prints a table.
 */
import { churnLongScenario, churnScenario } from "./churn.ts";
import { filesFactsScenario, filesScenario } from "./files.ts";
import { floorScenario } from "./floor.ts";
import { hostileScenario } from "./hostile.ts";
import { idleScenario } from "./idle.ts";
import { offloadScenario } from "./offload.ts";
import { type ScenarioOptions, type ScenarioResult, table, writeResult } from "./_report.ts";
import { scaleFilesScenario, scaleSecretsScenario } from "./scale.ts";
import { secretsScenario } from "./secrets.ts";
import { tlsScenario } from "./tls.ts";

export const SCENARIOS: Record<string, (o: ScenarioOptions) => Promise<ScenarioResult>> = {
  "floor": floorScenario,
  "files-10k": filesScenario,
  "files-10k-facts": filesFactsScenario,
  "secrets-50k": secretsScenario,
  "churn": churnScenario,
  "idle": idleScenario,
  "tls-1k": tlsScenario,
  "offload": offloadScenario,
  "scale-files": scaleFilesScenario,
  "scale-secrets": scaleSecretsScenario,
};

/** Run only when named: churn-30m takes 30 minutes; hostile measures issue 15's inputs. */
export const ON_DEMAND: Record<string, (o: ScenarioOptions) => Promise<ScenarioResult>> = {
  "churn-30m": churnLongScenario,
  "hostile": hostileScenario,
};

const RESULTS = new URL("./results", import.meta.url).pathname;

if (import.meta.main) {
  const args = {
    quick: Deno.args.includes("--quick"),
    help: Deno.args.includes("--help") || Deno.args.includes("-h"),
  };
  const names = Deno.args.filter((a) => !a.startsWith("-"));
  if (args.help || names.some((n) => !(n in SCENARIOS) && !(n in ON_DEMAND))) {
    console.error(`Usage: deno task bench [--quick] [${Object.keys(SCENARIOS).join("|")}]...`);
    Deno.exit(args.help ? 0 : 2);
  }
  const results: ScenarioResult[] = [];
  for (const name of names.length ? names : Object.keys(SCENARIOS)) {
    const workDir = await Deno.makeTempDir({ prefix: `x509-bench-${name}-` });
    console.error(`Running ${name}${args.quick ? " (quick)" : ""}...`);
    try {
      const result = await (SCENARIOS[name] ?? ON_DEMAND[name])!({ quick: args.quick, workDir });
      results.push(result);
      console.error(`Wrote ${await writeResult(RESULTS, result)}`);
      for (const n of result.notes ?? []) console.error(`  ${name}: ${n}`);
    } finally {
      await Deno.remove(workDir, { recursive: true });
    }
  }
  console.log(table(results));
}
