/**
 * The sink sources write to, in front of the store: everything goes on to the
 * store unchanged, and on the way the tap keeps what the store's counters do
 * not — the last error of each source with its message, location and time
 * (status page) — and feeds new bundles to the chain resolver (`exposeChain`),
 * so chains are resolved at sync time.
 */
import type { Bundle, SourceId } from "./bundle.ts";
import { Chains } from "./chain.ts";
import type { KubeReason, Reason } from "./errors.ts";
import type { Format } from "./format.ts";
import type { MetricsSettings } from "./config/schema.ts";
import { CertificateCache } from "./parse/cert_cache.ts";
import type { DecodeLimits } from "./parse/limits.ts";
import type { ProbeReport } from "./probe.ts";
import type { Sink } from "./sink.ts";
import type { Store } from "./store.ts";

/** The last error a source reported. */
export interface LastError {
  readonly reason: string;
  readonly message?: string;
  /** The bundle it came from (a path, `ns/name/key`), when it came with one. */
  readonly where?: string;
  /** The `source_kind` it counted under, when not the source's own. */
  readonly kind?: string;
  /** ms since the epoch. */
  readonly at: number;
}

function keyOf(id: SourceId): string {
  return `${id.kind}\u0000${id.name}`;
}

export class SinkTap implements Sink {
  readonly #store: Store;
  readonly #last = new Map<string, LastError>();
  readonly #now: () => number;
  /** The last failed Kubernetes API answer (`source_name="kube-api"`). */
  lastApiError: LastError | undefined;
  readonly chains: Chains | undefined;

  constructor(store: Store, options: { chains?: Chains | undefined; now?: () => number } = {}) {
    this.#store = store;
    this.chains = options.chains;
    this.#now = options.now ?? Date.now;
  }

  /** The last error of `source`, if any. */
  lastError(source: SourceId): LastError | undefined {
    return this.#last.get(keyOf(source));
  }

  #record(source: SourceId, e: Omit<LastError, "at">): void {
    this.#last.set(keyOf(source), { ...e, at: this.#now() });
  }

  register(source: SourceId, kinds?: readonly string[]): void {
    this.#store.register(source, kinds);
  }
  put(source: SourceId, bundle: Bundle): void {
    this.#store.put(source, bundle);
    for (const item of bundle.items) {
      if (item.kind !== "error") continue;
      this.#record(source, {
        reason: item.reason,
        message: item.message,
        where: bundle.ref,
        ...(bundle.kind ? { kind: bundle.kind } : {}),
      });
    }
    this.chains?.put(source, bundle);
  }
  delete(source: SourceId, ref: string): void {
    this.#store.delete(source, ref);
    this.chains?.delete(source, ref);
  }
  retain(source: SourceId, keep: ReadonlySet<string>): void {
    this.#store.retain(source, keep);
    this.chains?.retain(source, keep);
  }
  setUp(source: SourceId, up: boolean): void {
    this.#store.setUp(source, up);
  }
  markSynced(source: SourceId): void {
    this.#store.markSynced(source);
  }
  countError(source: SourceId, reason: Reason, n?: number, kind?: string): void {
    this.#store.countError(source, reason, n, kind);
    if ((n ?? 1) > 0) this.#record(source, { reason, ...(kind ? { kind } : {}) });
  }
  countApiError(reason: KubeReason): void {
    this.#store.countApiError(reason);
    this.lastApiError = { reason, at: this.#now() };
  }
  countPanic(component: string): void {
    this.#store.countPanic(component);
  }
  observeParse(format: Format, seconds: number): void {
    this.#store.observeParse(format, seconds);
  }
  declareStreams(source: SourceId, resources: readonly string[], reasons: readonly string[]): void {
    this.#store.declareStreams(source, resources, reasons);
  }
  countResync(source: SourceId, resource: string): void {
    this.#store.countResync(source, resource);
  }
  countTransportError(source: SourceId, resource: string, reason: string): void {
    this.#store.countTransportError(source, resource, reason);
    this.#record(source, { reason, where: resource });
  }
  observeRequest(verb: string, resource: string, seconds: number): void {
    this.#store.observeRequest(verb, resource, seconds);
  }
  setScope(source: SourceId, scope: "cluster" | "namespace"): void {
    this.#store.setScope(source, scope);
  }
  reportProbe(source: SourceId, report: ProbeReport): void {
    this.#store.reportProbe(source, report);
    if (!report.success) {
      this.#record(source, {
        reason: report.reason ?? "probe_failed",
        ...(report.message ? { message: report.message } : {}),
        where: report.target,
      });
    }
  }
}

/** What `startExporter` builds for certificate facts: the cache, the sink, the metric options. */
export interface Facts {
  readonly cache: CertificateCache;
  readonly tap: SinkTap;
  readonly chains: Chains | undefined;
  readonly certOptions: { readonly exposeInfo: boolean; readonly chains: Chains | undefined };
}

/** The parse cache, the tap in front of `store` and, with `exposeChain`, the chain resolver. */
export async function prepareFacts(
  store: Store,
  metrics: MetricsSettings,
  limits: DecodeLimits,
): Promise<Facts> {
  const cache = new CertificateCache({ keepSigned: metrics.exposeChain });
  const chains = metrics.exposeChain
    ? await Chains.create(cache, {
      rootFiles: metrics.chainRoots,
      systemRoots: metrics.chainSystemRoots,
      limits,
    })
    : undefined;
  const tap = new SinkTap(store, { chains });
  return { cache, tap, chains, certOptions: { exposeInfo: metrics.exposeInfo, chains } };
}
