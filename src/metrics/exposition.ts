import type { Store } from "../store.ts";
import type { CertMetrics, Chunks } from "./cert_metrics.ts";
import { CollisionCounters } from "./collision_metrics.ts";
import { gzipMember } from "./gzip.ts";
import { renderKubeMetrics } from "./kube_metrics.ts";
import { renderProbeMetrics } from "./probe_metrics.ts";
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
  readonly #exposeDiagnostics: boolean;
  readonly #collisions: CollisionCounters;
  /** Duration of the last render in seconds (status page). */
  lastDuration = 0;

  constructor(
    store: Store,
    certs: CertMetrics,
    self: SelfMetrics,
    options: {
      now?: () => number;
      keystores?: { pkcs12?: ReadonlySet<string>; jks?: ReadonlySet<string> };
      /** Render `x509_kube_request_duration_seconds` and `x509_kube_informer_scope`. */
      exposeDiagnostics?: boolean;
      /** The `source_kind` values whose collision counters exist from the start. */
      collisionKinds?: readonly string[];
    } = {},
  ) {
    this.#store = store;
    this.#exposeDiagnostics = options.exposeDiagnostics ?? false;
    this.#collisions = new CollisionCounters(options.collisionKinds ?? []);
    this.#keystores = options.keystores ?? {};
    this.#certs = certs;
    this.#self = self;
    this.#now = options.now ?? Date.now;
  }

  /**
   * The body: the small, always-fresh families first, then the certificate
   * families (kept compressed between scrapes while nothing changed). With
   * `gzip`, one gzip member whose cached part is sent as is; otherwise the text.
   */
  async render(gzip: boolean): Promise<Body> {
    const started = performance.now();
    const now = Math.floor(this.#now() / 1000);
    const certs = await this.#certs.renderBody(this.#store, now, gzip);
    this.#collisions.scraped(this.#certs.lastCollisions);
    const rest = renderSourceMetrics(this.#store, this.#keystores) + this.#collisions.render() +
      renderProcessMetrics();
    // Observe before rendering our own registry so this scrape's duration is in it.
    this.lastDuration = (performance.now() - started) / 1000;
    this.#self.scrapeDuration.observe(this.lastDuration);
    const kube = renderKubeMetrics(this.#store, { exposeDiagnostics: this.#exposeDiagnostics });
    const probes = renderProbeMetrics(this.#store);
    const fresh = encoder.encode(rest + await this.#self.render(this.#store) + kube + probes);
    if (certs.deflated) {
      const chunks = gzipMember(fresh, certs.deflated);
      return { encoding: "gzip", chunks, length: chunks.reduce((n, c) => n + c.length, 0) };
    }
    const text = certs.plain;
    return {
      encoding: "identity",
      ...(certs.length === undefined ? {} : { length: fresh.length + certs.length }),
      chunks: (async function* () {
        yield fresh;
        yield* text;
      })(),
    };
  }
}

/**
 * A `/metrics` body, as chunks sent as they are (the cached parts are never
 * copied). The text's chunks are made as the response reads them; its length
 * is known up front only when they are inflated from the cache.
 */
export interface Body {
  readonly encoding: "gzip" | "identity";
  readonly chunks: Chunks;
  /** Bytes in all, when known before the body is written. */
  readonly length?: number;
}

const encoder = new TextEncoder();
