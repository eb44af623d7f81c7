/** What every fuzzer takes and returns, and the runner shared by `deno task fuzz` and the tests. */

export interface FuzzOptions {
  /** Seed of the run; case `i` is a pure function of (seed, i). */
  readonly seed: number;
  /** How long to run (ignored when `case` is set). */
  readonly seconds: number;
  /** Run this one case only: the replay of a failure. */
  readonly case?: number;
  /** A case slower than this fails. */
  readonly slowMs: number;
}

export interface FuzzResult {
  readonly cases: number;
  readonly slowestMs?: number;
  readonly failure?: { readonly case: number; readonly message: string };
}

export type Fuzzer = (options: FuzzOptions) => Promise<FuzzResult>;

/**
 * The fuzzers by name. `config` is another engineer's (fuzz/config_fuzz.ts): it is
 * loaded when that file exists and exports a function (`fuzzConfig`, or its first
 * function export), called with the same options; until then it is skipped.
 */
export async function fuzzers(): Promise<Record<string, Fuzzer>> {
  const { fuzzDecode } = await import("./decode_fuzz.ts");
  const { fuzzKubeconfig } = await import("./kubeconfig_fuzz.ts");
  const out: Record<string, Fuzzer> = { decode: fuzzDecode, kubeconfig: fuzzKubeconfig };
  const config = new URL("./config_fuzz.ts", import.meta.url);
  try {
    await Deno.stat(config);
  } catch {
    return out;
  }
  const mod = await import(config.href) as Record<string, unknown>;
  const fn = mod.fuzzConfig ?? Object.values(mod).find((v) => typeof v === "function");
  if (typeof fn === "function") out.config = adapt(fn as (o: FuzzOptions) => unknown);
  return out;
}

/** Takes whatever the config fuzzer returns: a FuzzResult, or nothing (it throws on failure). */
function adapt(fn: (o: FuzzOptions) => unknown): Fuzzer {
  return async (options) => {
    try {
      const r = await fn(options);
      if (r && typeof r === "object" && "cases" in r) return r as FuzzResult;
      return { cases: 1 };
    } catch (err) {
      return { cases: 0, failure: { case: options.case ?? -1, message: String(err) } };
    }
  };
}

/** A seed when none is given: printed, so the run can be replayed. */
export function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]!;
}
