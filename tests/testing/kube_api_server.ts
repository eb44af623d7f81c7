/**
 * An in-process Kubernetes API server for tests and benchmarks: discovery, GET,
 * paginated LIST and WATCH of a few resource types, with the semantics kubectl and
 * client-go rely on (consistent paginated snapshots, 410 Expired, bookmarks,
 * selector transitions), plus fault injection and a request log to assert on.
 */
import {
  apiGroupList,
  apiResourceList,
  apiVersions,
  status,
  table,
  VERSION_INFO,
} from "./_kube_render.ts";
import { listResponse, matcherFor, parsePath } from "./_kube_list.ts";
import { SelectorError } from "./_kube_selectors.ts";
import { type KubeObj, objectKey, ObjectStore, type ResourceType } from "./_kube_store.ts";
import { type RequestRecord, WatchStream } from "./_kube_watch.ts";

export type { KubeObj, RequestRecord, ResourceType };
export { generateTestPki, type TestPki } from "./_kube_tls.ts";

/** The resource types every server starts with. */
export const BUILTIN_RESOURCES: readonly ResourceType[] = [
  {
    group: "",
    version: "v1",
    plural: "secrets",
    kind: "Secret",
    namespaced: true,
    extraFields: ["type"],
  },
  {
    group: "",
    version: "v1",
    plural: "configmaps",
    kind: "ConfigMap",
    namespaced: true,
    shortNames: ["cm"],
  },
  {
    group: "",
    version: "v1",
    plural: "namespaces",
    kind: "Namespace",
    namespaced: false,
    shortNames: ["ns"],
  },
  ...["Mutating", "Validating"].map((p) => ({
    group: "admissionregistration.k8s.io",
    version: "v1",
    plural: `${p.toLowerCase()}webhookconfigurations`,
    kind: `${p}WebhookConfiguration`,
    namespaced: false,
  })),
  {
    group: "apiregistration.k8s.io",
    version: "v1",
    plural: "apiservices",
    kind: "APIService",
    namespaced: false,
  },
  {
    group: "apiextensions.k8s.io",
    version: "v1",
    plural: "customresourcedefinitions",
    kind: "CustomResourceDefinition",
    namespaced: false,
    shortNames: ["crd", "crds"],
  },
];

export interface KubeApiServerOptions {
  /** Require `Authorization: Bearer <token>`; anything else gets 401. */
  token?: string;
  /** Serve HTTPS with this PEM certificate chain and key; `ca` goes into written kubeconfigs. */
  tls?: { cert: string; key: string; ca: string };
  /** Period of BOOKMARK events on watches that allow them. @default 1000 */
  bookmarkIntervalMs?: number;
  /** Events kept for watch resumption and continue tokens; older ones are compacted. @default 10000 */
  historyLimit?: number;
  /** Extra resource types, e.g. a custom resource. */
  resources?: readonly ResourceType[];
}

/** Which requests a fault applies to. */
export type RequestMatcher = (r: RequestRecord) => boolean;

interface Fault {
  remaining: number;
  match: RequestMatcher;
  status: number;
  retryAfterSeconds: number | undefined;
}

const JSON_HEADERS = { "content-type": "application/json" };
const encoder = new TextEncoder();

export class KubeApiServer {
  readonly url: string;
  /** Every request served, in arrival order. */
  readonly requests: RequestRecord[] = [];
  /** Delay added before answering any request. */
  latencyMs = 0;
  /** While true, open and new watches send nothing (no events, no bookmarks) yet stay open. */
  stallWatches = false;
  /** While true, any `continue` token is answered with 410 Expired. */
  expireContinueTokens = false;
  /**
   * While true, new WATCH requests never get response headers, as through a proxy whose
   * upstream connection died: each hangs until its client gives up (or the server closes),
   * even after this is set back to false. Counted in {@link stalledWatchRequests}.
   */
  stallWatchHeaders = false;
  /** WATCH requests that were left without headers by {@link stallWatchHeaders}. */
  stalledWatchRequests = 0;

  readonly #server: Deno.HttpServer<Deno.NetAddr>;
  readonly #store: ObjectStore;
  readonly #types: ResourceType[];
  readonly #opts: KubeApiServerOptions;
  readonly #watches = new Set<WatchStream>();
  /** Releases of the requests held by stallWatchHeaders. */
  readonly #stalled = new Set<() => void>();
  #faults: Fault[] = [];

  private constructor(opts: KubeApiServerOptions) {
    this.#opts = opts;
    this.#store = new ObjectStore(opts.historyLimit ?? 10_000);
    this.#types = [...BUILTIN_RESOURCES, ...(opts.resources ?? [])];
    const serveOpts = { hostname: "127.0.0.1", port: 0, onListen: () => {} };
    const handler = (req: Request) => this.#handle(req);
    this.#server = opts.tls
      ? Deno.serve({ ...serveOpts, cert: opts.tls.cert, key: opts.tls.key }, handler)
      : Deno.serve(serveOpts, handler);
    this.url = `${opts.tls ? "https" : "http"}://127.0.0.1:${this.#server.addr.port}`;
  }

  static start(opts: KubeApiServerOptions = {}): KubeApiServer {
    return new KubeApiServer(opts);
  }

  /** Ends every watch cleanly and stops listening. */
  async close(): Promise<void> {
    for (const release of [...this.#stalled]) release();
    for (const w of [...this.#watches]) w.close();
    await this.#server.shutdown();
  }

  /** The current (latest) resourceVersion. */
  get resourceVersion(): string {
    return String(this.#store.resourceVersion);
  }

  resource(name: string): ResourceType {
    const rt = this.#types.find((t) => t.plural === name || `${t.plural}.${t.group}` === name);
    if (!rt) throw new Error(`Unknown resource: ${name}`);
    return rt;
  }

  /** Creates or replaces an object; returns it as stored (with resourceVersion, uid, ...). */
  upsert(resource: string, obj: KubeObj): KubeObj {
    return this.#store.upsert(this.resource(resource), obj).obj;
  }

  /** Deletes an object; returns whether it existed. */
  delete(resource: string, namespace: string | undefined, name: string): boolean {
    const rt = this.resource(resource);
    return this.#store.delete(rt, objectKey(rt.namespaced ? namespace : undefined, name)) !==
      undefined;
  }

  get(resource: string, namespace: string | undefined, name: string): KubeObj | undefined {
    const rt = this.resource(resource);
    return this.#store.get(rt, objectKey(rt.namespaced ? namespace : undefined, name));
  }

  list(resource: string, namespace?: string): KubeObj[] {
    return [...this.#store.all(this.resource(resource))]
      .filter((o) => namespace === undefined || o.metadata.namespace === namespace);
  }

  /** Inserts many objects fast; history is compacted past them (older RVs expire). */
  load(resource: string, objs: Iterable<KubeObj>): void {
    this.#store.load(this.resource(resource), objs);
  }

  /** Drops all event history: watches and continue tokens from older RVs get 410 Expired. */
  compact(): void {
    this.#store.compact();
  }

  /** Breaks every open watch connection mid-stream; returns how many there were. */
  dropWatches(): number {
    const n = this.#watches.size;
    for (const w of [...this.#watches]) w.drop();
    return n;
  }

  /** Number of watch streams currently open. */
  get openWatches(): number {
    return this.#watches.size;
  }

  /** Answers the next `n` requests matching `match` with `status` (default 500). */
  failNext(n: number, opts: { status?: number; match?: RequestMatcher } = {}): void {
    this.#faults.push({
      remaining: n,
      match: opts.match ?? (() => true),
      status: opts.status ?? 500,
      retryAfterSeconds: undefined,
    });
  }

  /** Answers the next `n` requests matching `match` with 429 and `Retry-After`. */
  throttleNext(n: number, retryAfterSeconds: number, match: RequestMatcher = () => true): void {
    this.#faults.push({ remaining: n, match, status: 429, retryAfterSeconds });
  }

  /**
   * Writes a kubeconfig for this server usable by kubectl and client-node. Plain-HTTP
   * servers are marked insecure-skip-tls-verify because client-node refuses `http:` otherwise.
   */
  async writeKubeconfig(
    path: string,
    opts: { token?: string; clientCert?: string; clientKey?: string; namespace?: string } = {},
  ): Promise<void> {
    const b64 = (s: string) => btoa(s);
    const cluster: Record<string, unknown> = { server: this.url };
    if (this.#opts.tls) cluster["certificate-authority-data"] = b64(this.#opts.tls.ca);
    else cluster["insecure-skip-tls-verify"] = true;
    const user: Record<string, unknown> = {};
    const token = opts.token ?? this.#opts.token;
    if (token !== undefined) user.token = token;
    if (opts.clientCert) user["client-certificate-data"] = b64(opts.clientCert);
    if (opts.clientKey) user["client-key-data"] = b64(opts.clientKey);
    const config = {
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "test", cluster }],
      users: [{ name: "test", user }],
      contexts: [{
        name: "test",
        context: {
          cluster: "test",
          user: "test",
          ...(opts.namespace ? { namespace: opts.namespace } : {}),
        },
      }],
      "current-context": "test",
      preferences: {},
    };
    await Deno.writeTextFile(path, JSON.stringify(config, null, 2));
  }

  async #handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const query = Object.fromEntries(url.searchParams);
    const record: RequestRecord = {
      method: req.method,
      path: url.pathname,
      query,
      verb: "other",
      resource: undefined,
      status: 0,
      bytes: 0,
      items: [],
    };
    this.#classify(record);
    this.requests.push(record);
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
    if (record.verb === "watch" && this.stallWatchHeaders) {
      this.stalledWatchRequests++;
      const { promise, resolve } = Promise.withResolvers<void>();
      const release = () => resolve();
      this.#stalled.add(release);
      req.signal.addEventListener("abort", release, { once: true });
      await promise;
      this.#stalled.delete(release);
      record.status = 503;
      return new Response(null, { status: 503 });
    }
    const res = this.#route(req, url, record);
    record.status = res.status;
    return res;
  }

  #classify(r: RequestRecord): void {
    const parsed = parsePath(this.#types, r.path);
    if (!parsed) {
      r.verb = r.path.startsWith("/api") || r.path === "/version" ? "discovery" : "other";
      return;
    }
    r.resource = parsed.rt.plural;
    const watch = r.query.watch === "1" || r.query.watch === "true";
    r.verb = parsed.name !== undefined ? "get" : watch ? "watch" : "list";
  }

  #json(
    body: unknown,
    code: number,
    record: RequestRecord,
    headers: Record<string, string> = {},
  ): Response {
    const bytes = encoder.encode(typeof body === "string" ? body : JSON.stringify(body));
    record.bytes = bytes.byteLength;
    return new Response(bytes, { status: code, headers: { ...JSON_HEADERS, ...headers } });
  }

  #route(req: Request, url: URL, record: RequestRecord): Response {
    const token = this.#opts.token;
    if (token !== undefined && req.headers.get("authorization") !== `Bearer ${token}`) {
      return this.#json(status(401, "Unauthorized", "Unauthorized"), 401, record);
    }
    const fault = this.#faults.find((f) => f.remaining > 0 && f.match(record));
    if (fault) {
      fault.remaining--;
      this.#faults = this.#faults.filter((f) => f.remaining > 0);
      if (fault.retryAfterSeconds !== undefined) {
        const body = status(429, "TooManyRequests", "Too many requests, please try again later.", {
          retryAfterSeconds: fault.retryAfterSeconds,
        });
        return this.#json(body, 429, record, { "retry-after": String(fault.retryAfterSeconds) });
      }
      return this.#json(
        status(fault.status, "InternalError", "Injected fault"),
        fault.status,
        record,
      );
    }
    const path = url.pathname.replace(/\/$/, "");
    if (path === "/version") return this.#json(VERSION_INFO, 200, record);
    if (path === "/api") return this.#json(apiVersions(url.host), 200, record);
    if (path === "/apis") return this.#json(apiGroupList(this.#types), 200, record);
    if (path === "/api/v1") {
      return this.#json(
        apiResourceList("v1", this.#types.filter((t) => t.group === "")),
        200,
        record,
      );
    }
    const gm = /^\/apis\/([^/]+)\/([^/]+)$/.exec(path);
    if (gm) {
      const types = this.#types.filter((t) => t.group === gm[1] && t.version === gm[2]);
      if (types.length > 0) {
        return this.#json(apiResourceList(`${gm[1]}/${gm[2]}`, types), 200, record);
      }
    }
    const target = parsePath(this.#types, path);
    if (!target) {
      return this.#json(
        status(404, "NotFound", "the server could not find the requested resource"),
        404,
        record,
      );
    }
    if (req.method !== "GET") {
      return this.#json(
        status(405, "MethodNotAllowed", `${req.method} is not supported by the test server`),
        405,
        record,
      );
    }
    const asTable = (req.headers.get("accept") ?? "").includes("as=Table");
    try {
      if (record.verb === "get") {
        return this.#getOne(target.rt, target.namespace, target.name ?? "", asTable, record);
      }
      const matches = matcherFor(target.rt, url.searchParams);
      const prefix = target.namespace !== undefined ? `${target.namespace}/` : "";
      if (record.verb === "watch") {
        return this.#watch(target.rt, prefix, matches, url.searchParams, asTable, record);
      }
      return this.#list(target.rt, prefix, matches, url.searchParams, asTable, record);
    } catch (err) {
      if (err instanceof SelectorError) {
        return this.#json(status(400, "BadRequest", err.message), 400, record);
      }
      throw err;
    }
  }

  #getOne(
    rt: ResourceType,
    ns: string | undefined,
    name: string,
    asTable: boolean,
    record: RequestRecord,
  ): Response {
    const key = objectKey(rt.namespaced ? ns : undefined, name);
    const obj = this.#store.get(rt, key);
    if (!obj) {
      const body = status(404, "NotFound", `${rt.plural} "${name}" not found`, {
        name,
        kind: rt.plural,
      });
      return this.#json(body, 404, record);
    }
    record.items.push(key);
    const rv = obj.metadata.resourceVersion ?? "";
    return this.#json(asTable ? table(rt, [obj], { resourceVersion: rv }) : obj, 200, record);
  }

  #list(
    rt: ResourceType,
    prefix: string,
    matches: (o: KubeObj) => boolean,
    q: URLSearchParams,
    asTable: boolean,
    record: RequestRecord,
  ): Response {
    const opts = { prefix, matches, asTable, expireContinue: this.expireContinueTokens };
    const { code, body } = listResponse(this.#store, rt, q, opts, record);
    return this.#json(body, code, record);
  }

  #watch(
    rt: ResourceType,
    prefix: string,
    matches: (o: KubeObj) => boolean,
    q: URLSearchParams,
    asTable: boolean,
    record: RequestRecord,
  ): Response {
    const bookmarks = q.get("allowWatchBookmarks") === "true" ||
      q.get("allowWatchBookmarks") === "1";
    const timeout = q.get("timeoutSeconds");
    const stream = new WatchStream({
      store: this.#store,
      resource: rt,
      prefix,
      matches,
      since: q.get("resourceVersion") ?? undefined,
      bookmarkIntervalMs: bookmarks ? this.#opts.bookmarkIntervalMs ?? 1000 : undefined,
      timeoutMs: timeout ? Number(timeout) * 1000 : undefined,
      asTable,
      record,
      stalled: () => this.stallWatches,
    });
    this.#watches.add(stream);
    stream.onEnd = () => this.#watches.delete(stream);
    if (record.ended) this.#watches.delete(stream);
    return new Response(stream.body, { status: 200, headers: JSON_HEADERS });
  }
}
