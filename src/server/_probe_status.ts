import type { Store } from "../store.ts";

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The status page's table of probed endpoints (`kind: tls`): whether the last
 * probe worked, why not, and why the served chain does not verify. Empty when
 * nothing is probed.
 */
export function renderProbeTable(store: Store): string {
  let rows = "";
  for (const s of store.sources()) {
    for (const p of s.probes.values()) {
      const result = p.success
        ? `<td class="ok">ok</td>`
        : `<td class="bad">${esc(p.reason ?? "failed")}: ${esc(p.message ?? "")}</td>`;
      const verified = p.verified === undefined
        ? "<td></td>"
        : p.verified
        ? `<td class="ok">yes</td>`
        : `<td class="bad">no: ${esc(p.verifyError ?? "")}</td>`;
      rows += `<tr><td>${esc(s.id.name)}</td><td>${esc(p.target)}</td><td>${
        esc(p.serverName)
      }</td>${result}${verified}<td>${esc(p.tlsVersion ?? "")}</td><td>${
        (p.durationSeconds * 1000).toFixed(1)
      } ms</td><td>${esc(new Date(p.at).toISOString())}</td></tr>\n`;
    }
  }
  if (rows === "") return "";
  return `<h2>Probed endpoints</h2>
<table><tr><th>source</th><th>target</th><th>server name</th><th>last probe</th><th>verified</th><th>TLS</th><th>duration</th><th>at</th></tr>
${rows}</table>
`;
}
