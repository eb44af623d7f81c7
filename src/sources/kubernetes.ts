import type { SourceId } from "../bundle.ts";
import type { KubernetesSourceConfig } from "../config/schema.ts";
import type { BackoffOptions } from "../kube/backoff.ts";
import { KubeClient } from "../kube/client.ts";
import { ListWatch } from "../kube/list_watch.ts";
import {
  CONFIGMAPS,
  type KubeObject,
  NAMESPACES,
  objectKey,
  type ResourceRef,
  SECRETS,
} from "../kube/resource.ts";
import type { Logger } from "../log.ts";
import type { KubeMetrics } from "../metrics/kube_metrics.ts";
import type { CertificateCache } from "../parse/cert_cache.ts";
import type { Sink } from "../sink.ts";
import { NameLabelFilter } from "./kube_filters.ts";
import { configMapDecoder, type ObjectDecoder, secretDecoder } from "./kube_objects.ts";
import { type PanicReporter, sleep, type Source } from "./source.ts";

const TRANSPORT_REASONS = [
  "list_failed",
  "watch_start_failed",
  "watch_error_event",
  "watch_flapped",
  "namespace_sync_failed",
];

export interface KubernetesSourceOptions {
  readonly config: KubernetesSourceConfig;
  readonly cache: CertificateCache;
  readonly sink: Sink;
  readonly logger: Logger;
  readonly metrics: KubeMetrics;
  readonly onPanic?: PanicReporter;
  /** Injected in tests; by default built from `config.kubeconfig` and `config.rateLimit`. */
  readonly client?: KubeClient;
  /** Timing knobs of every LIST+WATCH (tests shorten them). */
  readonly watch?: {
    idleTimeoutMs?: number;
    watchTimeoutSeconds?: number;
    backoff?: BackoffOptions;
  };
}

/** What is remembered of an object: its version and the bundles it produced (never its data). */
interface Seen {
  readonly rv: string;
  readonly refs: readonly string[];
}

/** One LIST+WATCH of one resource in one scope, with the objects it has put in the store. */
interface Stream {
  readonly resource: string;
  readonly lw: ListWatch;
  readonly seen: Map<string, Seen>;
  ok: boolean;
  settled: boolean;
}

/**
 * Secrets and ConfigMaps through paginated LIST + WATCH: pages are decoded and
 * dropped one at a time, filters are pushed to the API server, and literal
 * namespaces get one namespace-scoped stream each (a Role per namespace is
 * enough). Objects whose resourceVersion did not move are not decoded again.
 */
export class KubernetesSource implements Source {
  readonly id: SourceId;
  readonly #o: KubernetesSourceOptions;
  readonly #namespaces: NameLabelFilter;
  readonly #streams: Stream[] = [];
  /** Labels of every namespace, when namespace label rules need them. */
  readonly #nsLabels = new Map<string, Record<string, string>>();
  #synced = false;

  constructor(options: KubernetesSourceOptions) {
    this.#o = options;
    this.id = { kind: "kubernetes", name: options.config.name };
    this.#namespaces = new NameLabelFilter(options.config.namespaces);
    options.sink.register(this.id);
    const resources = [
      options.config.secrets ? "secrets" : "",
      options.config.configMaps ? "configmaps" : "",
    ].filter(Boolean);
    if (this.#namespaces.hasLabelRules) resources.push("namespaces");
    options.metrics.declare(options.config.name, resources, TRANSPORT_REASONS);
  }

  async run(signal: AbortSignal): Promise<void> {
    const { config, logger, sink } = this.#o;
    let client = this.#o.client;
    while (!client && !signal.aborted) {
      try {
        client = KubeClient.fromKubeconfig({
          ...(config.kubeconfig ? { kubeconfig: config.kubeconfig } : {}),
          rateLimit: config.rateLimit,
        });
      } catch (err) {
        logger.error("Cannot set up the Kubernetes client", { error: err });
        sink.setUp(this.id, false);
        sink.markSynced(this.id); // readiness must not wait forever on a broken kubeconfig
        await sleep(30_000, signal);
      }
    }
    if (!client) return;
    const scope = this.#namespaces.literalNames ? "namespace" : "cluster";
    this.#o.metrics.scope?.set({ source_name: config.name, scope }, 1);
    this.#o.metrics.scope?.set({
      source_name: config.name,
      scope: scope === "cluster" ? "namespace" : "cluster",
    }, 0);
    logger.info("Watching Kubernetes objects", {
      scope,
      namespaces: this.#namespaces.literalNames ?? "all",
    });

    let nsWatch: ListWatch | undefined;
    if (this.#namespaces.hasLabelRules) nsWatch = await this.#watchNamespaces(client, signal);
    const scopes: (string | undefined)[] = this.#namespaces.literalNames ?? [undefined];
    if (config.secrets) {
      const decode = secretDecoder(config.secrets, this.#o.cache);
      const objects = new NameLabelFilter(config.secrets);
      const types = new Set(config.secrets.types.map((t) => t.type));
      const only = types.size === 1 ? [...types][0] : undefined;
      // One shared type lets the API server drop Helm releases and tokens before they are sent.
      const fieldSelector = only ? `type=${only}` : undefined;
      for (const ns of scopes) {
        this.#startStream(client, SECRETS, ns, objects, decode, fieldSelector);
      }
    }
    if (config.configMaps) {
      const decode = configMapDecoder(config.configMaps, this.#o.cache);
      const objects = new NameLabelFilter(config.configMaps);
      for (const ns of scopes) {
        this.#startStream(client, CONFIGMAPS, ns, objects, decode, undefined);
      }
    }
    // Periodic full resync: cheap, since unchanged objects are skipped by resourceVersion.
    while (!signal.aborted) {
      await sleep(config.refreshInterval, signal);
      if (!signal.aborted) { for (const s of this.#streams) s.lw.relist(); }
    }
    await Promise.all([...this.#streams.map((s) => s.lw.stop()), nsWatch?.stop()]);
    if (!this.#o.client) client.close();
  }

  #startStream(
    client: KubeClient,
    resource: ResourceRef,
    namespace: string | undefined,
    filter: NameLabelFilter,
    decode: ObjectDecoder,
    fieldSelector: string | undefined,
  ): void {
    const { config, sink, logger, metrics } = this.#o;
    const name = config.name;
    const seen = new Map<string, Seen>();
    const log = logger.with({ resource: resource.plural, ...(namespace ? { namespace } : {}) });
    const apply = (obj: KubeObject) => {
      const key = objectKey(obj);
      const ns = obj.metadata.namespace ?? "";
      if (!this.#namespaceAllowed(ns) || !filter.allowed(obj.metadata.name, obj.metadata.labels)) {
        forget(key);
        return;
      }
      const rv = obj.metadata.resourceVersion ?? "";
      if (rv !== "" && seen.get(key)?.rv === rv) return;
      let bundles;
      try {
        bundles = decode(obj);
      } catch (err) {
        this.#o.onPanic?.("source", err);
        log.error("Cannot decode object", { object: key, error: err });
        return;
      }
      const refs = bundles.map((b) => b.ref);
      for (const old of seen.get(key)?.refs ?? []) {
        if (!refs.includes(old)) sink.delete(this.id, old);
      }
      for (const b of bundles) {
        sink.put(this.id, b);
        for (const item of b.items) {
          if (item.kind === "error") {
            log.warn("Bad certificate data", {
              object: key,
              ref: b.ref,
              reason: item.reason,
              error: item.message,
            });
          }
        }
      }
      if (refs.length) seen.set(key, { rv, refs });
      else seen.delete(key);
    };
    const forget = (key: string) => {
      for (const ref of seen.get(key)?.refs ?? []) sink.delete(this.id, ref);
      seen.delete(key);
    };
    const stream: Stream = {
      resource: resource.plural,
      seen,
      ok: false,
      settled: false,
      lw: new ListWatch(client, {
        resource,
        ...(namespace ? { namespace } : {}),
        ...(filter.labelSelector() ? { labelSelector: filter.labelSelector()! } : {}),
        ...(fieldSelector ? { fieldSelector } : {}),
        pageSize: config.listPageSize,
        ...this.#o.watch,
        handlers: {
          onPage: (objects) => {
            for (const o of objects) apply(o);
          },
          onListDone: (_rv, keys) => {
            for (const key of [...seen.keys()]) if (!keys.has(key)) forget(key);
            this.#health(stream, true);
            log.debug("LIST complete", { objects: keys.size, kept: seen.size });
          },
          onEvent: (type, obj) => (type === "DELETED" ? forget(objectKey(obj)) : apply(obj)),
          onResync: (reason) => {
            metrics.resyncs.inc({ source_name: name, resource: resource.plural });
            log.info("Watch expired: listing again", { reason });
          },
          onError: (reason) => sink.countError(this.id, reason),
          onTransportError: (reason, err) => {
            metrics.transportErrors.inc({ source_name: name, resource: resource.plural, reason });
            // A watch that times out or drops and resumes is routine; failed requests are not.
            if (reason === "watch_flapped") {
              log.debug("Watch interrupted: resuming", { error: err });
            } else {
              log.warn("Kubernetes API request failed", { reason, error: err });
              this.#health(stream, false);
            }
          },
          onRequest: (verb, plural, seconds) => {
            metrics.requestDuration?.observe({ verb, resource: plural }, seconds);
            if (verb === "watch") this.#health(stream, true);
          },
        },
      }),
    };
    this.#streams.push(stream);
    stream.lw.start();
  }

  /** Source health: up when every stream works; synced once each has listed or failed once. */
  #health(stream: Stream, ok: boolean): void {
    stream.ok = ok;
    stream.settled = true;
    this.#o.sink.setUp(this.id, this.#streams.every((s) => s.ok));
    if (!this.#synced && this.#streams.every((s) => s.settled)) {
      this.#synced = true;
      this.#o.sink.markSynced(this.id);
    }
  }

  #namespaceAllowed(ns: string): boolean {
    if (!this.#namespaces.nameAllowed(ns)) return false;
    if (!this.#namespaces.hasLabelRules) return true;
    return this.#namespaces.labelsAllowed(this.#nsLabels.get(ns));
  }

  /**
   * Tracks namespace labels. Objects are filtered with them, so a namespace whose
   * labels change makes every stream LIST again at once (not at the next resync).
   * Resolves after the first LIST so objects are never judged on unknown labels.
   */
  async #watchNamespaces(client: KubeClient, signal: AbortSignal): Promise<ListWatch> {
    const { config, metrics, logger } = this.#o;
    const { promise: firstList, resolve } = Promise.withResolvers<void>();
    let pending: ReturnType<typeof setTimeout> | undefined;
    const changed = () => {
      // Batch bursts of namespace events into one re-LIST.
      if (pending !== undefined) return;
      pending = setTimeout(() => {
        pending = undefined;
        if (!signal.aborted) { for (const s of this.#streams) s.lw.relist(); }
      }, 200);
    };
    const set = (obj: KubeObject) => {
      const before = this.#namespaceAllowed(obj.metadata.name);
      this.#nsLabels.set(obj.metadata.name, { ...obj.metadata.labels });
      if (this.#namespaceAllowed(obj.metadata.name) !== before) changed();
    };
    const lw = new ListWatch(client, {
      resource: NAMESPACES,
      pageSize: 500,
      ...this.#o.watch,
      handlers: {
        onPage: (objects) => objects.forEach(set),
        onListDone: (_rv, keys) => {
          for (const n of [...this.#nsLabels.keys()]) if (!keys.has(n)) this.#nsLabels.delete(n);
          resolve();
        },
        onEvent: (type, obj) => {
          if (type === "DELETED") this.#nsLabels.delete(obj.metadata.name);
          else set(obj);
        },
        onResync: () => metrics.resyncs.inc({ source_name: config.name, resource: "namespaces" }),
        onError: (reason) => this.#o.sink.countError(this.id, reason),
        onTransportError: (reason, err) => {
          if (reason === "watch_flapped") return;
          metrics.transportErrors.inc({
            source_name: config.name,
            resource: "namespaces",
            reason: "namespace_sync_failed",
          });
          logger.warn("Cannot sync namespaces", { reason, error: err });
          resolve(); // do not hold the object streams hostage: unknown namespaces are excluded
        },
      },
    });
    signal.addEventListener("abort", () => clearTimeout(pending), { once: true });
    lw.start();
    await firstList;
    return lw;
  }
}
