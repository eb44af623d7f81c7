/**
 * The object store behind the test API server: one global resourceVersion counter,
 * objects kept as parsed values (serialised per request, so 50,000 large Secrets stay
 * one copy each), a bounded event history standing in for etcd's compaction window,
 * and point-in-time snapshots so a paginated LIST is consistent like the real one.
 */

/** A Kubernetes object as stored: only metadata is interpreted. */
export interface KubeObj {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    resourceVersion?: string;
    uid?: string;
    creationTimestamp?: string;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** A resource type the server serves. */
export interface ResourceType {
  /** API group, `""` for core. */
  group: string;
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
  /** Field selector labels besides `metadata.name` and `metadata.namespace`. */
  extraFields?: readonly string[];
  shortNames?: readonly string[];
}

export type EventType = "ADDED" | "MODIFIED" | "DELETED";

/** One change, with the state before it so snapshots and selector transitions work. */
export interface StoreEvent {
  rv: number;
  type: EventType;
  resource: ResourceType;
  key: string;
  obj: KubeObj;
  prev: KubeObj | undefined;
}

/** `ns/name` for namespaced objects, `name` otherwise: etcd's key order. */
export function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

export function apiVersionOf(rt: ResourceType): string {
  return rt.group ? `${rt.group}/${rt.version}` : rt.version;
}

class Table {
  readonly objects = new Map<string, KubeObj>();
  #sorted: string[] | undefined;

  sortedKeys(): string[] {
    // Re-sorted lazily: a bulk load of 50,000 objects then costs one sort, not 50,000 splices.
    this.#sorted ??= [...this.objects.keys()].sort();
    return this.#sorted;
  }

  set(key: string, obj: KubeObj): void {
    if (!this.objects.has(key)) this.#sorted = undefined;
    this.objects.set(key, obj);
  }

  remove(key: string): void {
    if (this.objects.delete(key)) this.#sorted = undefined;
  }
}

/** Lowest index of `keys` whose value is >= `start`. */
function lowerBound(keys: readonly string[], start: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((keys[mid] ?? "") < start) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface PageRequest {
  /** Snapshot revision; must not be older than the compaction horizon. */
  rv: number;
  /** First key to consider (inclusive). */
  start: string;
  /** Only keys with this prefix (a namespace). */
  prefix: string;
  limit: number;
  filter: (obj: KubeObj) => boolean;
}

export class ObjectStore {
  #rv = 1;
  #compacted = 0;
  readonly #historyLimit: number;
  #history: StoreEvent[] = [];
  readonly #tables = new Map<ResourceType, Table>();
  readonly #listeners = new Set<(ev: StoreEvent) => void>();
  #uid = 0;

  constructor(historyLimit: number) {
    this.#historyLimit = historyLimit;
  }

  get resourceVersion(): number {
    return this.#rv;
  }

  /** Events at or before this revision are gone: watching or continuing from older fails. */
  get compactedRevision(): number {
    return this.#compacted;
  }

  #table(rt: ResourceType): Table {
    let t = this.#tables.get(rt);
    if (!t) this.#tables.set(rt, t = new Table());
    return t;
  }

  subscribe(fn: (ev: StoreEvent) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  get(rt: ResourceType, key: string): KubeObj | undefined {
    return this.#table(rt).objects.get(key);
  }

  all(rt: ResourceType): IterableIterator<KubeObj> {
    return this.#table(rt).objects.values();
  }

  #stamp(rt: ResourceType, obj: KubeObj, prev: KubeObj | undefined, rv: number): KubeObj {
    return {
      ...obj,
      apiVersion: apiVersionOf(rt),
      kind: rt.kind,
      metadata: {
        ...obj.metadata,
        resourceVersion: String(rv),
        uid: prev?.metadata.uid ?? obj.metadata.uid ??
          `00000000-0000-4000-8000-${(++this.#uid).toString(16).padStart(12, "0")}`,
        creationTimestamp: prev?.metadata.creationTimestamp ?? obj.metadata.creationTimestamp ??
          new Date().toISOString().replace(/\.\d+Z$/, "Z"),
      },
    };
  }

  #record(ev: StoreEvent): void {
    this.#history.push(ev);
    if (this.#history.length > this.#historyLimit * 2) {
      // Trimmed in batches so a long test run does not pay an O(n) shift per event.
      const drop = this.#history.length - this.#historyLimit;
      this.#compacted = this.#history[drop - 1]?.rv ?? this.#compacted;
      this.#history = this.#history.slice(drop);
    }
    for (const fn of this.#listeners) fn(ev);
  }

  upsert(rt: ResourceType, obj: KubeObj): StoreEvent {
    const table = this.#table(rt);
    const key = objectKey(
      rt.namespaced ? obj.metadata.namespace ?? "default" : undefined,
      obj.metadata.name,
    );
    const prev = table.objects.get(key);
    const rv = ++this.#rv;
    const stored = this.#stamp(rt, obj, prev, rv);
    if (rt.namespaced) stored.metadata.namespace = obj.metadata.namespace ?? "default";
    table.set(key, stored);
    const ev: StoreEvent = {
      rv,
      type: prev ? "MODIFIED" : "ADDED",
      resource: rt,
      key,
      obj: stored,
      prev,
    };
    this.#record(ev);
    return ev;
  }

  delete(rt: ResourceType, key: string): StoreEvent | undefined {
    const table = this.#table(rt);
    const prev = table.objects.get(key);
    if (!prev) return undefined;
    const rv = ++this.#rv;
    table.remove(key);
    const obj = { ...prev, metadata: { ...prev.metadata, resourceVersion: String(rv) } };
    const ev: StoreEvent = { rv, type: "DELETED", resource: rt, key, obj, prev };
    this.#record(ev);
    return ev;
  }

  /**
   * Inserts many objects without recording history (as if etcd had compacted since),
   * which keeps a 50,000-object benchmark load fast and lean. Live watchers still see them.
   */
  load(rt: ResourceType, objs: Iterable<KubeObj>): void {
    const table = this.#table(rt);
    const notify = this.#listeners.size > 0;
    for (const obj of objs) {
      const ns = rt.namespaced ? obj.metadata.namespace ?? "default" : undefined;
      const key = objectKey(ns, obj.metadata.name);
      const prev = table.objects.get(key);
      const rv = ++this.#rv;
      const stored = this.#stamp(rt, obj, prev, rv);
      if (ns) stored.metadata.namespace = ns;
      table.set(key, stored);
      if (notify) {
        const ev: StoreEvent = {
          rv,
          type: prev ? "MODIFIED" : "ADDED",
          resource: rt,
          key,
          obj: stored,
          prev,
        };
        for (const fn of this.#listeners) fn(ev);
      }
    }
    this.compact();
  }

  /** Forgets all history: every older resourceVersion and continue token becomes expired. */
  compact(): void {
    this.#compacted = this.#rv;
    this.#history = [];
  }

  /** Events strictly after `rv`, oldest first, or undefined when `rv` is compacted away. */
  eventsSince(rv: number): StoreEvent[] | undefined {
    if (rv < this.#compacted) return undefined;
    const i = this.#history.findIndex((e) => e.rv > rv);
    return i < 0 ? [] : this.#history.slice(i);
  }

  /** One page of the table as it was at `req.rv`, in key order. */
  page(rt: ResourceType, req: PageRequest): { items: KubeObj[]; next: string | undefined } {
    const table = this.#table(rt);
    const later = this.eventsSince(req.rv) ?? [];
    // Undo later changes: walking newest to oldest leaves each key at its oldest `prev`.
    const overlay = new Map<string, KubeObj | undefined>();
    for (let i = later.length - 1; i >= 0; i--) {
      const e = later[i];
      if (e && e.resource === rt) overlay.set(e.key, e.prev);
    }
    let keys = table.sortedKeys();
    if (overlay.size > 0) keys = [...new Set([...keys, ...overlay.keys()])].sort();
    const items: KubeObj[] = [];
    const from = lowerBound(keys, req.start > req.prefix ? req.start : req.prefix);
    for (let i = from; i < keys.length; i++) {
      const key = keys[i] ?? "";
      if (!key.startsWith(req.prefix)) break;
      const obj = overlay.has(key) ? overlay.get(key) : table.objects.get(key);
      if (!obj || !req.filter(obj)) continue;
      if (items.length === req.limit) return { items, next: key };
      items.push(obj);
    }
    return { items, next: undefined };
  }
}
