import { Counter, Gauge, Histogram, Registry } from "./_prom.ts";

export interface BuildLabels {
  readonly version: string;
  readonly revision: string;
  readonly denoVersion: string;
}

/**
 * The exporter's own instruments (latency histograms, panic and Kubernetes
 * counters), kept in a prom-client registry: few series, updated from many
 * places, so a client library is the right tool here — unlike the
 * per-certificate families, which are rendered straight from the store.
 */
export class SelfMetrics {
  readonly registry = new Registry();
  readonly scrapeDuration: Histogram;
  readonly panics: Counter<"component">;
  readonly parseDuration: Histogram<"format"> | undefined;

  constructor(build: BuildLabels, options: { exposeDiagnostics?: boolean } = {}) {
    const registers = [this.registry];
    const info = new Gauge({
      name: "x509_exporter_build_info",
      help: "A constant 1, labelled with the exporter's version, revision and Deno version",
      labelNames: ["version", "revision", "deno_version"],
      registers,
    });
    info.set(
      { version: build.version, revision: build.revision, deno_version: build.denoVersion },
      1,
    );
    this.scrapeDuration = new Histogram({
      name: "x509_scrape_duration_seconds",
      help: "Time spent serving a /metrics request",
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5, 10, 30],
      registers,
    });
    this.panics = new Counter({
      name: "x509_panic_total",
      help: "Unexpected exceptions caught and survived, by component; 0 in a healthy exporter",
      labelNames: ["component"],
      registers,
    });
    for (const component of ["source", "server", "scrape"]) this.panics.inc({ component }, 0);
    if (options.exposeDiagnostics) {
      this.parseDuration = new Histogram({
        name: "x509_parse_duration_seconds",
        help: "Time spent decoding one bundle, by format",
        labelNames: ["format"],
        buckets: [0.00001, 0.0001, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
        registers,
      });
    }
  }

  /** Text of every instrument in this registry. */
  render(): Promise<string> {
    return this.registry.metrics();
  }
}
