import type { Store } from "../store.ts";
import { Gauge, Histogram, Registry } from "./_prom.ts";
import { renderHistogram } from "./_histogram.ts";

export interface BuildLabels {
  readonly version: string;
  readonly revision: string;
  readonly built: string;
  readonly denoVersion: string;
}

/**
 * The exporter's own instruments: build info and scrape latency, both owned by
 * the metrics layer (the scrape is its own work), kept in a prom-client
 * registry. What sources report (panics, parse time) is rendered from the store.
 */
export class SelfMetrics {
  readonly registry = new Registry();
  readonly scrapeDuration: Histogram;
  #exposeDiagnostics: boolean;
  readonly #reloadOk: Gauge;
  readonly #reloadAt: Gauge;

  constructor(
    build: BuildLabels,
    options: { exposeDiagnostics?: boolean; now?: () => number } = {},
  ) {
    const registers = [this.registry];
    this.#exposeDiagnostics = options.exposeDiagnostics ?? false;
    const info = new Gauge({
      name: "x509_exporter_build_info",
      help: "A constant 1, labelled with the exporter's version, build time, commit and runtime",
      // Upstream's version, built and git_commit, then what this runtime adds in place of go_*.
      labelNames: ["version", "built", "git_commit", "revision", "deno_version", "os", "arch"],
      registers,
    });
    info.set({
      version: build.version,
      built: build.built,
      git_commit: build.revision,
      revision: build.revision,
      deno_version: build.denoVersion,
      os: Deno.build.os,
      arch: Deno.build.arch,
    }, 1);
    this.scrapeDuration = new Histogram({
      name: "x509_scrape_duration_seconds",
      help: "Time spent serving a /metrics request",
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5, 10, 30],
      registers,
    });
    // Prometheus' own pair (prometheus_config_last_reload_*), for the same alerts.
    this.#reloadOk = new Gauge({
      name: "x509_config_last_reload_successful",
      help: "Whether the last configuration reload (SIGHUP, POST /-/reload) succeeded; " +
        "1 at startup",
      registers,
    });
    this.#reloadAt = new Gauge({
      name: "x509_config_last_reload_success_timestamp_seconds",
      help: "When the configuration was last loaded successfully (startup or reload)",
      registers,
    });
    this.configLoaded(true, options.now?.() ?? Date.now());
  }

  /** Records a load of the configuration: at startup, then at each reload. */
  configLoaded(ok: boolean, atMs: number): void {
    this.#reloadOk.set(ok ? 1 : 0);
    if (ok) this.#reloadAt.set(Math.floor(atMs / 1000));
  }

  /** A reloaded configuration may turn the diagnostics families on or off. */
  set exposeDiagnostics(on: boolean) {
    this.#exposeDiagnostics = on;
  }

  /** Text of the registry, then the panic and parse-time families from the store. */
  async render(store: Store): Promise<string> {
    let out = await this.registry.metrics();
    out += "# HELP x509_panic_total Unexpected exceptions caught and survived, by component; " +
      "0 in a healthy exporter\n# TYPE x509_panic_total counter\n";
    for (const [component, n] of store.panics) {
      out += `x509_panic_total{component="${component}"} ${n}\n`;
    }
    if (this.#exposeDiagnostics) {
      out += renderHistogram(
        "x509_parse_duration_seconds",
        "Time spent decoding one bundle, by format",
        store.parseDurations,
      );
    }
    return out;
  }
}
