import type { Store } from "../store.ts";
import { escapeLabelValue } from "./labels.ts";

/**
 * The per-endpoint families of probing sources (`kind: tls`), rendered from
 * the store. They exist only when a probe has run, so an exporter without such
 * a source carries no empty families. The TLS version and verification are
 * those of the chain held: they outlive a failed probe for the grace period,
 * as the chain's own series do.
 */
export function renderProbeMetrics(store: Store): string {
  let success = "";
  let duration = "";
  let version = "";
  let verified = "";
  for (const s of store.sources()) {
    for (const p of s.probes.values()) {
      const at = `source_name="${escapeLabelValue(s.id.name)}",probe_target="${
        escapeLabelValue(p.target)
      }",probe_server_name="${escapeLabelValue(p.serverName)}"`;
      success += `x509_probe_success{${at}} ${p.success ? 1 : 0}\n`;
      duration += `x509_probe_duration_seconds{${at}} ${p.durationSeconds}\n`;
      if (p.tlsVersion !== undefined) {
        version += `x509_probe_tls_version_info{${at},version="${
          escapeLabelValue(p.tlsVersion)
        }"} 1\n`;
      }
      if (p.verified !== undefined) {
        verified += `x509_probe_verified{${at}} ${p.verified ? 1 : 0}\n`;
      }
    }
  }
  if (success === "") return "";
  return "# HELP x509_probe_success 1 if the last probe of the endpoint read its certificate " +
    "chain, 0 otherwise\n# TYPE x509_probe_success gauge\n" + success +
    "# HELP x509_probe_duration_seconds Duration of the last probe: resolve, connect, STARTTLS " +
    "and handshake\n# TYPE x509_probe_duration_seconds gauge\n" + duration +
    "# HELP x509_probe_tls_version_info TLS version negotiated with the endpoint\n" +
    "# TYPE x509_probe_tls_version_info gauge\n" + version +
    "# HELP x509_probe_verified 1 if the served chain verifies for the server name against " +
    "the configured roots, 0 otherwise\n# TYPE x509_probe_verified gauge\n" + verified;
}
