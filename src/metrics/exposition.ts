import type { Store } from "../store.ts";
import type { CertMetrics } from "./cert_metrics.ts";
import { renderProcessMetrics } from "./process_metrics.ts";
import type { SelfMetrics } from "./self_metrics.ts";
import { renderSourceMetrics } from "./source_metrics.ts";

export const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** Assembles a whole `/metrics` body from the store and the exporter's own instruments. */
export class Exposition {
  readonly #store: Store;
  readonly #certs: CertMetrics;
  readonly #self: SelfMetrics;
  readonly #now: () => number;
  readonly #keystores: { pkcs12?: ReadonlySet<string>; jks?: ReadonlySet<string> };
  /** Duration of the last render in seconds (status page). */
  lastDuration = 0;

  constructor(
    store: Store,
    certs: CertMetrics,
    self: SelfMetrics,
    options: {
      now?: () => number;
      keystores?: { pkcs12?: ReadonlySet<string>; jks?: ReadonlySet<string> };
    } = {},
  ) {
    this.#store = store;
    this.#keystores = options.keystores ?? {};
    this.#certs = certs;
    this.#self = self;
    this.#now = options.now ?? Date.now;
  }

  /**
   * The body as byte chunks: the certificate families (cached between scrapes
   * while nothing changed) then the small, always-fresh rest.
   */
  async render(): Promise<Uint8Array[]> {
    const started = performance.now();
    const certs = this.#certs.renderBytes(this.#store, Math.floor(this.#now() / 1000));
    const rest = renderSourceMetrics(this.#store, this.#keystores) + renderProcessMetrics();
    // Observe before rendering our own registry so this scrape's duration is in it.
    this.lastDuration = (performance.now() - started) / 1000;
    this.#self.scrapeDuration.observe(this.lastDuration);
    return [certs, encoder.encode(rest + await this.#self.render())];
  }
}

const encoder = new TextEncoder();
