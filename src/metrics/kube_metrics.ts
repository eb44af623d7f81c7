import type { Store } from "../store.ts";
import { renderHistogram } from "./_histogram.ts";
import { escapeLabelValue } from "./labels.ts";

/**
 * The Kubernetes-backed sources' families, rendered from the store. They exist
 * only when such a source is configured, so a files-only exporter does not
 * carry empty families.
 */
export function renderKubeMetrics(store: Store, options: { exposeDiagnostics?: boolean }): string {
  let resyncs = "";
  let transport = "";
  let scope = "";
  let any = false;
  for (const s of store.sources()) {
    if (s.streams.size === 0) continue;
    any = true;
    const name = `source_name="${escapeLabelValue(s.id.name)}"`;
    for (const [resource, stream] of s.streams) {
      const at = `${name},resource="${escapeLabelValue(resource)}"`;
      resyncs += `x509_kube_watch_resyncs_total{${at}} ${stream.resyncs}\n`;
      for (const [reason, n] of stream.transportErrors) {
        transport += `x509_kube_transport_errors_total{${at},reason="${reason}"} ${n}\n`;
      }
    }
    if (s.scope) {
      const other = s.scope === "cluster" ? "namespace" : "cluster";
      scope += `x509_kube_informer_scope{${name},scope="${s.scope}"} 1\n` +
        `x509_kube_informer_scope{${name},scope="${other}"} 0\n`;
    }
  }
  if (!any) return "";
  let out = "# HELP x509_kube_watch_resyncs_total Full re-LISTs forced by an expired watch " +
    "(410 Gone) or continue token\n# TYPE x509_kube_watch_resyncs_total counter\n" + resyncs +
    "# HELP x509_kube_transport_errors_total Failed Kubernetes API interactions, by step\n" +
    "# TYPE x509_kube_transport_errors_total counter\n" + transport;
  if (options.exposeDiagnostics) {
    out += renderHistogram(
      "x509_kube_request_duration_seconds",
      "Latency of Kubernetes API requests (LIST pages; WATCH until the stream opens)",
      store.requestDurations,
    );
    out += "# HELP x509_kube_informer_scope 1 for the scope a Kubernetes source watches " +
      "(cluster or namespace), 0 for the other\n# TYPE x509_kube_informer_scope gauge\n" + scope;
  }
  return out;
}
