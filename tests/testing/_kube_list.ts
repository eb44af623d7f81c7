/**
 * Request parsing and LIST answering for the test API server, kept apart from the
 * server class so each stays readable: path routing, selector matching, and the
 * paginated LIST with continue tokens that encode a snapshot revision like etcd's.
 */
import { listItem, listKindOf, status, table } from "./_kube_render.ts";
import { parseFieldSelector, parseLabelSelector } from "./_kube_selectors.ts";
import { type KubeObj, objectKey, type ObjectStore, type ResourceType } from "./_kube_store.ts";
import type { RequestRecord } from "./_kube_watch.ts";

export interface Target {
  rt: ResourceType;
  namespace?: string;
  name?: string;
}

/** Resolves `/api/v1/...` and `/apis/g/v/...` paths onto a served resource type. */
export function parsePath(types: readonly ResourceType[], path: string): Target | undefined {
  const m = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))\/(.+)$/.exec(path);
  if (!m) return undefined;
  const [, coreV, group = "", gv] = m;
  const version = coreV ?? gv;
  const segs = (m[4] ?? "").split("/").filter((s) => s !== "");
  const find = (plural: string | undefined) =>
    types.find((t) => t.group === group && t.version === version && t.plural === plural);
  if (segs[0] === "namespaces" && segs.length >= 3) {
    const rt = find(segs[2]);
    if (!rt?.namespaced || segs.length > 4) return undefined;
    return { rt, namespace: segs[1] ?? "", ...(segs[3] !== undefined ? { name: segs[3] } : {}) };
  }
  const rt = find(segs[0]);
  if (!rt || segs.length > 2) return undefined;
  return { rt, ...(segs[1] !== undefined ? { name: segs[1] } : {}) };
}

/** The label and field selectors of a request as one predicate; throws SelectorError. */
export function matcherFor(rt: ResourceType, q: URLSearchParams): (o: KubeObj) => boolean {
  const labels = parseLabelSelector(q.get("labelSelector") ?? "");
  const fieldNames = ["metadata.name", "metadata.namespace", ...(rt.extraFields ?? [])];
  const fields = parseFieldSelector(q.get("fieldSelector") ?? "", fieldNames);
  return (o) => {
    if (!labels(o.metadata.labels ?? {})) return false;
    const values: Record<string, string> = {
      "metadata.name": o.metadata.name,
      "metadata.namespace": o.metadata.namespace ?? "",
    };
    for (const f of rt.extraFields ?? []) values[f] = String(o[f] ?? "");
    return fields(values);
  };
}

export interface ListOptions {
  /** Key prefix (`ns/`) of a namespaced LIST, `""` for all. */
  prefix: string;
  matches: (o: KubeObj) => boolean;
  asTable: boolean;
  /** Answer every continue token with 410, whatever its age. */
  expireContinue: boolean;
}

const EXPIRED_MESSAGE =
  "The provided continue parameter is too old to display a consistent list result. " +
  "You can start a new list without the continue parameter.";

/** One LIST page; the body is a string so large lists are serialised exactly once. */
export function listResponse(
  store: ObjectStore,
  rt: ResourceType,
  q: URLSearchParams,
  opts: ListOptions,
  record: RequestRecord,
): { code: number; body: unknown } {
  let rv = store.resourceVersion;
  let start = "";
  const token = q.get("continue");
  if (token) {
    let decoded: { rv?: number; start?: string };
    try {
      decoded = JSON.parse(atob(token));
    } catch {
      return { code: 400, body: status(400, "BadRequest", "continue key is not valid") };
    }
    rv = decoded.rv ?? 0;
    start = decoded.start ?? "";
    if (opts.expireContinue || rv < store.compactedRevision) {
      return { code: 410, body: status(410, "Expired", EXPIRED_MESSAGE) };
    }
  }
  const limit = Number(q.get("limit") ?? "0");
  const page = store.page(rt, {
    rv,
    start,
    prefix: opts.prefix,
    limit: limit > 0 ? limit : Infinity,
    filter: opts.matches,
  });
  const meta: { resourceVersion: string; continue?: string } = { resourceVersion: String(rv) };
  if (page.next !== undefined) {
    // Shaped like the real token: the snapshot revision and the key to start from.
    meta.continue = btoa(JSON.stringify({ v: "meta.k8s.io/v1", rv, start: page.next }));
  }
  for (const o of page.items) record.items.push(objectKey(o.metadata.namespace, o.metadata.name));
  if (opts.asTable) return { code: 200, body: table(rt, page.items, meta) };
  const head = JSON.stringify({ ...listKindOf(rt), metadata: meta });
  const items = page.items.map((o) => JSON.stringify(listItem(rt, o))).join(",");
  return { code: 200, body: `${head.slice(0, -1)},"items":[${items}]}` };
}
