/**
 * What every Kubernetes-backed source does with its LIST+WATCH streams: decode
 * objects into bundles (skipping those whose resourceVersion did not move), keep
 * the store in step with additions, edits and deletions, count resyncs and
 * transport errors, and derive the source's health from all of its streams.
 * The sources only say which collections to watch and how to decode an object.
 */
import type { SourceId } from "../bundle.ts";
import type { BackoffOptions } from "../kube/backoff.ts";
import { KubeClient } from "../kube/client.ts";
import { ListWatch } from "../kube/list_watch.ts";
import type { RateLimit } from "../kube/rate_limiter.ts";
import { type KubeObject, objectKey, type ResourceRef } from "../kube/resource.ts";
import type { Logger } from "../log.ts";
import type { DecodeLimits } from "../parse/limits.ts";
import type { Sink } from "../sink.ts";
import type { SourceDeps } from "./kind.ts";
import type { ObjectDecoder } from "./kube_objects.ts";
import { sleep } from "./source.ts";

/** `reason` values of `x509_kube_transport_errors_total` any stream may report. */
export const STREAM_TRANSPORT_REASONS: readonly string[] = [
  "list_failed",
  "watch_start_failed",
  "watch_error_event",
  "watch_flapped",
  // An object (a LIST item, a WATCH line) over maxObjectBytes, skipped.
  "object_too_large",
];

/** Timing knobs of every LIST+WATCH (tests shorten them). */
export interface WatchTuning {
  idleTimeoutMs?: number;
  watchTimeoutSeconds?: number;
  watchStartTimeoutMs?: number;
  maxObjectBytes?: number;
  backoff?: BackoffOptions;
}

/** What every Kubernetes-backed source is given, besides its own config. */
export interface KubeSourceDeps extends SourceDeps {
  /** Injected in tests; by default built from `config.kubeconfig` and `config.rateLimit`. */
  readonly client?: KubeClient;
  /** Timing knobs of every LIST+WATCH (tests shorten them). */
  readonly watch?: WatchTuning;
}

export interface KubeStreamsOptions {
  readonly id: SourceId;
  readonly sink: Sink;
  readonly logger: Logger;
  /** Objects per LIST page. */
  readonly pageSize: number;
  readonly watch?: WatchTuning | undefined;
}

/** One collection to LIST+WATCH and what to make of its objects. */
export interface StreamSpec {
  readonly resource: ResourceRef;
  /** Restrict to one namespace; cluster-wide when absent. */
  readonly namespace?: string | undefined;
  readonly labelSelector?: string | undefined;
  readonly fieldSelector?: string | undefined;
  /** The client-side verdict (the source of truth); refused objects lose their bundles. */
  readonly allowed: (obj: KubeObject) => boolean;
  readonly decode: ObjectDecoder;
}

/** What is remembered of an object: its version and the bundles it produced (never its data). */
interface Seen {
  readonly rv: string;
  readonly refs: readonly string[];
}

interface Stream {
  readonly lw: ListWatch;
  ok: boolean;
  settled: boolean;
}

/**
 * Builds the API client of a source. A kubeconfig that cannot be loaded marks the
 * source down (and synced, so readiness does not wait forever) and is retried every
 * 30 s, since a mounted Secret may appear later. Undefined once `signal` aborts.
 */
export async function connectKube(
  config: { kubeconfig: string; rateLimit: RateLimit },
  o: { id: SourceId; sink: Sink; logger: Logger; limits: DecodeLimits },
  signal: AbortSignal,
): Promise<KubeClient | undefined> {
  while (!signal.aborted) {
    try {
      return KubeClient.fromKubeconfig({
        ...(config.kubeconfig ? { kubeconfig: config.kubeconfig } : {}),
        rateLimit: config.rateLimit,
        maxFileBytes: o.limits.maxInputBytes,
      });
    } catch (err) {
      o.logger.error("Cannot set up the Kubernetes client", { error: err });
      o.sink.setUp(o.id, false);
      o.sink.markSynced(o.id);
      await sleep(30_000, signal);
    }
  }
  return undefined;
}

/** The LIST+WATCH streams of one source and the bundles they put in the store. */
export class KubeStreams {
  readonly #o: KubeStreamsOptions;
  readonly #streams: Stream[] = [];
  #synced = false;

  constructor(options: KubeStreamsOptions) {
    this.#o = options;
  }

  /** Forces every stream to LIST again (resync, or a change of the filters' inputs). */
  relist(): void {
    for (const s of this.#streams) s.lw.relist();
  }

  /** Re-LISTs every `refreshInterval` until `signal` aborts, then stops every stream. */
  async run(refreshInterval: number, signal: AbortSignal): Promise<void> {
    // Cheap, since objects whose resourceVersion did not move are not decoded again.
    while (!signal.aborted) {
      await sleep(refreshInterval, signal);
      if (!signal.aborted) this.relist();
    }
    await Promise.all(this.#streams.map((s) => s.lw.stop()));
  }

  /**
   * Starts one LIST+WATCH. Start every stream of a source in the same synchronous
   * run: health and readiness are judged over the streams started so far.
   */
  start(client: KubeClient, spec: StreamSpec): void {
    const { id, sink, logger } = this.#o;
    const { resource, namespace } = spec;
    const seen = new Map<string, Seen>();
    const log = logger.with({ resource: resource.plural, ...(namespace ? { namespace } : {}) });
    const forget = (key: string) => {
      for (const ref of seen.get(key)?.refs ?? []) sink.delete(id, ref);
      seen.delete(key);
    };
    const apply = async (obj: KubeObject) => {
      const key = objectKey(obj);
      if (!spec.allowed(obj)) return forget(key);
      const rv = obj.metadata.resourceVersion ?? "";
      if (rv !== "" && seen.get(key)?.rv === rv) return;
      let bundles;
      try {
        bundles = await spec.decode(obj);
      } catch (err) {
        sink.countPanic("source");
        log.error("Cannot decode object", { object: key, error: err });
        return;
      }
      const refs = bundles.map((b) => b.ref);
      for (const old of seen.get(key)?.refs ?? []) {
        if (!refs.includes(old)) sink.delete(id, old);
      }
      for (const b of bundles) {
        sink.put(id, b);
        for (const item of b.items) {
          if (item.kind !== "error") continue;
          log.warn("Bad certificate data", {
            object: key,
            ref: b.ref,
            reason: item.reason,
            error: item.message,
          });
        }
      }
      // A keystore no passphrase opened is retried at the next LIST even if the object did
      // not change: the passphrase may live elsewhere (another Secret, a file) and be fixed.
      const locked = bundles.some((b) =>
        b.items.some((i) => i.kind === "error" && i.reason === "bad_passphrase")
      );
      if (refs.length) seen.set(key, { rv: locked ? "" : rv, refs });
      else seen.delete(key);
    };
    const stream: Stream = {
      ok: false,
      settled: false,
      lw: new ListWatch(client, {
        resource,
        ...(namespace ? { namespace } : {}),
        ...(spec.labelSelector ? { labelSelector: spec.labelSelector } : {}),
        ...(spec.fieldSelector ? { fieldSelector: spec.fieldSelector } : {}),
        pageSize: this.#o.pageSize,
        ...this.#o.watch,
        handlers: {
          onListObject: apply,
          onListDone: (_rv, keys) => {
            for (const key of [...seen.keys()]) if (!keys.has(key)) forget(key);
            this.#health(stream, true);
            log.debug("LIST complete", { objects: keys.size, kept: seen.size });
          },
          onEvent: (type, obj) => (type === "DELETED" ? forget(objectKey(obj)) : apply(obj)),
          onResync: (reason) => {
            sink.countResync(id, resource.plural);
            log.info("Watch expired: listing again", { reason });
          },
          // Counted as upstream: on the API pseudo-source, whichever source asked.
          onError: (reason) => sink.countApiError(reason),
          onTransportError: (reason, err) => {
            sink.countTransportError(id, resource.plural, reason);
            // A watch that times out or drops and resumes is routine; failed requests are not.
            if (reason === "watch_flapped") {
              log.debug("Watch interrupted: resuming", { error: err });
            } else {
              log.warn("Kubernetes API request failed", { reason, error: err });
              this.#health(stream, false);
            }
          },
          onOversize: (verb, limit) => {
            sink.countTransportError(id, resource.plural, "object_too_large");
            log.warn("Kubernetes object over maxObjectBytes: skipped", { verb, limit });
          },
          onRequest: (verb, plural, seconds) => {
            sink.observeRequest(verb, plural, seconds);
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
    const { id, sink } = this.#o;
    stream.ok = ok;
    stream.settled = true;
    sink.setUp(id, this.#streams.every((s) => s.ok));
    if (!this.#synced && this.#streams.every((s) => s.settled)) {
      this.#synced = true;
      sink.markSynced(id);
    }
  }
}
