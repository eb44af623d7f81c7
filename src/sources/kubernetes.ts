import type { SourceId } from "../bundle.ts";
import type { KubeClient } from "../kube/client.ts";
import { ListWatch } from "../kube/list_watch.ts";
import { CONFIGMAPS, type KubeObject, NAMESPACES, SECRETS } from "../kube/resource.ts";
import {
  connectKube,
  type KubeSourceDeps,
  KubeStreams,
  STREAM_TRANSPORT_REASONS,
} from "./_kube_streams.ts";
import type { KubernetesSourceSpec } from "./kinds/kubernetes.ts";
import { NameLabelFilter } from "./kube_filters.ts";
import { configMapDecoder, type DecoderContext, secretDecoder } from "./kube_objects.ts";
import { cachedSecretReader } from "./kube_passphrases.ts";
import type { Source } from "./source.ts";

const TRANSPORT_REASONS = [...STREAM_TRANSPORT_REASONS, "namespace_sync_failed"];

export interface KubernetesSourceOptions extends KubeSourceDeps {
  readonly config: KubernetesSourceSpec;
  /** How long a Secret read for a passphrase is reused. @default 60_000 */
  readonly secretReaderTtlMs?: number;
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
  readonly #streams: KubeStreams;
  /** Labels of every namespace, when namespace label rules need them. */
  readonly #nsLabels = new Map<string, Record<string, string>>();

  constructor(options: KubernetesSourceOptions) {
    this.#o = options;
    this.id = { kind: "kubernetes", name: options.config.name };
    this.#namespaces = new NameLabelFilter(options.config.namespaces);
    this.#streams = new KubeStreams({
      id: this.id,
      sink: options.sink,
      logger: options.logger,
      pageSize: options.config.listPageSize,
      watch: { maxObjectBytes: options.config.maxObjectBytes, ...options.watch },
    });
    // Upstream's kinds for what the objects hold; `x509_source_up` keeps the config's.
    const kinds = [
      ...(options.config.secrets ? ["kube-secret"] : []),
      ...(options.config.configMaps ? ["kube-configmap"] : []),
    ];
    options.sink.register(this.id, kinds);
    const resources = [
      options.config.secrets ? "secrets" : "",
      options.config.configMaps ? "configmaps" : "",
    ].filter(Boolean);
    if (this.#namespaces.hasLabelRules) resources.push("namespaces");
    options.sink.declareStreams(this.id, resources, TRANSPORT_REASONS);
  }

  async run(signal: AbortSignal): Promise<void> {
    const { config, logger } = this.#o;
    const client = this.#o.client ?? await connectKube(config, { ...this.#o, id: this.id }, signal);
    if (!client) return;
    const scope = this.#namespaces.literalNames ? "namespace" : "cluster";
    this.#o.sink.setScope(this.id, scope);
    logger.info("Watching Kubernetes objects", {
      scope,
      namespaces: this.#namespaces.literalNames ?? "all",
    });

    let nsWatch: ListWatch | undefined;
    if (this.#namespaces.hasLabelRules) nsWatch = await this.#watchNamespaces(client, signal);
    const scopes: (string | undefined)[] = this.#namespaces.literalNames ?? [undefined];
    const allowedIn = (filter: NameLabelFilter) => (obj: KubeObject) =>
      this.#namespaceAllowed(obj.metadata.namespace ?? "") &&
      filter.allowed(obj.metadata.name, obj.metadata.labels);
    if (config.secrets) {
      const decode = secretDecoder(config.secrets, this.#decoderContext(client));
      const objects = new NameLabelFilter(config.secrets);
      // Typed rules become one stream per type with `fieldSelector=type=T`: the API server
      // then never sends Helm releases or tokens (measured: 10 MiB instead of 1.9 GiB for
      // 10,000 TLS Secrets among 40,000 Helm releases). A rule for every type needs them all.
      // A Secret's type is immutable, so an object never moves between streams.
      const types = new Set(config.secrets.types.map((t) => t.type));
      const fieldSelectors = types.has("") ? [undefined] : [...types].map((t) => `type=${t}`);
      for (const namespace of scopes) {
        for (const fieldSelector of fieldSelectors) {
          this.#streams.start(client, {
            resource: SECRETS,
            namespace,
            labelSelector: objects.labelSelector(),
            fieldSelector,
            allowed: allowedIn(objects),
            decode,
          });
        }
      }
    }
    if (config.configMaps) {
      const decode = configMapDecoder(config.configMaps, this.#decoderContext(client));
      const objects = new NameLabelFilter(config.configMaps);
      for (const namespace of scopes) {
        this.#streams.start(client, {
          resource: CONFIGMAPS,
          namespace,
          labelSelector: objects.labelSelector(),
          allowed: allowedIn(objects),
          decode,
        });
      }
    }
    await this.#streams.run(config.refreshInterval, signal);
    await nsWatch?.stop();
    if (!this.#o.client) client.close();
  }

  #namespaceAllowed(ns: string): boolean {
    if (!this.#namespaces.nameAllowed(ns)) return false;
    if (!this.#namespaces.hasLabelRules) return true;
    return this.#namespaces.labelsAllowed(this.#nsLabels.get(ns));
  }

  /** What the object decoders need: passphrase Secrets are read through this source's client. */
  #decoderContext(client: KubeClient): DecoderContext {
    const { cache, limits, sink } = this.#o;
    return {
      cache,
      limits,
      readSecret: cachedSecretReader(client, this.#o.secretReaderTtlMs),
      onParse: (format, seconds) => sink.observeParse(format, seconds),
    };
  }

  /**
   * Tracks namespace labels. Objects are filtered with them, so a namespace whose
   * labels change makes every stream LIST again at once (not at the next resync).
   * Resolves after the first LIST so objects are never judged on unknown labels.
   */
  async #watchNamespaces(client: KubeClient, signal: AbortSignal): Promise<ListWatch> {
    const { sink, logger } = this.#o;
    const { promise: firstList, resolve } = Promise.withResolvers<void>();
    let pending: ReturnType<typeof setTimeout> | undefined;
    const changed = () => {
      // Batch bursts of namespace events into one re-LIST.
      if (pending !== undefined) return;
      pending = setTimeout(() => {
        pending = undefined;
        if (!signal.aborted) this.#streams.relist();
      }, 200);
    };
    const set = (obj: KubeObject) => {
      const before = this.#namespaceAllowed(obj.metadata.name);
      this.#nsLabels.set(obj.metadata.name, { ...obj.metadata.labels });
      if (this.#namespaceAllowed(obj.metadata.name) !== before) changed();
    };
    const lw = new ListWatch(client, {
      resource: NAMESPACES,
      maxObjectBytes: this.#o.config.maxObjectBytes,
      ...this.#o.watch,
      handlers: {
        onListObject: set,
        onListDone: (_rv, keys) => {
          for (const n of [...this.#nsLabels.keys()]) if (!keys.has(n)) this.#nsLabels.delete(n);
          resolve();
        },
        onEvent: (type, obj) => {
          if (type === "DELETED") this.#nsLabels.delete(obj.metadata.name);
          else set(obj);
        },
        onResync: () => sink.countResync(this.id, "namespaces"),
        onError: (reason) => sink.countApiError(reason),
        onTransportError: (reason, err) => {
          if (reason === "watch_flapped") return;
          sink.countTransportError(this.id, "namespaces", "namespace_sync_failed");
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
