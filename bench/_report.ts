/** Scenario results: one JSON file per scenario and a plain-text table. */

export interface Measure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** The budget on this machine, when there is one (`value` must not exceed it). */
  readonly budget?: number;
}

export interface ScenarioResult {
  readonly scenario: string;
  readonly quick: boolean;
  readonly params: Record<string, unknown>;
  readonly measures: Measure[];
  readonly notes?: string[];
}

export interface ScenarioOptions {
  readonly quick: boolean;
  /** Overrides of the scenario's sizes and durations (the smoke test shrinks everything). */
  readonly sizes?: Record<string, number>;
  /** Working directory for configs and kubeconfigs. */
  readonly workDir: string;
}

export function sizeOf(options: ScenarioOptions, key: string, full: number, quick: number): number {
  return options.sizes?.[key] ?? (options.quick ? quick : full);
}

export function withinBudget(m: Measure): boolean | undefined {
  return m.budget === undefined ? undefined : m.value <= m.budget;
}

export async function writeResult(dir: string, result: ScenarioResult): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  const path = `${dir}/${result.scenario}${result.quick ? ".quick" : ""}.json`;
  const budgets = result.measures.map((m) => ({ ...m, ok: withinBudget(m) }));
  const meta = {
    date: new Date().toISOString(),
    deno: Deno.version.deno,
    cpus: navigator.hardwareConcurrency,
  };
  await Deno.writeTextFile(
    path,
    JSON.stringify({ ...meta, ...result, measures: budgets }, null, 2) + "\n",
  );
  return path;
}

/** A fixed-width table of every measure, with its budget and verdict. */
export function table(results: readonly ScenarioResult[]): string {
  const rows = [["scenario", "measure", "value", "unit", "budget", "ok"]];
  for (const r of results) {
    for (const m of r.measures) {
      const ok = withinBudget(m);
      rows.push([
        r.scenario + (r.quick ? " (quick)" : ""),
        m.name,
        String(m.value),
        m.unit,
        m.budget === undefined ? "" : `≤ ${m.budget}`,
        ok === undefined ? "" : ok ? "yes" : "NO",
      ]);
    }
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const line = (row: string[]) => row.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  return [line(rows[0]!), widths.map((w) => "-".repeat(w)).join("  "), ...rows.slice(1).map(line)]
    .join("\n");
}
