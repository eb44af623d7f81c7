/**
 * LIST then WATCH one collection, forever: the reflector every Kubernetes-backed
 * source shares. A paginated LIST hands pages to the caller one at a time (memory
 * bounded by one page); the WATCH resumes from the last seen resourceVersion after a
 * drop or timeout, and only a 410 Gone forces a new LIST.
 */
import { Backoff, type BackoffOptions } from "./backoff.ts";
import type { KubeClient } from "./client.ts";
import { type Clock, sleep, systemClock } from "./clock.ts";
import {
  KubeHttpError,
  type KubeReason,
  reasonForStatus,
  type TransportReason,
} from "./http_error.ts";
import { ListBodyError, type ListMeta, readListItems } from "./list_stream.ts";
import { IdleTimeoutError, readNdjson } from "./ndjson.ts";
import { collectionPath, type KubeObject, objectKey, type ResourceRef } from "./resource.ts";

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED";
/** Why a new LIST was needed. */
export type ResyncReason = "watch_expired" | "continue_expired";

/** What the caller is told. Handlers may be async: the next step waits for them. */
export interface ListWatchHandlers<T extends KubeObject> {
  /** A LIST begins: what follows until `onListDone` is the whole collection. */
  onListStart?(): void | Promise<void>;
  /**
   * One object of the LIST, handed out as soon as its bytes have arrived: a page is
   * never held whole. After a failed page is retried, objects may come twice.
   */
  onListObject(object: T): void | Promise<void>;
  /** The LIST is complete: objects whose key is not in `seenKeys` no longer exist. */
  onListDone(resourceVersion: string, seenKeys: ReadonlySet<string>): void | Promise<void>;
  onEvent(type: WatchEventType, object: T): void | Promise<void>;
  /** The watch could not resume and a new LIST starts (`x509_kube_watch_resyncs_total`). */
  onResync?(reason: ResyncReason): void;
  /** The API server answered with an error status that maps to a stable reason. */
  onError?(reason: KubeReason, err: KubeHttpError): void;
  /** A step of the cycle failed, whatever the cause. */
  onTransportError?(reason: TransportReason, err: unknown): void;
  /** A request completed (LIST page) or its stream opened (WATCH). */
  onRequest?(verb: "list" | "watch", resource: string, seconds: number): void;
  /** An object over `maxObjectBytes` was skipped. */
  onOversize?(verb: "list" | "watch", limit: number): void;
}

export interface ListWatchOptions<T extends KubeObject> {
  resource: ResourceRef;
  /** Restrict to one namespace; all namespaces when absent. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /**
   * Objects per LIST page, clamped to 1..1000. Memory does not depend on it (pages
   * are streamed object by object); fewer pages mean fewer rate-limited requests.
   * @default 500, as client-go's reflectors
   */
  pageSize?: number;
  /** Server-side `timeoutSeconds` of each WATCH; the watch then resumes. @default 300 */
  watchTimeoutSeconds?: number;
  /** A WATCH silent (not even a bookmark) for this long is presumed dead and resumed. @default 90000 */
  idleTimeoutMs?: number;
  /**
   * A WATCH whose response headers have not come after this long is abandoned and
   * started again (after the backoff): an API server sends them at once, so a wait
   * is a connection that died (a proxy, a load balancer) without closing. @default 15000
   */
  watchStartTimeoutMs?: number;
  /**
   * Largest object kept, in bytes (a LIST item, a WATCH line). A larger one is read
   * past without being held or parsed, reported through `onOversize`, and the stream
   * goes on. @default 8388608
   */
  maxObjectBytes?: number;
  /** Limit on one LIST page request, body included. @default 60000 */
  requestTimeoutMs?: number;
  backoff?: BackoffOptions;
  clock?: Clock;
  handlers: ListWatchHandlers<T>;
}

const DEFAULT_PAGE_SIZE = 500;
const DEFAULT_MAX_OBJECT_BYTES = 8 * 1024 * 1024;
/** What a WATCH line holds besides its object: `{"type":"MODIFIED","object":…}`. */
const WATCH_LINE_OVERHEAD = 1024;

/** A continue token expired mid-LIST: the LIST must start over. */
class ContinueExpired extends Error {}

/** How one WATCH ended: where to resume from (undefined: re-LIST) and how long to wait. */
interface WatchOutcome {
  rv: string | undefined;
  waitMs: number;
}

export class ListWatch<T extends KubeObject = KubeObject> {
  readonly #client: KubeClient;
  readonly #opts: ListWatchOptions<T>;
  readonly #h: ListWatchHandlers<T>;
  readonly #clock: Clock;
  readonly #backoff: Backoff;
  readonly #path: string;
  readonly #pageSize: number;
  #abort = new AbortController();
  #running: Promise<void> | undefined;
  #rv: string | undefined;
  /** Set by relist(): the loop drops its resume point and LISTs again. */
  #relistRequested = false;
  #watchAbort: AbortController | undefined;

  constructor(client: KubeClient, opts: ListWatchOptions<T>) {
    this.#client = client;
    this.#opts = opts;
    this.#h = opts.handlers;
    this.#clock = opts.clock ?? systemClock;
    this.#backoff = new Backoff(opts.backoff);
    this.#path = collectionPath(opts.resource, opts.namespace);
    this.#pageSize = Math.min(1000, Math.max(1, Math.floor(opts.pageSize ?? DEFAULT_PAGE_SIZE)));
  }

  /** The resourceVersion the next WATCH would resume from. */
  get resourceVersion(): string | undefined {
    return this.#rv;
  }

  /** Starts the LIST+WATCH loop in the background; a second call is a no-op. */
  start(): void {
    if (this.#running) return;
    this.#abort = new AbortController();
    this.#running = this.#run(this.#abort.signal);
  }

  /**
   * Forces a fresh LIST (periodic resync, or a namespace whose labels changed):
   * the current WATCH is cut and the next step LISTs the whole collection.
   */
  relist(): void {
    this.#relistRequested = true;
    this.#watchAbort?.abort();
  }

  /** Stops the loop, aborting any request in flight, and waits until it has ended. */
  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#running;
    this.#running = undefined;
  }

  #selectors(): Record<string, string> {
    const p: Record<string, string> = {};
    if (this.#opts.labelSelector) p.labelSelector = this.#opts.labelSelector;
    if (this.#opts.fieldSelector) p.fieldSelector = this.#opts.fieldSelector;
    return p;
  }

  #report(reason: TransportReason, err: unknown): void {
    this.#h.onTransportError?.(reason, err);
    if (err instanceof KubeHttpError) {
      const r = reasonForStatus(err.status);
      if (r) this.#h.onError?.(r, err);
    }
  }

  /** How long to wait after `err`: what the server asked for, else the backoff. */
  #delay(err: unknown): number {
    if (err instanceof KubeHttpError && err.retryAfterSeconds !== undefined) {
      this.#backoff.next();
      return err.retryAfterSeconds * 1000;
    }
    return this.#backoff.next();
  }

  async #run(signal: AbortSignal): Promise<void> {
    let expiredInARow = 0;
    while (!signal.aborted) {
      let waitMs = 0;
      if (this.#relistRequested) {
        this.#relistRequested = false;
        this.#rv = undefined;
      }
      if (this.#rv === undefined) {
        try {
          this.#rv = await this.#list(signal);
          expiredInARow = 0;
        } catch (err) {
          if (signal.aborted) break;
          if (err instanceof ContinueExpired) {
            this.#h.onResync?.("continue_expired");
            // Relist at once, but never spin if every token expires immediately.
            if (expiredInARow++ > 0) waitMs = this.#backoff.next();
          } else {
            this.#report("list_failed", err);
            waitMs = this.#delay(err);
          }
        }
      } else {
        const outcome = await this.#watch(this.#rv, signal);
        this.#rv = outcome.rv;
        waitMs = outcome.waitMs;
      }
      await sleep(this.#clock, waitMs, signal);
    }
  }

  /** One complete paginated LIST; a failed page is retried with the same continue token. */
  async #list(signal: AbortSignal): Promise<string> {
    await this.#h.onListStart?.();
    const seen = new Set<string>();
    let token: string | undefined;
    let rv = "";
    do {
      const meta = await this.#pageWithRetry(token, seen, signal);
      token = meta.continue || undefined;
      rv = meta.resourceVersion ?? rv;
    } while (token !== undefined);
    this.#backoff.reset();
    await this.#h.onListDone(rv, seen);
    return rv;
  }

  async #pageWithRetry(
    token: string | undefined,
    seen: Set<string>,
    signal: AbortSignal,
  ): Promise<ListMeta> {
    while (true) {
      try {
        return await this.#page(token, seen, signal);
      } catch (err) {
        if (signal.aborted) throw err;
        if (err instanceof KubeHttpError && err.expired && token !== undefined) {
          throw new ContinueExpired(err.message, { cause: err });
        }
        this.#report("list_failed", err);
        await sleep(this.#clock, this.#delay(err), signal);
        signal.throwIfAborted();
      }
    }
  }

  /** Fetches one page and hands out its objects as they arrive; resolves with its metadata. */
  async #page(
    token: string | undefined,
    seen: Set<string>,
    signal: AbortSignal,
  ): Promise<ListMeta> {
    const params: Record<string, string> = { limit: String(this.#pageSize), ...this.#selectors() };
    if (token) params.continue = token;
    const ac = new AbortController();
    const onAbort = () => ac.abort(signal.reason);
    signal.addEventListener("abort", onAbort);
    const timeoutMs = this.#opts.requestTimeoutMs ?? 60_000;
    const cancel = this.#clock.schedule(
      timeoutMs,
      () => ac.abort(new Error(`LIST timed out after ${timeoutMs} ms`)),
    );
    const started = performance.now();
    try {
      const res = await this.#client.get(this.#path, params, ac.signal);
      const maxItemBytes = this.#opts.maxObjectBytes ?? DEFAULT_MAX_OBJECT_BYTES;
      const items = readListItems(res.body!, {
        maxItemBytes,
        onOversize: (limit) => this.#h.onOversize?.("list", limit),
      });
      let next = await items.next();
      try {
        for (; !next.done; next = await items.next()) {
          const obj = next.value as T;
          if (!obj?.metadata) throw new ListBodyError("List item without metadata");
          seen.add(objectKey(obj));
          await this.#h.onListObject(obj);
        }
      } finally {
        if (!next.done) await items.return({}); // cancels the body
      }
      this.#h.onRequest?.("list", this.#opts.resource.plural, (performance.now() - started) / 1000);
      return next.value;
    } finally {
      cancel();
      signal.removeEventListener("abort", onAbort);
    }
  }

  /** One WATCH from `rv` until it ends or relist() cuts it. */
  async #watch(rv: string, outer: AbortSignal): Promise<WatchOutcome> {
    // One controller, held by this object, rather than AbortSignal.any(): a signal
    // from any() is only weakly referenced by its sources, and once collected its
    // abort no longer reaches the fetch. Seen as a shutdown that waited for the
    // server's watch timeout (minutes) under heavy churn, when GC runs often.
    const ac = new AbortController();
    this.#watchAbort = ac;
    const forward = () => ac.abort(outer.reason);
    if (outer.aborted) forward();
    else outer.addEventListener("abort", forward, { once: true });
    try {
      return await this.#watchOnce(rv, ac.signal);
    } finally {
      outer.removeEventListener("abort", forward);
      this.#watchAbort = undefined;
    }
  }

  /** One WATCH from `rv` until it ends; never throws. */
  async #watchOnce(rv: string, signal: AbortSignal): Promise<WatchOutcome> {
    const params: Record<string, string> = {
      watch: "1",
      resourceVersion: rv,
      allowWatchBookmarks: "true",
      timeoutSeconds: String(this.#opts.watchTimeoutSeconds ?? 300),
      ...this.#selectors(),
    };
    const started = performance.now();
    const watchSeconds = this.#opts.watchTimeoutSeconds ?? 300;
    const idleMs = this.#opts.idleTimeoutMs ?? 90_000;
    // The server ends the watch after timeoutSeconds; one kept open longer than that plus
    // the idle timeout (a byte now and then) is cut here, so no request lasts forever.
    const ac = new AbortController();
    const forward = () => ac.abort(signal.reason);
    if (signal.aborted) forward();
    else signal.addEventListener("abort", forward, { once: true });
    const cancelLifetime = this.#clock.schedule(
      watchSeconds * 1000 + idleMs,
      () => ac.abort(new Error(`Watch open past ${watchSeconds} s + ${idleMs} ms: cut`)),
    );
    try {
      return await this.#watchStream(rv, params, started, ac.signal, signal);
    } finally {
      cancelLifetime();
      signal.removeEventListener("abort", forward);
    }
  }

  /** The WATCH request and its stream; `request` also ends when the watch's lifetime is up. */
  async #watchStream(
    rv: string,
    params: Record<string, string>,
    started: number,
    request: AbortSignal,
    signal: AbortSignal,
  ): Promise<WatchOutcome> {
    let res: Response;
    try {
      res = await this.#client.get(this.#path, params, request, {
        headersTimeoutMs: this.#opts.watchStartTimeoutMs ?? 15_000,
      });
      this.#h.onRequest?.(
        "watch",
        this.#opts.resource.plural,
        (performance.now() - started) / 1000,
      );
    } catch (err) {
      if (signal.aborted) return { rv, waitMs: 0 };
      if (err instanceof KubeHttpError && err.expired) return this.#resync();
      this.#report("watch_start_failed", err);
      return { rv, waitMs: this.#delay(err) };
    }
    let progressed = false;
    try {
      const idleMs = this.#opts.idleTimeoutMs ?? 90_000;
      const maxObjectBytes = this.#opts.maxObjectBytes ?? DEFAULT_MAX_OBJECT_BYTES;
      const lines = readNdjson(res.body!, {
        idleMs,
        clock: this.#clock,
        maxLineBytes: maxObjectBytes + WATCH_LINE_OVERHEAD,
        onOversize: () => this.#h.onOversize?.("watch", maxObjectBytes),
      });
      for await (const raw of lines) {
        progressed = true;
        const ev = raw as { type?: string; object?: Record<string, unknown> };
        const obj = ev.object as T | undefined;
        if (ev.type === "ERROR") {
          const st = (ev.object ?? {}) as { code?: number; reason?: string; message?: string };
          const err = new KubeHttpError(
            st.code ?? 500,
            st.reason ?? "",
            st.message ?? "watch ERROR event",
          );
          if (err.expired) return this.#resync();
          this.#report("watch_error_event", err);
          return { rv, waitMs: this.#delay(err) };
        }
        if (ev.type === "ADDED" || ev.type === "MODIFIED" || ev.type === "DELETED") {
          if (obj) await this.#h.onEvent(ev.type, obj);
        }
        // Bookmarks and events alike move the resume point forward.
        rv = obj?.metadata?.resourceVersion ?? rv;
        this.#rv = rv;
      }
    } catch (err) {
      if (signal.aborted) return { rv, waitMs: 0 };
      this.#report(
        "watch_flapped",
        err instanceof IdleTimeoutError ? err : new Error("Watch stream broke", { cause: err }),
      );
      if (!progressed) return { rv, waitMs: this.#backoff.next() };
    }
    // A watch that delivered something worked: resume at once. One that ended without a
    // byte may be a server closing every watch straight away, so that one backs off.
    if (!progressed) return { rv, waitMs: this.#backoff.next() };
    this.#backoff.reset();
    return { rv, waitMs: 0 };
  }

  #resync(): WatchOutcome {
    this.#h.onResync?.("watch_expired");
    return { rv: undefined, waitMs: 0 };
  }
}
