import { Counter, Gauge, Histogram, type Registry } from "./_prom.ts";

/**
 * Instruments of the Kubernetes-backed sources. Registered only when such a
 * source is configured, so a files-only exporter does not carry empty families.
 */
export class KubeMetrics {
  readonly resyncs: Counter<"source_name" | "resource">;
  readonly transportErrors: Counter<"source_name" | "resource" | "reason">;
  readonly requestDuration: Histogram<"verb" | "resource"> | undefined;
  readonly scope: Gauge<"source_name" | "scope"> | undefined;
  readonly queueDepth: Gauge<"source_name" | "resource"> | undefined;

  constructor(registry: Registry, options: { exposeDiagnostics?: boolean } = {}) {
    const registers = [registry];
    this.resyncs = new Counter({
      name: "x509_kube_watch_resyncs_total",
      help: "Full re-LISTs forced by an expired watch (410 Gone) or continue token",
      labelNames: ["source_name", "resource"],
      registers,
    });
    this.transportErrors = new Counter({
      name: "x509_kube_transport_errors_total",
      help: "Failed Kubernetes API interactions, by step",
      labelNames: ["source_name", "resource", "reason"],
      registers,
    });
    if (options.exposeDiagnostics) {
      this.requestDuration = new Histogram({
        name: "x509_kube_request_duration_seconds",
        help: "Latency of Kubernetes API requests (LIST pages; WATCH until the stream opens)",
        labelNames: ["verb", "resource"],
        buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30],
        registers,
      });
      this.scope = new Gauge({
        name: "x509_kube_informer_scope",
        help: "1 for the scope a Kubernetes source watches (cluster or namespace), 0 for the other",
        labelNames: ["source_name", "scope"],
        registers,
      });
      this.queueDepth = new Gauge({
        name: "x509_informer_queue_depth",
        help: "Watch events received but not yet applied to the store",
        labelNames: ["source_name", "resource"],
        registers,
      });
    }
  }

  /** Pre-sets a source's series to 0 so `increase()` sees the first error. */
  declare(sourceName: string, resources: readonly string[], reasons: readonly string[]): void {
    for (const resource of resources) {
      this.resyncs.inc({ source_name: sourceName, resource }, 0);
      for (const reason of reasons) {
        this.transportErrors.inc({ source_name: sourceName, resource, reason }, 0);
      }
      this.queueDepth?.set({ source_name: sourceName, resource }, 0);
    }
  }
}
