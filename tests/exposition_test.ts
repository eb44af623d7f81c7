import assert from "node:assert/strict";
import type { Certificate } from "../src/bundle.ts";
import { KUBE_REASONS } from "../src/errors.ts";
import { CertMetrics } from "../src/metrics/cert_metrics.ts";
import { type Body, CONTENT_TYPE, Exposition } from "../src/metrics/exposition.ts";
import { LabelSchema } from "../src/metrics/labels.ts";
import { SelfMetrics } from "../src/metrics/self_metrics.ts";
import { Store } from "../src/store.ts";
import { promtoolCheckMetrics } from "./testing/promtool.ts";

const NOW_MS = 1_800_000_000_000;
const NOW = NOW_MS / 1000;
const BUILD = {
  version: "0.1.0",
  revision: "deadbeef",
  built: "2026-12-01T11:33:43Z",
  denoVersion: "2.9.6",
};
const FILE = { kind: "file", name: "host-pki" };
const KUBE = { kind: "kubernetes", name: "cluster" };

function cert(serial: string, notAfter: number): Certificate {
  return {
    fingerprint: serial.padStart(64, "0"),
    serial,
    notBefore: NOW - 86_400,
    notAfter,
    subject: { CN: `leaf-${serial}` },
    issuer: { CN: "ca" },
  };
}

/** A store filled the way sources fill it: only through its Sink methods. */
function filledStore(): Store {
  const store = new Store();
  store.register(FILE);
  store.put(FILE, {
    ref: "/etc/pki/a.pem",
    location: { filepath: "/etc/pki/a.pem" },
    items: [
      { kind: "cert", index: 0, cert: cert("1", NOW + 3600) },
      { kind: "cert", index: 1, cert: cert("2", NOW - 60) },
      { kind: "error", index: 2, reason: "bad_pem", message: "Invalid base64" },
    ],
  });
  store.put(FILE, {
    ref: "/etc/pki/b.p12",
    location: { filepath: "/etc/pki/b.p12" },
    items: [{ kind: "error", index: 0, reason: "bad_passphrase", message: "No", format: "pkcs12" }],
  });
  store.setUp(FILE, true);
  store.markSynced(FILE);
  store.declareStreams(KUBE, ["secrets"], KUBE_REASONS);
  store.countResync(KUBE, "secrets");
  store.setScope(KUBE, "cluster");
  store.observeRequest("list", "secrets", 0.01);
  store.observeParse("pem", 0.0002);
  store.countPanic("scrape");
  return store;
}

function exposition(store: Store, exposeDiagnostics = false) {
  const self = new SelfMetrics(BUILD, { exposeDiagnostics });
  const e = new Exposition(store, new CertMetrics(new LabelSchema()), self, {
    now: () => NOW_MS,
    keystores: { pkcs12: new Set([FILE.name]) },
    exposeDiagnostics,
  });
  return { e, self };
}

async function text(body: Body): Promise<string> {
  const bytes = new Blob(await Array.fromAsync(body.chunks));
  const stream = body.encoding === "gzip"
    ? bytes.stream().pipeThrough(new DecompressionStream("gzip"))
    : bytes.stream();
  return await new Response(stream).text();
}

/** Family names in the order their TYPE lines appear. */
const familyOrder = (body: string) => [...body.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!);

Deno.test("CONTENT_TYPE is the Prometheus text format 0.0.4 in UTF-8", () => {
  assert.equal(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
});

Deno.test("Exposition renders source, process, self and kube families, then the certificates", async () => {
  const body = await text(await exposition(filledStore()).e.render(false));
  const order = familyOrder(body);
  const at = (name: string) => {
    const i = order.indexOf(name);
    assert.ok(i >= 0, `${name} is rendered`);
    return i;
  };
  assert.ok(at("x509_source_up") < at("process_cpu_seconds_total"));
  assert.ok(at("process_cpu_seconds_total") < at("x509_exporter_build_info"));
  assert.ok(at("x509_exporter_build_info") < at("x509_panic_total"));
  assert.ok(at("x509_panic_total") < at("x509_kube_watch_resyncs_total"));
  assert.ok(at("x509_kube_watch_resyncs_total") < at("x509_cert_not_after"));
  assert.deepEqual(order.slice(at("x509_cert_not_after")), [
    "x509_cert_not_after",
    "x509_cert_expired",
  ]);
});

Deno.test("Exposition renders what the sources put in the store", async () => {
  const body = await text(await exposition(filledStore()).e.render(false));
  assert.match(body, /^x509_source_up\{source_kind="file",source_name="host-pki"\} 1$/m);
  assert.match(body, /^x509_source_bundles\{source_kind="file",source_name="host-pki"\} 2$/m);
  assert.match(
    body,
    /^x509_source_errors_total\{source_kind="file",source_name="host-pki",reason="bad_pem"\} 1$/m,
  );
  assert.match(body, /^x509_pkcs12_passphrase_failures_total\{source_name="host-pki"\} 1$/m);
  assert.match(body, /^x509_panic_total\{component="scrape"\} 1$/m);
  assert.match(
    body,
    /^x509_kube_watch_resyncs_total\{source_name="cluster",resource="secrets"\} 1$/m,
  );
  assert.equal(body.split("\n").filter((l) => l.startsWith("x509_cert_not_after{")).length, 2);
});

Deno.test("Exposition computes expiry with its injected clock", async () => {
  const body = await text(await exposition(filledStore()).e.render(false));
  const expired = body.split("\n").filter((l) => l.startsWith("x509_cert_expired{"));
  assert.deepEqual(expired.map((l) => [/serial_number="(\d+)"/.exec(l)?.[1], l.at(-1)]), [
    ["1", "0"],
    ["2", "1"],
  ]);
});

Deno.test("Exposition leaves the jks passphrase family out when no source reads JKS", async () => {
  const body = await text(await exposition(filledStore()).e.render(false));
  assert.doesNotMatch(body, /x509_jks_passphrase_failures_total/);
});

Deno.test("Exposition renders the diagnostics families only when asked", async () => {
  const plain = await text(await exposition(filledStore()).e.render(false));
  for (const name of ["x509_parse_duration_seconds", "x509_kube_request_duration_seconds"]) {
    assert.doesNotMatch(plain, new RegExp(name));
  }
  const diag = await text(await exposition(filledStore(), true).e.render(false));
  assert.match(diag, /^x509_parse_duration_seconds_count\{format="pem"\} 1$/m);
  assert.match(
    diag,
    /^x509_kube_request_duration_seconds_count\{verb="list",resource="secrets"\} 1$/m,
  );
  assert.match(diag, /^x509_kube_informer_scope\{source_name="cluster",scope="cluster"\} 1$/m);
});

Deno.test("Exposition counts this scrape's own duration in the body it renders", async () => {
  const { e } = exposition(filledStore());
  assert.equal(e.lastDuration, 0);
  const first = await text(await e.render(false));
  assert.match(first, /^x509_scrape_duration_seconds_count 1$/m);
  assert.ok(e.lastDuration > 0);
  const second = await text(await e.render(false));
  assert.match(second, /^x509_scrape_duration_seconds_count 2$/m);
});

Deno.test("Exposition with gzip sends one gzip body holding the same families", async () => {
  const store = filledStore();
  const { e } = exposition(store);
  const gz = await e.render(true);
  assert.equal(gz.encoding, "gzip");
  const chunks = await Array.fromAsync(gz.chunks);
  assert.deepEqual([...chunks[0]!.subarray(0, 2)], [0x1f, 0x8b]);
  assert.equal(gz.length, chunks.reduce((n, c) => n + c.length, 0));
  const zipped = await text(gz);
  const plain = await text(await e.render(false));
  assert.equal(plain.startsWith("# HELP x509_source_up"), true);
  assert.deepEqual(familyOrder(zipped), familyOrder(plain));
  const certs = (s: string) => s.slice(s.indexOf("# HELP x509_cert_not_after"));
  assert.equal(certs(zipped), certs(plain));
});

Deno.test("Exposition without gzip sends the text as is, inflated from the cache with its length", async () => {
  const body = await exposition(filledStore()).e.render(false);
  assert.equal(body.encoding, "identity");
  const bytes = await new Blob(await Array.fromAsync(body.chunks)).bytes();
  assert.equal(body.length, bytes.length, "the cached text's length is known up front");
  assert.match(new TextDecoder().decode(bytes), /^x509_cert_not_after\{/m);
});

Deno.test("Exposition writes a render used once (relative families) as text, with no length", async () => {
  const store = filledStore();
  const certs = new CertMetrics(new LabelSchema(), { exposeRelative: true });
  const e = new Exposition(store, certs, new SelfMetrics(BUILD), { now: () => NOW_MS });
  const body = await e.render(false);
  assert.equal(body.length, undefined, "written as it is read: no length up front");
  const text = new TextDecoder().decode(await new Blob(await Array.fromAsync(body.chunks)).bytes());
  assert.match(text, /^x509_cert_expires_in_seconds\{/m);
});

Deno.test("Exposition picks up a bundle put after the previous scrape", async () => {
  const store = filledStore();
  const { e } = exposition(store);
  await e.render(true);
  store.put(FILE, {
    ref: "/etc/pki/c.pem",
    location: { filepath: "/etc/pki/c.pem" },
    items: [{ kind: "cert", index: 0, cert: cert("3", NOW + 10) }],
  });
  const body = await text(await e.render(true));
  assert.match(body, /^x509_cert_not_after\{[^}]*serial_number="3"[^}]*\} /m);
  assert.match(body, /^x509_source_bundles\{source_kind="file",source_name="host-pki"\} 3$/m);
});

Deno.test("Exposition's whole body passes promtool check metrics", async () => {
  const body = await text(await exposition(filledStore(), true).e.render(true));
  assert.equal(await promtoolCheckMetrics(body), "");
});
