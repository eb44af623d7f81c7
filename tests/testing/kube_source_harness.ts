/**
 * Runs a KubernetesSource against the test API server and exposes what it put
 * in the store, for the source's tests.
 */
import { parseConfig } from "../../src/config/load.ts";
import { KubeClient } from "../../src/kube/client.ts";
import { renderKubeMetrics } from "../../src/metrics/kube_metrics.ts";
import { CabundleSource } from "../../src/sources/cabundle.ts";
import { KubernetesSource } from "../../src/sources/kubernetes.ts";
import type { WatchTuning } from "../../src/sources/_kube_streams.ts";
import { Store } from "../../src/store.ts";
import { sourceDeps } from "./sources.ts";
import { summary } from "./items.ts";
import { KubeApiServer } from "./kube_api_server.ts";

/** Base64 of text (as UTF-8... kept to Latin-1 by callers) or of raw bytes (keystores). */
function b64(value: string | Uint8Array): string {
  return typeof value === "string" ? btoa(value) : btoa(String.fromCharCode(...value));
}

export function secret(
  ns: string,
  name: string,
  data: Record<string, string | Uint8Array>,
  opts: { type?: string; labels?: Record<string, string> } = {},
) {
  const encoded = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)]));
  return {
    metadata: { name, namespace: ns, labels: opts.labels ?? {} },
    type: opts.type ?? "kubernetes.io/tls",
    data: encoded,
  };
}

export function namespace(name: string, labels: Record<string, string> = {}) {
  return { metadata: { name, labels } };
}

export interface Harness {
  server: KubeApiServer;
  store: Store;
  /** ref -> serials/reasons of the source under test. */
  view(): Record<string, string[]>;
  state(): { up: boolean; synced: boolean; errors: Map<string, number> };
  until(cond: () => boolean, what: string): Promise<void>;
  metric(name: string): Promise<string>;
  /** Resources the source sent any request for. */
  requested(): Set<string>;
}

export async function withSource(
  yaml: string,
  seed: (s: KubeApiServer) => void,
  fn: (h: Harness) => void | Promise<void>,
  options: {
    kind?: "kubernetes" | "cabundle";
    secretReaderTtlMs?: number;
    /** Replaces the harness's short watch timings. */
    watch?: WatchTuning;
  } = {},
) {
  const { kind = "kubernetes", ...extra } = options;
  const server = KubeApiServer.start({ bookmarkIntervalMs: 100 });
  seed(server);
  const dir = await Deno.makeTempDir();
  await server.writeKubeconfig(`${dir}/kubeconfig`);
  const name = kind === "kubernetes" ? "k8s" : "cab";
  const config = parseConfig(
    `sources:\n  - kind: ${kind}\n    name: ${name}\n${yaml.replace(/^/gm, "    ")}\n`,
    "test.yaml",
  ).config.sources[0]!;
  const store = new Store();
  const client = KubeClient.fromKubeconfig({
    maxFileBytes: 1 << 20,
    kubeconfig: `${dir}/kubeconfig`,
  });
  const deps = {
    ...sourceDeps(store),
    client,
    watch: { idleTimeoutMs: 2000, backoff: { initialMs: 20, maxMs: 200 } },
    ...extra,
  };
  const source = config.kind === "cabundle"
    ? new CabundleSource({ config, ...deps })
    : config.kind === "kubernetes"
    ? new KubernetesSource({ config, ...deps })
    : undefined;
  if (!source) throw new Error(`Not a Kubernetes-backed kind: ${config.kind}`);
  const ac = new AbortController();
  const running = source.run(ac.signal);
  const state = () => [...store.sources()].find((s) => s.id.kind === kind)!;
  const h: Harness = {
    server,
    store,
    view: () => {
      const out: Record<string, string[]> = {};
      for (const b of state().bundles.values()) {
        out[b.ref] = b.items.map(summary);
      }
      return out;
    },
    state,
    until: async (cond, what) => {
      const end = Date.now() + 8000;
      while (!cond()) {
        if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    metric: (name) =>
      Promise.resolve(
        renderKubeMetrics(store, { exposeDiagnostics: true }).split("\n")
          .filter((l) => l.startsWith(name)).join("\n"),
      ),
    requested: () => new Set(server.requests.flatMap((r) => (r.resource ? [r.resource] : []))),
  };
  try {
    await h.until(() => state().synced, "first sync");
    await fn(h);
  } finally {
    ac.abort();
    await running;
    client.close();
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
}
