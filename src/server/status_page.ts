import type { Facts } from "../facts.ts";
import type { Store } from "../store.ts";
import { renderProbeTable } from "./_probe_status.ts";
import { STATUS_CSS, STATUS_JS } from "./_status_assets.ts";
import {
  CRITICAL_DAYS,
  displayName,
  HISTOGRAM_WEEKS,
  type StatusModel,
  statusModel,
  WARNING_DAYS,
} from "./_status_model.ts";
import { weeklyHistogram } from "./_status_svg.ts";

export interface StatusInfo {
  readonly version: string;
  readonly revision: string;
  readonly denoVersion: string;
  readonly configOrigin: string;
  readonly startedAt: number;
  readonly lastScrapeSeconds: number;
  /** Chains and the parse cache, when the exporter runs with certificate facts. */
  readonly facts?: Facts;
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function days(seconds: number): string {
  return (seconds / 86400).toFixed(1);
}

function summary(m: StatusModel): string {
  const card = (cls: string, n: number, label: string, state = "") =>
    `<a class="card ${cls}" href="?state=${state}#certificates"><b>${n}</b>${label}</a>`;
  return `<div class="cards">
${card("expired", m.counts.expired, "expired", "expired")}
${card("critical", m.counts.critical, `&lt; ${CRITICAL_DAYS} days`, "critical")}
${card("warning", m.counts.warning, `&lt; ${WARNING_DAYS} days`, "warning")}
${card("ok", m.counts.ok, "fine", "ok")}
<a class="card err" href="#errors"><b>${m.errors.length}</b>errors</a>
${m.chains ? `<div class="card err"><b>${m.notVerified}</b>chains not verified</div>` : ""}
</div>`;
}

function certTable(m: StatusModel): string {
  const sourceNames = [...new Set(m.certs.map((c) => c.source))].sort();
  const options = sourceNames.map((s) => `<option value="${esc(s)}">${esc(s)}</option>`).join("");
  const rows = m.certs.map((c) => {
    const sans = c.cert.sans?.length ? esc(c.cert.sans.join(", ")) : "";
    const chain = c.chain ? `<td class="${c.chain.cls} wrap">${esc(c.chain.text)}</td>` : "";
    return `<tr data-source="${esc(c.source)}" data-state="${c.state}"><td class="st-${c.state}">${
      days(c.left)
    }</td><td>${
      new Date(c.cert.notAfter * 1000).toISOString().slice(0, 16).replace("T", " ")
    }</td>` +
      `<td class="wrap"><b>${
        esc(displayName(c.cert.subject))
      }</b></td><td class="wrap sans">${sans}</td>` +
      `<td class="wrap">${esc(displayName(c.cert.issuer))}</td><td>${esc(c.source)}</td>` +
      `<td class="wrap">${esc(c.where)}</td>${chain}</tr>`;
  }).join("\n");
  return `<h2 id="certificates">Certificates (<span id="shown">${m.certs.length}</span> of ${m.certs.length})</h2>
<div class="filters">
<input id="q" type="search" placeholder="Search name, SAN, issuer, location" aria-label="Search">
<select id="src" aria-label="Source"><option value="">all sources</option>${options}</select>
<select id="st" aria-label="State"><option value="">any state</option><option value="soon">expired or expiring</option>` +
    `<option value="expired">expired</option><option value="critical">&lt; ${CRITICAL_DAYS} days</option>` +
    `<option value="warning">&lt; ${WARNING_DAYS} days</option><option value="ok">fine</option></select>
</div>
<table id="certs" class="certs"><thead><tr><th>days left</th><th>not after (UTC)</th><th>subject</th><th>SANs</th><th>issuer</th><th>source</th><th>location</th>${
      m.chains ? "<th>chain</th>" : ""
    }</tr></thead><tbody>
${rows}</tbody></table>`;
}

function errorTable(m: StatusModel): string {
  if (m.errors.length === 0) return `<h2 id="errors">Errors</h2><p class="ok">None.</p>`;
  const rows = m.errors.map((e) =>
    `<tr><td>${esc(e.source)}</td><td class="wrap">${esc(e.where)}</td><td class="bad">${
      esc(e.reason)
    }</td><td class="wrap">${esc(e.message)}</td></tr>`
  ).join("\n");
  return `<h2 id="errors">Errors (${m.errors.length})</h2>
<div class="scroll"><table><tr><th>source</th><th>path or object</th><th>reason</th><th>message</th></tr>
${rows}</table></div>`;
}

function sourceTable(m: StatusModel): string {
  const rows = m.sources.map((s) => {
    const state = s.up === undefined
      ? `<td class="${s.errorsTotal ? "bad" : "ok"}">${s.errorsTotal ? "failing" : "ok"}</td>`
      : `<td class="${s.up ? "ok" : "bad"}">${s.up ? "up" : "down"}</td>`;
    const synced = s.synced === undefined ? "" : s.synced ? "yes" : "no";
    return `<tr><td>${esc(s.kind)}</td><td>${
      esc(s.name)
    }</td>${state}<td>${synced}</td><td>${s.bundles}</td><td>${s.certs}</td><td>${s.errorItems}</td><td class="${
      s.errorsTotal ? "bad" : ""
    }">${s.errorsTotal}</td><td class="wrap">${esc(s.breakdown)}${
      s.lastError ? `<br><span class="muted">last: ${esc(s.lastError)}</span>` : ""
    }</td></tr>`;
  }).join("\n");
  return `<h2>Sources</h2>
<div class="scroll"><table><tr><th>kind</th><th>name</th><th>state</th><th>synced</th><th>bundles</th><th>certificates</th><th>error items</th><th>errors (total)</th><th>errors by reason, last error</th></tr>
${rows}</table></div>`;
}

/** The HTML status page at `/`: what an operator checks first when an alert fires. */
export function renderStatusPage(store: Store, info: StatusInfo, now = Date.now()): string {
  const m = statusModel(store, info.facts, now);
  const mem = Deno.memoryUsage();
  const chains = info.facts?.chains;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>x509-certificate-exporter</title>
<style>${STATUS_CSS}</style>
</head><body>
<h1>x509-certificate-exporter</h1>
<p><a href="/metrics">/metrics</a> · <a href="/healthz">/healthz</a> · <a href="/readyz">/readyz</a></p>
<h2>Summary</h2>
${summary(m)}
<p class="muted">Certificates expiring in each of the next ${HISTOGRAM_WEEKS} weeks (red: under ${CRITICAL_DAYS} days, amber: under ${WARNING_DAYS}).</p>
${weeklyHistogram(m.weeks)}
${certTable(m)}
${errorTable(m)}
${sourceTable(m)}
${renderProbeTable(store)}<h2>Process</h2>
<div class="scroll"><table>
<tr><th>version</th><td>${esc(info.version)} (${esc(info.revision)}), Deno ${
    esc(info.denoVersion)
  }</td></tr>
<tr><th>configuration</th><td>${esc(info.configOrigin)}</td></tr>
<tr><th>up since</th><td>${esc(new Date(info.startedAt).toISOString())}</td></tr>
<tr><th>resident memory</th><td>${(mem.rss / 1048576).toFixed(1)} MiB (heap ${
    (mem.heapUsed / 1048576).toFixed(1)
  } MiB)</td></tr>
<tr><th>last /metrics render</th><td>${(info.lastScrapeSeconds * 1000).toFixed(1)} ms</td></tr>
${chains ? `<tr><th>chain trust roots</th><td>${chains.rootCount}</td></tr>` : ""}
</table></div>
<script>${STATUS_JS}</script>
</body></html>
`;
}
