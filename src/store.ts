import type { Bundle, SourceId } from "./bundle.ts";
import { KEYSTORE_REASONS, KUBE_REASONS, type KubeReason, type Reason, REASONS } from "./errors.ts";
import type { Format } from "./format.ts";
import { Histograms } from "./histogram.ts";
import type { ProbeReport } from "./probe.ts";
import type { Sink } from "./sink.ts";

/** The counters of one watched collection (`x509_kube_*{resource}`). */
export interface StreamState {
  resyncs: number;
  readonly transportErrors: Map<string, number>;
}

/** Buckets of `x509_parse_duration_seconds`: one bundle takes microseconds to a second. */
const PARSE_BUCKETS = [0.00001, 0.0001, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1];
/** Buckets of `x509_kube_request_duration_seconds`: LIST pages up to a slow API server. */
const REQUEST_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30];
/** Components whose `x509_panic_total` series exist from the start. */
const PANIC_COMPONENTS = ["source", "server", "scrape"];

/** The last error a source reported. */
export interface LastError {
  readonly reason: string;
  readonly message?: string;
  /** The bundle it came from (a path, `ns/name/key`) or the resource, when known. */
  readonly where?: string;
  /** The `source_kind` it counted under, when not the source's own. */
  readonly kind?: string;
  /** ms since the epoch. */
  readonly at: number;
}

/**
 * Told of every bundle change, in order: what keeps state derived from bundles at sync
 * time (the chain resolver), so nothing in front of the store has to mirror the Sink,
 * and what caches a render of them (dropped at once, not at the next scrape: a render
 * holds every row it wrote, 2.8 MiB for a 5,000-certificate bundle already deleted).
 */
export interface BundleObserver {
  put?(source: SourceId, bundle: Bundle): void;
  delete?(source: SourceId, ref: string): void;
  retain?(source: SourceId, keep: ReadonlySet<string>): void;
  /** After any of the above changed which bundles are held. */
  changed?(): void;
}

/** Everything known about one source: its bundles and its health. */
export interface SourceState {
  readonly id: SourceId;
  readonly bundles: Map<string, Bundle>;
  up: boolean;
  synced: boolean;
  /**
   * The `source_kind` values its bundles and errors count under, the first by default:
   * upstream's `kube-secret` and `kube-configmap` for a kubernetes source, `kube-cabundle`
   * for a cabundle one, the source's own kind otherwise. `x509_source_up` keeps `id.kind`.
   */
  readonly kinds: readonly string[];
  /** Cumulative error counts by reason (`x509_source_errors_total`) of the first kind. */
  readonly errors: Map<Reason, number>;
  /** The same counts for every kind in {@link kinds} (`errors` is the first one's). */
  readonly errorsByKind: Map<string, Map<Reason, number>>;
  /** When the last bundle changed, in ms since the epoch (status page). */
  lastChange: number;
  /** Wrong-passphrase failures by keystore format (`x509_<format>_passphrase_failures_total`). */
  readonly passphraseFailures: Map<"pkcs12" | "jks", number>;
  /** Watched Kubernetes collections by resource plural, for Kubernetes-backed sources. */
  readonly streams: Map<string, StreamState>;
  /** The scope a Kubernetes source watches, once known. */
  scope: "cluster" | "namespace" | undefined;
  /** The latest probe of each remote endpoint by bundle ref, for probing sources (`kind: tls`). */
  readonly probes: Map<string, ProbeReport>;
  /** The last error the source reported, with its message and location (status page, CLI). */
  lastError: LastError | undefined;
}

export interface StoreOptions {
  /** Reasons pre-set to 0 for every source, so `increase()` sees the first error. */
  readonly reasons?: readonly Reason[];
  readonly now?: () => number;
  /** Told once per source when its first sync completes (the startup summary log lines). */
  readonly onFirstSync?: (state: SourceState) => void;
}

function keyOf(id: SourceId): string {
  return `${id.kind}\u0000${id.name}`;
}

/**
 * The latest bundles of every source. Sources write here through {@link Sink};
 * `/metrics`, `/readyz` and the status page read from here. Nothing is parsed
 * at read time: bundles hold already-parsed certificates.
 */
export class Store implements Sink {
  readonly #sources = new Map<string, SourceState>();
  readonly #reasons: readonly Reason[];
  readonly #now: () => number;
  readonly #onFirstSync: ((state: SourceState) => void) | undefined;
  readonly #observers = new Set<BundleObserver>();
  /**
   * Bumped whenever the bundles held change: a render at the same version is
   * still exact without looking at 100,000 rows again (gathering them cost a
   * 0.8 MB array a scrape, garbage only a full GC returns).
   */
  version = 0;
  /** The last failed Kubernetes API answer (`source_name="kube-api"`). */
  lastApiError: LastError | undefined;
  /** `x509_panic_total` by component. */
  readonly panics = new Map<string, number>(PANIC_COMPONENTS.map((c) => [c, 0]));
  readonly parseDurations = new Histograms(PARSE_BUCKETS);
  readonly requestDurations = new Histograms(REQUEST_BUCKETS);
  /**
   * Kubernetes API answers that failed, by reason, whichever source asked: upstream's
   * `x509_source_errors_total{source_kind="kubernetes",source_name="kube-api"}`. Empty until
   * a source declares Kubernetes streams, which pre-sets the fixed reasons to 0.
   */
  readonly apiErrors = new Map<KubeReason, number>();

  constructor(options: StoreOptions = {}) {
    this.#reasons = options.reasons ?? [...REASONS, ...KEYSTORE_REASONS];
    this.#now = options.now ?? Date.now;
    this.#onFirstSync = options.onFirstSync;
  }

  register(source: SourceId, kinds?: readonly string[]): void {
    this.#state(source, kinds);
  }

  put(source: SourceId, bundle: Bundle): void {
    const state = this.#state(source);
    state.bundles.set(bundle.ref, bundle);
    state.lastChange = this.#now();
    const items = bundle.items;
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!; // indexed: see parseName (src/parse/x509.ts)
      if (item.kind !== "error") continue;
      this.#count(state, item.reason, 1, bundle.kind);
      this.#last(state, {
        reason: item.reason,
        message: item.message,
        where: bundle.ref,
        ...(bundle.kind ? { kind: bundle.kind } : {}),
      });
      if (item.reason === "bad_passphrase" && item.format) {
        state.passphraseFailures.set(
          item.format,
          (state.passphraseFailures.get(item.format) ?? 0) + 1,
        );
      }
    }
    this.version++;
    for (const o of this.#observers) {
      o.put?.(source, bundle);
      o.changed?.();
    }
  }

  delete(source: SourceId, ref: string): void {
    const state = this.#state(source);
    const removed = state.bundles.delete(ref);
    if (removed) {
      state.lastChange = this.#now();
      this.version++;
    }
    for (const o of this.#observers) {
      o.delete?.(source, ref);
      if (removed) o.changed?.();
    }
  }

  retain(source: SourceId, keep: ReadonlySet<string>): void {
    const state = this.#state(source);
    let removed = false;
    for (const ref of state.bundles.keys()) {
      if (!keep.has(ref)) {
        state.bundles.delete(ref);
        state.lastChange = this.#now();
        removed = true;
        this.version++;
      }
    }
    for (const o of this.#observers) {
      o.retain?.(source, keep);
      if (removed) o.changed?.();
    }
  }

  setUp(source: SourceId, up: boolean): void {
    this.#state(source).up = up;
  }

  markSynced(source: SourceId): void {
    const state = this.#state(source);
    if (state.synced) return;
    state.synced = true;
    this.#onFirstSync?.(state);
  }

  countError(source: SourceId, reason: Reason, n = 1, kind?: string): void {
    const state = this.#state(source);
    this.#count(state, reason, n, kind);
    if (n > 0) this.#last(state, { reason, ...(kind ? { kind } : {}) });
  }

  countApiError(reason: KubeReason): void {
    this.apiErrors.set(reason, (this.apiErrors.get(reason) ?? 0) + 1);
    this.lastApiError = { reason, at: this.#now() };
  }

  countPanic(component: string): void {
    this.panics.set(component, (this.panics.get(component) ?? 0) + 1);
  }

  observeParse(format: Format, seconds: number): void {
    this.parseDurations.observe([["format", format]], seconds);
  }

  declareStreams(source: SourceId, resources: readonly string[], reasons: readonly string[]): void {
    for (const r of KUBE_REASONS) this.apiErrors.set(r, this.apiErrors.get(r) ?? 0);
    for (const resource of resources) {
      const stream = this.#stream(source, resource);
      for (const r of reasons) stream.transportErrors.set(r, stream.transportErrors.get(r) ?? 0);
    }
  }

  countResync(source: SourceId, resource: string): void {
    this.#stream(source, resource).resyncs++;
  }

  countTransportError(source: SourceId, resource: string, reason: string): void {
    const errors = this.#stream(source, resource).transportErrors;
    errors.set(reason, (errors.get(reason) ?? 0) + 1);
    this.#last(this.#state(source), { reason, where: resource });
  }

  observeRequest(verb: string, resource: string, seconds: number): void {
    this.requestDurations.observe([["verb", verb], ["resource", resource]], seconds);
  }

  setScope(source: SourceId, scope: "cluster" | "namespace"): void {
    this.#state(source).scope = scope;
  }

  reportProbe(source: SourceId, report: ProbeReport): void {
    const state = this.#state(source);
    state.probes.set(report.ref, report);
    if (!report.success) {
      this.#last(state, {
        reason: report.reason ?? "probe_failed",
        ...(report.message ? { message: report.message } : {}),
        where: report.target,
      });
    }
  }

  /** Tells `observer` of every bundle change from now on. */
  observe(observer: BundleObserver): () => boolean {
    this.#observers.add(observer);
    return () => this.#observers.delete(observer);
  }

  #last(state: SourceState, e: Omit<LastError, "at">): void {
    state.lastError = { ...e, at: this.#now() };
  }

  /** The bundle `ref` of `source`, if held. */
  get(source: SourceId, ref: string): Bundle | undefined {
    return this.#sources.get(keyOf(source))?.bundles.get(ref);
  }

  /** Sources in registration order. */
  sources(): IterableIterator<SourceState> {
    return this.#sources.values();
  }

  /**
   * Forgets a source: its bundles, health and counters (a reload removed it). A
   * source of the same kind and name registered later starts afresh.
   */
  unregister(source: SourceId): boolean {
    const removed = this.#sources.delete(keyOf(source));
    if (removed) {
      this.version++;
      for (const o of this.#observers) o.changed?.();
    }
    return removed;
  }

  /** True once every registered source finished its first sync. */
  ready(): boolean {
    for (const s of this.#sources.values()) if (!s.synced) return false;
    return true;
  }

  #stream(source: SourceId, resource: string): StreamState {
    const streams = this.#state(source).streams;
    let stream = streams.get(resource);
    if (!stream) {
      stream = { resyncs: 0, transportErrors: new Map() };
      streams.set(resource, stream);
    }
    return stream;
  }

  #count(state: SourceState, reason: Reason, n: number, kind = state.kinds[0]!): void {
    let errors = state.errorsByKind.get(kind);
    if (!errors) {
      errors = new Map(this.#reasons.map((r) => [r, 0]));
      state.errorsByKind.set(kind, errors);
    }
    errors.set(reason, (errors.get(reason) ?? 0) + n);
  }

  #state(id: SourceId, kinds: readonly string[] = [id.kind]): SourceState {
    const key = keyOf(id);
    let state = this.#sources.get(key);
    if (!state) {
      const errorsByKind = new Map(
        kinds.map((k) => [k, new Map<Reason, number>(this.#reasons.map((r) => [r, 0]))]),
      );
      state = {
        id: { kind: id.kind, name: id.name },
        bundles: new Map(),
        up: false,
        synced: false,
        kinds,
        errors: errorsByKind.get(kinds[0]!)!,
        errorsByKind,
        lastChange: 0,
        passphraseFailures: new Map(),
        streams: new Map(),
        scope: undefined,
        probes: new Map(),
        lastError: undefined,
      };
      this.#sources.set(key, state);
    }
    return state;
  }
}
