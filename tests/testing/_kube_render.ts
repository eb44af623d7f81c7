/**
 * The JSON shapes the test API server answers with: discovery documents, Status
 * errors and the server-side Table kubectl asks for.
 */
import { apiVersionOf, type KubeObj, type ResourceType } from "./_kube_store.ts";

export interface Status {
  kind: "Status";
  apiVersion: "v1";
  metadata: Record<string, never>;
  status: "Failure";
  message: string;
  reason: string;
  code: number;
  details?: { name?: string; kind?: string; retryAfterSeconds?: number };
}

export function status(
  code: number,
  reason: string,
  message: string,
  details?: Status["details"],
): Status {
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    reason,
    code,
    ...(details ? { details } : {}),
  };
}

const VERBS = ["get", "list", "watch", "create", "update", "patch", "delete"];

export function apiVersions(host: string): unknown {
  return {
    kind: "APIVersions",
    versions: ["v1"],
    serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress: host }],
  };
}

export function apiResourceList(groupVersion: string, types: readonly ResourceType[]): unknown {
  return {
    kind: "APIResourceList",
    apiVersion: "v1",
    groupVersion,
    resources: types.map((rt) => ({
      name: rt.plural,
      singularName: rt.kind.toLowerCase(),
      namespaced: rt.namespaced,
      kind: rt.kind,
      verbs: VERBS,
      ...(rt.shortNames ? { shortNames: rt.shortNames } : {}),
    })),
  };
}

export function apiGroupList(types: readonly ResourceType[]): unknown {
  const groups = new Map<string, Set<string>>();
  for (const rt of types) {
    if (rt.group) groups.set(rt.group, (groups.get(rt.group) ?? new Set()).add(rt.version));
  }
  return {
    kind: "APIGroupList",
    apiVersion: "v1",
    groups: [...groups].map(([name, versions]) => {
      const vs = [...versions].map((version) => ({ groupVersion: `${name}/${version}`, version }));
      return { name, versions: vs, preferredVersion: vs[0] };
    }),
  };
}

export const VERSION_INFO = {
  major: "1",
  minor: "32",
  gitVersion: "v1.32.0-x509-test",
  gitCommit: "0000000000000000000000000000000000000000",
  gitTreeState: "clean",
  buildDate: "2025-01-01T00:00:00Z",
  goVersion: "go1.23.0",
  compiler: "gc",
  platform: "linux/amd64",
};

/** `5m`, `3h`, `2d`: the short age the real server puts in Table cells. */
function age(created: string | undefined, now: number): string {
  if (!created) return "<unknown>";
  const s = Math.max(0, Math.floor((now - Date.parse(created)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

function column(name: string, type: string, format = ""): unknown {
  return { name, type, format, description: "", priority: 0 };
}

function columnsFor(rt: ResourceType): { defs: unknown[]; cells: (o: KubeObj) => unknown[] } {
  const count = (o: KubeObj) => Object.keys((o.data as object | undefined) ?? {}).length;
  switch (`${rt.group}/${rt.plural}`) {
    case "/secrets":
      return {
        defs: [column("Type", "string"), column("Data", "string")],
        cells: (o) => [o.type ?? "Opaque", count(o)],
      };
    case "/configmaps":
      return { defs: [column("Data", "string")], cells: (o) => [count(o)] };
    case "/namespaces":
      return {
        defs: [column("Status", "string")],
        cells: (o) => [(o.status as { phase?: string } | undefined)?.phase ?? "Active"],
      };
    default:
      return { defs: [], cells: () => [] };
  }
}

/** A meta.k8s.io/v1 Table of `items`, rows carrying PartialObjectMetadata like the default. */
export function table(
  rt: ResourceType,
  items: readonly KubeObj[],
  meta: { resourceVersion: string; continue?: string },
  withColumns = true,
): unknown {
  const now = Date.now();
  const { defs, cells } = columnsFor(rt);
  return {
    kind: "Table",
    apiVersion: "meta.k8s.io/v1",
    metadata: meta,
    ...(withColumns
      ? { columnDefinitions: [column("Name", "string", "name"), ...defs, column("Age", "string")] }
      : {}),
    rows: items.map((o) => ({
      cells: [o.metadata.name, ...cells(o), age(o.metadata.creationTimestamp, now)],
      object: { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: o.metadata },
    })),
  };
}

/** Typed lists of built-in kinds carry no per-item kind/apiVersion on the real server. */
export function listItem(rt: ResourceType, obj: KubeObj): KubeObj {
  if (rt.group.endsWith(".k8s.io") || rt.group === "") {
    const { apiVersion: _a, kind: _k, ...rest } = obj;
    return rest as KubeObj;
  }
  return obj;
}

export function listKindOf(rt: ResourceType): { kind: string; apiVersion: string } {
  return { kind: `${rt.kind}List`, apiVersion: apiVersionOf(rt) };
}
