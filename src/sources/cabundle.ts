/**
 * The `caBundle` fields the API server itself trusts: admission webhooks,
 * aggregated APIServices and CRD conversion webhooks. An expired bundle there
 * breaks the cluster (admission or discovery fails) without touching any
 * Secret, which is why these objects get a source of their own.
 */
import type { Bundle, SourceId } from "../bundle.ts";
import {
  API_SERVICES,
  CUSTOM_RESOURCE_DEFINITIONS,
  type KubeObject,
  MUTATING_WEBHOOK_CONFIGURATIONS,
  type ResourceRef,
  VALIDATING_WEBHOOK_CONFIGURATIONS,
} from "../kube/resource.ts";
import {
  connectKube,
  type KubeSourceDeps,
  KubeStreams,
  STREAM_TRANSPORT_REASONS,
} from "./_kube_streams.ts";
import type { CabundleResources, CabundleSourceSpec } from "./kinds/cabundle.ts";
import { NameLabelFilter } from "./kube_filters.ts";
import {
  decodeValue,
  exposed,
  fromBase64,
  type ObjectDecoder,
  type ValueContext,
} from "./kube_objects.ts";
import type { Source } from "./source.ts";

/** A `caBundle` found in an object: the entry it belongs to and its raw (base64) value. */
type Entry = readonly [entry: string, caBundle: unknown];

/** One kind of object holding `caBundle` fields, and where they are. */
interface CabundleKind {
  /** The toggle under `cabundles.resources`. */
  readonly toggle: keyof CabundleResources;
  readonly resource: ResourceRef;
  /** The `cabundle_resource_kind` label; LIST items carry no `kind` of their own. */
  readonly kind: string;
  readonly entries: (obj: KubeObject) => Entry[];
}

interface WebhookConfiguration extends KubeObject {
  webhooks?: { name?: string; clientConfig?: { caBundle?: string } }[];
}

interface ApiService extends KubeObject {
  spec?: { caBundle?: string };
}

interface CustomResourceDefinition extends KubeObject {
  spec?: { conversion?: { webhook?: { clientConfig?: { caBundle?: string } } } };
}

function webhookEntries(obj: KubeObject): Entry[] {
  return ((obj as WebhookConfiguration).webhooks ?? []).map((w) => [
    w.name ?? "",
    w.clientConfig?.caBundle,
  ]);
}

/** Every kind, in the order streams start and resources are declared. */
export const CABUNDLE_KINDS: readonly CabundleKind[] = [
  {
    toggle: "mutating",
    resource: MUTATING_WEBHOOK_CONFIGURATIONS,
    kind: "MutatingWebhookConfiguration",
    entries: webhookEntries,
  },
  {
    toggle: "validating",
    resource: VALIDATING_WEBHOOK_CONFIGURATIONS,
    kind: "ValidatingWebhookConfiguration",
    entries: webhookEntries,
  },
  {
    toggle: "apiservice",
    resource: API_SERVICES,
    kind: "APIService",
    entries: (obj) => [["", (obj as ApiService).spec?.caBundle]],
  },
  {
    toggle: "crdConversion",
    resource: CUSTOM_RESOURCE_DEFINITIONS,
    kind: "CustomResourceDefinition",
    entries: (obj) => [
      ["", (obj as CustomResourceDefinition).spec?.conversion?.webhook?.clientConfig?.caBundle],
    ],
  },
];

/**
 * Turns one object into a bundle per non-empty `caBundle`. An empty or absent
 * field is not an error: such a webhook trusts the system roots or a URL's CA.
 */
export function cabundleDecoder(
  kind: CabundleKind,
  config: CabundleSourceSpec["cabundles"],
  ctx: ValueContext,
): ObjectDecoder {
  return (obj) => {
    const name = obj.metadata.name;
    const extraLabels = exposed("cabundle_label", config.exposeLabels, obj.metadata.labels);
    const out: Bundle[] = [];
    // The API server rejects duplicate webhook names; should one slip through, the first wins.
    const taken = new Set<string>();
    for (const [entry, value] of kind.entries(obj)) {
      if (typeof value !== "string" || value === "" || taken.has(entry)) continue;
      taken.add(entry);
      out.push({
        ref: `cabundle/${kind.kind}/${name}/${entry}`,
        location: {
          cabundleResourceKind: kind.kind,
          cabundleResourceName: name,
          cabundleEntry: entry,
          ...(extraLabels ? { extraLabels } : {}),
        },
        items: decodeValue(fromBase64(value), "pem", ctx),
      });
    }
    return out;
  };
}

export interface CabundleSourceOptions extends KubeSourceDeps {
  readonly config: CabundleSourceSpec;
}

/**
 * One cluster-wide LIST+WATCH per enabled kind, through the machinery the
 * Secrets source uses: label rules go to the API server, name globs are
 * checked here, unchanged resourceVersions are not decoded again.
 */
export class CabundleSource implements Source {
  readonly id: SourceId;
  readonly #o: CabundleSourceOptions;
  readonly #kinds: readonly CabundleKind[];
  readonly #streams: KubeStreams;

  constructor(options: CabundleSourceOptions) {
    const { config } = options;
    this.#o = options;
    this.id = { kind: "cabundle", name: config.name };
    this.#kinds = CABUNDLE_KINDS.filter((k) => config.cabundles.resources[k.toggle]);
    this.#streams = new KubeStreams({
      id: this.id,
      sink: options.sink,
      logger: options.logger,
      pageSize: config.listPageSize,
      watch: { maxObjectBytes: config.maxObjectBytes, ...options.watch },
    });
    options.sink.register(this.id, ["kube-cabundle"]);
    options.sink.declareStreams(
      this.id,
      this.#kinds.map((k) => k.resource.plural),
      STREAM_TRANSPORT_REASONS,
    );
  }

  async run(signal: AbortSignal): Promise<void> {
    const { config, logger, sink } = this.#o;
    const client = this.#o.client ?? await connectKube(config, { ...this.#o, id: this.id }, signal);
    if (!client) return;
    sink.setScope(this.id, "cluster");
    logger.info("Watching caBundle fields", {
      resources: this.#kinds.map((k) => k.resource.plural),
    });
    const filter = new NameLabelFilter(config.cabundles);
    const labelSelector = filter.labelSelector();
    for (const kind of this.#kinds) {
      this.#streams.start(client, {
        resource: kind.resource,
        labelSelector,
        allowed: (obj) => filter.allowed(obj.metadata.name, obj.metadata.labels),
        decode: cabundleDecoder(kind, config.cabundles, {
          cache: this.#o.cache,
          limits: this.#o.limits,
          onParse: (format, seconds) => sink.observeParse(format, seconds),
        }),
      });
    }
    await this.#streams.run(config.refreshInterval, signal);
    if (!this.#o.client) client.close();
  }
}
