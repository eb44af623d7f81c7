/**
 * One open WATCH of the test API server: replays history after the requested
 * resourceVersion, then streams live changes as newline-delimited JSON, with the
 * selector transitions, bookmarks, timeouts and 410 Expired of the real watch cache.
 */
import { status, table } from "./_kube_render.ts";
import {
  apiVersionOf,
  type KubeObj,
  type ObjectStore,
  type ResourceType,
  type StoreEvent,
} from "./_kube_store.ts";

/** What the request log keeps of one request; watches update it as they stream. */
export interface RequestRecord {
  method: string;
  path: string;
  query: Record<string, string>;
  verb: "get" | "list" | "watch" | "discovery" | "other";
  /** Plural of the resource addressed, when any. */
  resource: string | undefined;
  status: number;
  bytes: number;
  /** Keys (`ns/name`) of the objects returned, or sent as watch events. */
  items: string[];
  /** For watches: set once the stream ended, and how. */
  ended?: "closed" | "dropped" | "cancelled";
}

export interface WatchOptions {
  store: ObjectStore;
  resource: ResourceType;
  /** Key prefix (`ns/`) of a namespaced watch, `""` for all. */
  prefix: string;
  matches: (obj: KubeObj) => boolean;
  /** The `resourceVersion` parameter; absent or `"0"` replays the current state as ADDED. */
  since: string | undefined;
  bookmarkIntervalMs: number | undefined;
  timeoutMs: number | undefined;
  asTable: boolean;
  record: RequestRecord;
  /** While true the stream sends nothing at all, like a silently dead connection. */
  stalled: () => boolean;
}

const encoder = new TextEncoder();

export class WatchStream {
  readonly body: ReadableStream<Uint8Array>;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #done = false;
  #cleanups: (() => void)[] = [];
  readonly #opts: WatchOptions;
  #onEnd: () => void = () => {};

  constructor(opts: WatchOptions) {
    this.#opts = opts;
    this.body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#controller = controller;
        this.#begin();
      },
      cancel: () => this.#finish("cancelled"),
    });
  }

  set onEnd(fn: () => void) {
    this.#onEnd = fn;
  }

  #send(type: string, object: unknown, key?: string): void {
    if (this.#done || this.#opts.stalled()) return;
    const bytes = encoder.encode(JSON.stringify({ type, object }) + "\n");
    this.#opts.record.bytes += bytes.byteLength;
    if (key !== undefined) this.#opts.record.items.push(key);
    this.#controller.enqueue(bytes);
  }

  #sendObject(type: string, obj: KubeObj, key: string): void {
    const { asTable, resource } = this.#opts;
    const rv = obj.metadata.resourceVersion ?? "";
    this.#send(type, asTable ? table(resource, [obj], { resourceVersion: rv }) : obj, key);
  }

  #begin(): void {
    const { store, since, resource } = this.#opts;
    if (since === undefined || since === "" || since === "0") {
      const keyed = [...store.all(resource)].filter((o) => this.#inScope(o));
      for (const o of keyed) this.#sendObject("ADDED", o, this.#keyOf(o));
    } else {
      const events = store.eventsSince(Number(since));
      if (!events) {
        // The watch cache answers 200 then one ERROR event, not an HTTP 410.
        const msg = `too old resource version: ${since} (${store.compactedRevision})`;
        this.#send("ERROR", status(410, "Expired", msg));
        this.#finish("closed");
        return;
      }
      for (const e of events) this.#deliver(e);
    }
    this.#cleanups.push(store.subscribe((e) => this.#deliver(e)));
    if (this.#opts.bookmarkIntervalMs !== undefined) {
      const id = setInterval(() => {
        const object = {
          kind: resource.kind,
          apiVersion: apiVersionOf(resource),
          metadata: { resourceVersion: String(store.resourceVersion) },
        };
        this.#send("BOOKMARK", object);
      }, this.#opts.bookmarkIntervalMs);
      this.#cleanups.push(() => clearInterval(id));
    }
    if (this.#opts.timeoutMs !== undefined) {
      const id = setTimeout(() => this.#finish("closed"), this.#opts.timeoutMs);
      this.#cleanups.push(() => clearTimeout(id));
    }
  }

  #keyOf(o: KubeObj): string {
    return this.#opts.resource.namespaced
      ? `${o.metadata.namespace}/${o.metadata.name}`
      : o.metadata.name;
  }

  #inScope(o: KubeObj | undefined): boolean {
    return o !== undefined && this.#keyOf(o).startsWith(this.#opts.prefix) && this.#opts.matches(o);
  }

  /** Mirrors the watch cache: objects entering or leaving the selector become ADDED/DELETED. */
  #deliver(e: StoreEvent): void {
    if (e.resource !== this.#opts.resource) return;
    const now = e.type !== "DELETED" && this.#inScope(e.obj);
    const before = e.type !== "ADDED" && this.#inScope(e.prev);
    if (now && before) this.#sendObject("MODIFIED", e.obj, e.key);
    else if (now) this.#sendObject("ADDED", e.obj, e.key);
    else if (before && e.prev) {
      const gone = { ...e.prev, metadata: { ...e.prev.metadata, resourceVersion: String(e.rv) } };
      this.#sendObject("DELETED", gone, e.key);
    }
  }

  #finish(how: NonNullable<RequestRecord["ended"]>, err?: unknown): void {
    if (this.#done) return;
    this.#done = true;
    this.#opts.record.ended = how;
    for (const c of this.#cleanups) c();
    this.#cleanups = [];
    try {
      if (err) this.#controller.error(err);
      else if (how === "closed") this.#controller.close();
    } catch {
      // The client went away first; nothing left to end.
    }
    this.#onEnd();
  }

  /** Ends the stream cleanly, like `timeoutSeconds` expiring. */
  close(): void {
    this.#finish("closed");
  }

  /** Aborts the connection mid-stream: the client sees a broken body, not a clean end. */
  drop(): void {
    // Deno.serve logs whatever the body errors with; a one-line string keeps test output readable.
    this.#finish("dropped", "kube_api_server: watch dropped on purpose (fault injection)");
  }
}
