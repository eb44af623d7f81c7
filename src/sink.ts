import type { Bundle, SourceId } from "./bundle.ts";
import type { KubeReason, Reason } from "./errors.ts";
import type { Format } from "./format.ts";
import type { ProbeReport } from "./probe.ts";

/**
 * What a source writes to, and the only way it reports anything: bundles,
 * health, error counts and the Kubernetes machinery's counters alike. Sources
 * only ever push: they never read metrics or other sources' bundles, which
 * keeps data flowing one way (source -> store -> metrics).
 */
export interface Sink {
  /**
   * Declares a source so its health series exist (at 0) before its first sync. `kinds` are
   * the `source_kind` values its bundles and errors count under (default: its own kind).
   */
  register(source: SourceId, kinds?: readonly string[]): void;
  /** Stores or replaces the bundle `bundle.ref` of `source`. */
  put(source: SourceId, bundle: Bundle): void;
  /** Drops one bundle; its series disappear at the next scrape. */
  delete(source: SourceId, ref: string): void;
  /** Drops every bundle of `source` whose ref is not in `keep` (after a full resync). */
  retain(source: SourceId, keep: ReadonlySet<string>): void;
  /** Sets `x509_source_up`. */
  setUp(source: SourceId, up: boolean): void;
  /** Records that the source finished its first sync, successful or not (gates `/readyz`). */
  markSynced(source: SourceId): void;
  /**
   * Adds to `x509_source_errors_total{reason}` for errors that are not tied to a new bundle
   * item, under `kind` (default: the source's first kind).
   */
  countError(source: SourceId, reason: Reason, n?: number, kind?: string): void;
  /** A Kubernetes API answer failed (`x509_source_errors_total{source_name="kube-api"}`). */
  countApiError(reason: KubeReason): void;
  /** An unexpected exception was caught and survived (`x509_panic_total{component}`). */
  countPanic(component: string): void;
  /** Time spent decoding one bundle (`x509_parse_duration_seconds{format}`). */
  observeParse(format: Format, seconds: number): void;
  /** Declares the collections a source watches, their counters pre-set to 0 for `reasons`. */
  declareStreams(source: SourceId, resources: readonly string[], reasons: readonly string[]): void;
  /** A watch could not resume and the collection is listed again (`x509_kube_watch_resyncs_total`). */
  countResync(source: SourceId, resource: string): void;
  /** A step of a LIST+WATCH failed (`x509_kube_transport_errors_total{reason}`). */
  countTransportError(source: SourceId, resource: string, reason: string): void;
  /** A Kubernetes API request completed (`x509_kube_request_duration_seconds`). */
  observeRequest(verb: string, resource: string, seconds: number): void;
  /** Which scope a Kubernetes source watches (`x509_kube_informer_scope`). */
  setScope(source: SourceId, scope: "cluster" | "namespace"): void;
  /** The outcome of the latest probe of one remote endpoint (`x509_probe_*`); replaces the previous. */
  reportProbe(source: SourceId, report: ProbeReport): void;
}
