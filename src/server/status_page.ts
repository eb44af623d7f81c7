import type { Certificate } from "../bundle.ts";
import type { Store } from "../store.ts";
import { renderProbeTable } from "./_probe_status.ts";

export interface StatusInfo {
  readonly version: string;
  readonly revision: string;
  readonly denoVersion: string;
  readonly configOrigin: string;
  readonly startedAt: number;
  readonly lastScrapeSeconds: number;
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** CN, else what else names the holder: many roots in trust stores have no CN. */
function displayName(dn: Certificate["subject"]): string {
  return dn.CN ?? [dn.O, dn.OU].filter(Boolean).join(" / ");
}

function days(seconds: number): string {
  return (seconds / 86400).toFixed(1);
}

/** The HTML status page at `/`: what an operator checks first when an alert fires. */
export function renderStatusPage(
  store: Store,
  info: StatusInfo,
  now = Date.now(),
  limit = 25,
): string {
  const soonest: { cert: Certificate; where: string; source: string }[] = [];
  let rows = "";
  let total = 0;
  for (const s of store.sources()) {
    let certs = 0;
    let errors = 0;
    for (const b of s.bundles.values()) {
      for (const item of b.items) {
        if (item.kind === "error") {
          errors++;
          continue;
        }
        if (item.kind !== "cert") continue;
        certs++;
        soonest.push({ cert: item.cert, where: b.ref, source: s.id.name });
      }
    }
    total += certs;
    const errorTotal = [...s.errors.values()].reduce((a, b) => a + b, 0);
    rows += `<tr><td>${esc(s.id.kind)}</td><td>${esc(s.id.name)}</td><td class="${
      s.up ? "ok" : "bad"
    }">${s.up ? "up" : "down"}</td><td>${
      s.synced ? "yes" : "no"
    }</td><td>${s.bundles.size}</td><td>${certs}</td><td>${errors}</td><td>${errorTotal}</td></tr>\n`;
  }
  soonest.sort((a, b) => a.cert.notAfter - b.cert.notAfter);
  const nowS = now / 1000;
  const certRows = soonest.slice(0, limit).map(({ cert, where, source }) => {
    const left = cert.notAfter - nowS;
    const cls = left < 0 ? "bad" : left < 14 * 86400 ? "bad" : left < 28 * 86400 ? "warn" : "ok";
    return `<tr><td class="${cls}">${days(left)}</td><td>${
      esc(new Date(cert.notAfter * 1000).toISOString())
    }</td><td>${esc(displayName(cert.subject))}</td><td>${esc(displayName(cert.issuer))}</td><td>${
      esc(source)
    }</td><td>${esc(where)}</td></tr>`;
  }).join("\n");
  const mem = Deno.memoryUsage();
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>x509-certificate-exporter</title>
<style>body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin-bottom:2em}
td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}th{background:#f3f3f3}.ok{color:#1a7f37}.warn{color:#9a6700}.bad{color:#cf222e;font-weight:bold}</style>
</head><body>
<h1>x509-certificate-exporter</h1>
<p><a href="/metrics">/metrics</a> · <a href="/healthz">/healthz</a> · <a href="/readyz">/readyz</a></p>
<h2>Sources</h2>
<table><tr><th>kind</th><th>name</th><th>state</th><th>synced</th><th>bundles</th><th>certificates</th><th>error items</th><th>errors (total)</th></tr>
${rows}</table>
<h2>Expiring soonest (${Math.min(limit, soonest.length)} of ${total})</h2>
<table><tr><th>days left</th><th>not after</th><th>subject</th><th>issuer</th><th>source</th><th>location</th></tr>
${certRows}</table>
${renderProbeTable(store)}<h2>Process</h2>
<table>
<tr><th>version</th><td>${esc(info.version)} (${esc(info.revision)}), Deno ${
    esc(info.denoVersion)
  }</td></tr>
<tr><th>configuration</th><td>${esc(info.configOrigin)}</td></tr>
<tr><th>up since</th><td>${esc(new Date(info.startedAt).toISOString())}</td></tr>
<tr><th>resident memory</th><td>${(mem.rss / 1048576).toFixed(1)} MiB (heap ${
    (mem.heapUsed / 1048576).toFixed(1)
  } MiB)</td></tr>
<tr><th>last /metrics render</th><td>${(info.lastScrapeSeconds * 1000).toFixed(1)} ms</td></tr>
</table>
</body></html>
`;
}
