import assert from "node:assert/strict";
import type { Certificate } from "../src/bundle.ts";
import { renderStatusPage, type StatusInfo } from "../src/server/status_page.ts";
import { Store } from "../src/store.ts";

const NOW = Date.UTC(2030, 0, 1);
const DAY = 86_400;
const INFO: StatusInfo = {
  version: "0.1.0",
  revision: "deadbeef",
  denoVersion: "2.9.6",
  configOrigin: "/etc/x509-certificate-exporter/config.yaml",
  startedAt: Date.UTC(2029, 11, 31),
  lastScrapeSeconds: 0.0123,
};
const FILE = { kind: "file", name: "host-pki" };
const KUBE = { kind: "kubernetes", name: "cluster" };

function cert(cn: string, daysLeft: number, over: Partial<Certificate> = {}): Certificate {
  return {
    fingerprint: cn.padEnd(64, "0"),
    serial: "1",
    notBefore: NOW / 1000 - 365 * DAY,
    notAfter: NOW / 1000 + daysLeft * DAY,
    subject: { CN: cn },
    issuer: { CN: "Test CA" },
    ...over,
  };
}

/** The `<tr>` rows of the table under heading `h2` (its header row left out). */
function rows(html: string, h2: string): string[] {
  const at = html.search(new RegExp(`<h2[^>]*>${h2}`));
  assert.ok(at >= 0, `section ${h2}`);
  const table = html.slice(at, html.indexOf("</table>", at));
  return [...table.matchAll(/<tr[^>]*>(<td.*?)<\/tr>/g)].map((m) => m[1]!);
}

const cells = (row: string) => [...row.matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((m) => m[1]);

function filledStore(): Store {
  const store = new Store();
  store.register(FILE);
  store.put(FILE, {
    ref: "/etc/pki/a.pem",
    location: { filepath: "/etc/pki/a.pem" },
    items: [
      { kind: "cert", index: 0, cert: cert("later", 100) },
      { kind: "cert", index: 1, cert: cert("soon", 3) },
      { kind: "error", index: 2, reason: "bad_pem", message: "Invalid base64" },
    ],
  });
  store.put(FILE, {
    ref: "/etc/pki/b.pem",
    location: { filepath: "/etc/pki/b.pem" },
    items: [{ kind: "cert", index: 0, cert: cert("mid", 20) }],
  });
  store.countError(FILE, "walk_error", 2);
  store.setUp(FILE, true);
  store.markSynced(FILE);
  store.register(KUBE);
  return store;
}

Deno.test("renderStatusPage() lists each source's state, bundles, certificates and errors", () => {
  const html = renderStatusPage(filledStore(), INFO, NOW);
  assert.deepEqual(rows(html, "Sources").map(cells), [
    ["file", "host-pki", "up", "yes", "2", "3", "1", "3", "bad_pem ×1, walk_error ×2"],
    ["kubernetes", "cluster", "down", "no", "0", "0", "0", "0", ""],
  ]);
  assert.match(html, /<td class="ok">up<\/td>/);
  assert.match(html, /<td class="bad">down<\/td>/);
});

Deno.test("renderStatusPage() lists every certificate soonest to expire first, with days left", () => {
  const html = renderStatusPage(filledStore(), INFO, NOW);
  assert.deepEqual(rows(html, "Certificates").map(cells), [
    ["3.0", "2030-01-04 00:00", "<b>soon</b>", "", "Test CA", "host-pki", "/etc/pki/a.pem"],
    ["20.0", "2030-01-21 00:00", "<b>mid</b>", "", "Test CA", "host-pki", "/etc/pki/b.pem"],
    ["100.0", "2030-04-11 00:00", "<b>later</b>", "", "Test CA", "host-pki", "/etc/pki/a.pem"],
  ]);
  assert.match(html, /Certificates \(<span id="shown">3<\/span> of 3\)/);
});

Deno.test("renderStatusPage() counts expired, critical, warning and fine certificates", () => {
  const html = renderStatusPage(filledStore(), INFO, NOW);
  const card = (cls: string) =>
    new RegExp(`class="card ${cls}"[^>]*><b>(\\d+)</b>`).exec(html)?.[1];
  assert.deepEqual(["expired", "critical", "warning", "ok"].map(card), ["0", "1", "1", "1"]);
  assert.match(html, /<meta name="viewport" content="width=device-width,initial-scale=1">/);
  assert.match(
    html,
    /<svg class="hist"[^>]*aria-label="2 certificate\(s\) expire in the next 12 weeks"/,
  );
});

Deno.test("renderStatusPage() lists error items with source, location, reason and message", () => {
  const html = renderStatusPage(filledStore(), INFO, NOW);
  const table = html.slice(html.indexOf('<h2 id="errors">'));
  assert.match(
    table,
    /<td>host-pki<\/td><td class="wrap">\/etc\/pki\/a\.pem<\/td><td class="bad">bad_pem<\/td><td class="wrap">Invalid base64<\/td>/,
  );
});

Deno.test("renderStatusPage() shows failed Kubernetes API answers as kube-api", () => {
  const store = filledStore();
  store.declareStreams(KUBE, ["secrets"], ["list_failed"]);
  for (let i = 0; i < 6; i++) store.countApiError("http_503");
  store.countTransportError(KUBE, "secrets", "list_failed");
  const sources = rows(renderStatusPage(store, INFO, NOW), "Sources").map(cells);
  assert.deepEqual(sources[1]!.slice(7), ["1", "secrets list_failed ×1"]);
  assert.deepEqual(sources[2]!.slice(0, 3), ["kubernetes", "kube-api", "failing"]);
  assert.deepEqual(sources[2]!.slice(7), ["6", "http_503 ×6"]);
});

Deno.test("renderStatusPage() marks expired and under-14-day certificates bad, under 28 warn", () => {
  const store = new Store();
  store.put(FILE, {
    ref: "x",
    location: {},
    items: [-1, 13.9, 14, 27.9, 28].map((d, i) => ({
      kind: "cert" as const,
      index: i,
      cert: cert(`c${d}`, d),
    })),
  });
  const classes = rows(renderStatusPage(store, INFO, NOW), "Certificates").map((r) =>
    /^<td class="st-(\w+)">(-?[\d.]+)</.exec(r)!.slice(1)
  );
  assert.deepEqual(classes, [
    ["expired", "-1.0"],
    ["critical", "13.9"],
    ["warning", "14.0"],
    ["warning", "27.9"],
    ["ok", "28.0"],
  ]);
});

Deno.test("renderStatusPage() names a holder without CN by its O and OU", () => {
  const store = new Store();
  store.put(FILE, {
    ref: "/etc/ssl/certs/ca-certificates.crt",
    location: {},
    items: [{
      kind: "cert",
      index: 0,
      cert: cert("", 10, { subject: { O: "Root Org", OU: "Trust" }, issuer: { O: "Root Org" } }),
    }],
  });
  const [row] = rows(renderStatusPage(store, INFO, NOW), "Certificates");
  assert.deepEqual(cells(row!).slice(2, 5), ["<b>Root Org / Trust</b>", "", "Root Org"]);
});

Deno.test("renderStatusPage() escapes hostile source names, locations, subjects and info", () => {
  const evil = `<script>alert("x")</script>`;
  const store = new Store();
  const id = { kind: "file", name: evil };
  store.put(id, {
    ref: `/tmp/"><img src=x onerror=alert(1)>.pem`,
    location: {},
    items: [{
      kind: "cert",
      index: 0,
      cert: cert(evil, 10, { issuer: { CN: "O'Brien & <Co>" } }),
    }],
  });
  const html = renderStatusPage(store, { ...INFO, configOrigin: evil, version: "<b>1</b>" }, NOW);
  // The page's own script is the only one.
  assert.equal(html.match(/<script>/g)?.length, 1);
  assert.doesNotMatch(html, /<script>alert/);
  assert.doesNotMatch(html, /<img/);
  assert.doesNotMatch(html, /<td><b>1<\/b>/);
  assert.match(html, /<td>&#60;b&#62;1&#60;\/b&#62; \(/);
  assert.match(html, /&#60;script&#62;alert\(&#34;x&#34;\)&#60;\/script&#62;/);
  assert.match(html, /O&#39;Brien &#38; &#60;Co&#62;/);
  assert.match(html, /\/tmp\/&#34;&#62;&#60;img src=x onerror=alert\(1\)&#62;\.pem/);
});

Deno.test("renderStatusPage() shows the version, config origin, start time and last render", () => {
  const html = renderStatusPage(new Store(), INFO, NOW);
  assert.match(html, /<td>0\.1\.0 \(deadbeef\), Deno 2\.9\.6<\/td>/);
  assert.match(html, /<td>\/etc\/x509-certificate-exporter\/config\.yaml<\/td>/);
  assert.match(html, /<td>2029-12-31T00:00:00\.000Z<\/td>/);
  assert.match(html, /<td>12\.3 ms<\/td>/);
  assert.match(html, /<td>[\d.]+ MiB \(heap [\d.]+ MiB\)<\/td>/);
  assert.match(html, /Certificates \(<span id="shown">0<\/span> of 0\)/);
});

Deno.test("renderStatusPage() leaves CRLs out of the certificate counts and list", () => {
  const store = new Store();
  store.put(FILE, {
    ref: "/etc/pki/ca.crl",
    location: {},
    items: [{ kind: "crl", index: 0, crl: { fingerprint: "f", issuer: {}, thisUpdate: 0 } }],
  });
  const html = renderStatusPage(store, INFO, NOW);
  assert.deepEqual(rows(html, "Sources").map(cells), [[
    "file",
    "host-pki",
    "down",
    "no",
    "1",
    "0",
    "0",
    "0",
    "",
  ]]);
  assert.deepEqual(rows(html, "Certificates"), []);
});
