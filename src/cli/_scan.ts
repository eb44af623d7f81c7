/**
 * One scan, no server: every configured source runs with the exporter's own
 * code until its first sync completes, then stops. What the CLI reads.
 */
import type { Config } from "../config/schema.ts";
import { Logger } from "../log.ts";
import { type Facts, prepareFacts } from "../facts.ts";
import { createSource } from "../sources/kinds.ts";
import { Store } from "../store.ts";

export interface Scan {
  readonly store: Store;
  readonly facts: Facts;
}

export interface ScanOptions {
  /** Resolve chains whatever `metrics.exposeChain` says. @default false */
  readonly chains?: boolean;
  /** With {@link chains}: trust these root files besides the configured ones. */
  readonly chainRoots?: readonly string[];
  /** Gives up on sources not synced by then (a Kubernetes API that never answers). @default 60_000 */
  readonly timeoutMs?: number;
  /** Where the sources' log lines go. @default stderr, errors only */
  readonly logger?: Logger;
}

/** Runs every source of `config` until its first sync, then stops them all. */
export async function scanOnce(config: Config, options: ScanOptions = {}): Promise<Scan> {
  const store = new Store();
  const metrics = options.chains
    ? {
      ...config.metrics,
      exposeChain: true,
      chainRoots: [...config.metrics.chainRoots, ...(options.chainRoots ?? [])],
    }
    : config.metrics;
  const facts = await prepareFacts(metrics, config.limits);
  if (facts.chains) store.observe(facts.chains);
  const logger = options.logger ?? new Logger({ level: "error" });
  const controller = new AbortController();
  const running: Promise<void>[] = [];
  for (const spec of config.sources) {
    const source = await createSource(spec, {
      cache: facts.cache,
      limits: config.limits,
      sink: store,
      logger: logger.with({ source_kind: spec.kind, source_name: spec.name }),
    });
    running.push(source.run(controller.signal));
  }
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  while (!store.ready() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  controller.abort();
  await Promise.all(running);
  await facts.chains?.settled();
  return { store, facts };
}
