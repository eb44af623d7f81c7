/**
 * The kubeconfig document, read once for both of its uses: the API target of the
 * Kubernetes-backed sources (src/kube/kubeconfig.ts) and the certificates a kubeconfig
 * source exports (src/sources/kubeconfig.ts).
 */
import { parse } from "yaml";

/** A `clusters[]`, `users[]` or `contexts[]` entry: its name and its body. */
export interface NamedEntry {
  readonly name: string;
  readonly body: Readonly<Record<string, unknown>>;
}

export interface KubeconfigDocument {
  readonly currentContext: string | undefined;
  readonly clusters: readonly NamedEntry[];
  readonly users: readonly NamedEntry[];
  readonly contexts: readonly NamedEntry[];
}

/** Parses kubeconfig text; throws a SyntaxError for YAML that is not a kubeconfig mapping. */
export function parseKubeconfig(text: string): KubeconfigDocument {
  // Warnings (an unknown tag) would go to stderr from inside the library: errors only.
  const doc = parse(text, { logLevel: "error" }) as Record<string, unknown> | null;
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) {
    throw new SyntaxError("Not a kubeconfig mapping");
  }
  const section = (key: string, field: string): NamedEntry[] => {
    const list = doc[key];
    if (!Array.isArray(list)) return [];
    return list.flatMap((e) => {
      const body = e?.[field];
      if (!body || typeof body !== "object") return [];
      return [{ name: typeof e.name === "string" ? e.name : "", body }];
    });
  };
  const current = doc["current-context"];
  return {
    currentContext: typeof current === "string" && current !== "" ? current : undefined,
    clusters: section("clusters", "cluster"),
    users: section("users", "user"),
    contexts: section("contexts", "context"),
  };
}
