import type { Store } from "../store.ts";
import { escapeLabelValue } from "./labels.ts";

/**
 * Renders the per-source health families from the store. They live with the
 * bundles (not in a client registry) so a scrape always sees health and
 * certificates from the same moment.
 */
export function renderSourceMetrics(
  store: Store,
  keystores: { readonly pkcs12?: ReadonlySet<string>; readonly jks?: ReadonlySet<string> } = {},
): string {
  let up = "# HELP x509_source_up 1 if the source's last sync succeeded, 0 otherwise\n" +
    "# TYPE x509_source_up gauge\n";
  let bundles =
    "# HELP x509_source_bundles Number of bundles (files, objects keys) currently held per source\n" +
    "# TYPE x509_source_bundles gauge\n";
  let errors = "# HELP x509_source_errors_total Errors met by sources, by stable reason code\n" +
    "# TYPE x509_source_errors_total counter\n";
  for (const s of store.sources()) {
    const name = `source_name="${escapeLabelValue(s.id.name)}"`;
    up += `x509_source_up{source_kind="${escapeLabelValue(s.id.kind)}",${name}} ${s.up ? 1 : 0}\n`;
    // Bundles and errors count under upstream's kinds (kube-secret, ...), `up` under the config's.
    const counts = new Map(s.kinds.map((k) => [k, 0]));
    for (const b of s.bundles.values()) {
      const kind = b.kind ?? s.kinds[0]!;
      counts.set(kind, (counts.get(kind) ?? 0) + 1);
    }
    for (const [kind, n] of counts) {
      bundles += `x509_source_bundles{source_kind="${escapeLabelValue(kind)}",${name}} ${n}\n`;
    }
    for (const [kind, byReason] of s.errorsByKind) {
      const id = `source_kind="${escapeLabelValue(kind)}",${name}`;
      for (const [reason, n] of byReason) {
        errors += `x509_source_errors_total{${id},reason="${reason}"} ${n}\n`;
      }
    }
  }
  for (const [reason, n] of store.apiErrors) {
    errors +=
      `x509_source_errors_total{source_kind="kubernetes",source_name="kube-api",reason="${reason}"} ${n}\n`;
  }
  return up + bundles + errors + passphraseFailures(store, "pkcs12", keystores.pkcs12) +
    passphraseFailures(store, "jks", keystores.jks);
}

/**
 * `x509_<format>_passphrase_failures_total{source_name}`, only for the sources
 * that read that keystore format: a rotated keystore whose passphrase was not
 * rotated with it shows up here.
 */
function passphraseFailures(
  store: Store,
  format: "pkcs12" | "jks",
  sources: ReadonlySet<string> | undefined,
): string {
  if (!sources || sources.size === 0) return "";
  const name = `x509_${format}_passphrase_failures_total`;
  let out =
    `# HELP ${name} ${format.toUpperCase()} keystores that no configured passphrase opens\n# TYPE ${name} counter\n`;
  for (const s of store.sources()) {
    if (!sources.has(s.id.name)) continue;
    out += `${name}{source_name="${escapeLabelValue(s.id.name)}"} ${
      s.passphraseFailures.get(format) ?? 0
    }\n`;
  }
  return out;
}
