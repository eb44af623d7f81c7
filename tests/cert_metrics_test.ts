import assert from "node:assert/strict";
import type { Bundle, Certificate } from "../src/bundle.ts";
import { CertMetrics, type CertMetricsOptions } from "../src/metrics/cert_metrics.ts";
import { sanitizeLabelName } from "../src/label_names.ts";
import { LabelSchema, type LabelSchemaOptions, trimPath } from "../src/metrics/labels.ts";
import { renderSourceMetrics } from "../src/metrics/source_metrics.ts";
import { Store } from "../src/store.ts";
import { promtoolCheckMetrics } from "./testing/promtool.ts";

const NOW = 1_800_000_000;
const cert = (over: Partial<Certificate> = {}): Certificate => ({
  fingerprint: "aa".repeat(32),
  serial: "1234",
  notBefore: NOW - 1000,
  notAfter: NOW + 5000,
  subject: { CN: "web", O: "Acme" },
  issuer: { CN: "ca", C: "FR" },
  ...over,
});
const FILE = { kind: "file", name: "pki" };

function render(
  bundles: Bundle[],
  metrics: CertMetricsOptions = {},
  labels: LabelSchemaOptions = {},
) {
  const store = new Store();
  for (const b of bundles) store.put(FILE, b);
  return new CertMetrics(new LabelSchema(labels), metrics).render(store, NOW);
}

const lines = (text: string, name: string) =>
  text.split("\n").filter((l) => l.startsWith(name + "{"));

Deno.test("CertMetrics renders the golden body for a fixed store", async () => {
  const store = new Store();
  store.register({ kind: "kubeconfig", name: "kc" });
  store.put(FILE, {
    ref: "/etc/pki/a.pem",
    location: { filepath: "/etc/pki/a.pem" },
    items: [
      { kind: "cert", index: 0, cert: cert() },
      {
        kind: "cert",
        index: 1,
        cert: cert({ serial: "7", notAfter: NOW - 10, subject: { CN: 'quo"te\\back\nline' } }),
      },
      { kind: "error", index: 2, reason: "bad_pem", message: "Invalid base64" },
    ],
  });
  store.put({ kind: "kubeconfig", name: "kc" }, {
    ref: "/etc/kubernetes/admin.conf#user/admin",
    location: {
      filepath: "/etc/kubernetes/admin.conf",
      embeddedKind: "user",
      embeddedKey: "admin",
    },
    items: [{
      kind: "cert",
      index: 0,
      cert: cert({ serial: "99", subject: { CN: "kubernetes-admin", O: "system:masters" } }),
    }],
  });
  store.setUp(FILE, true);
  const body = new CertMetrics(
    new LabelSchema({ trimPathComponents: 1, issuerFields: ["CN"], subjectFields: ["CN", "O"] }),
    {
      exposeRelative: true,
      exposePerCertError: true,
      exposeNotBefore: true,
    },
  ).render(store, NOW) + renderSourceMetrics(store);
  const goldenUrl = new URL("./testdata/golden/cert_metrics.txt", import.meta.url);
  if (Deno.env.get("UPDATE_GOLDEN")) await Deno.writeTextFile(goldenUrl, body);
  assert.equal(body, await Deno.readTextFile(goldenUrl));
  assert.equal(await promtoolCheckMetrics(body), "");
});

Deno.test("CertMetrics gates families as upstream does", () => {
  const b = {
    ref: "a",
    location: { filepath: "/a" },
    items: [{ kind: "cert" as const, index: 0, cert: cert() }],
  };
  const plain = render([b]);
  assert.equal(lines(plain, "x509_cert_not_after").length, 1);
  assert.equal(lines(plain, "x509_cert_expired").length, 1);
  for (
    const gated of [
      "x509_cert_not_before",
      "x509_cert_expires_in_seconds",
      "x509_cert_valid_since_seconds",
      "x509_cert_error",
    ]
  ) {
    assert.equal(plain.includes(gated), false, gated);
  }
  const noExpired = render([b], { exposeExpired: false });
  assert.equal(noExpired.includes("x509_cert_expired"), false);
});

Deno.test("CertMetrics computes expired and relative values against now", () => {
  const items = [
    { kind: "cert" as const, index: 0, cert: cert({ serial: "1", notAfter: NOW + 60 }) },
    {
      kind: "cert" as const,
      index: 1,
      cert: cert({ serial: "2", notAfter: NOW - 60, notBefore: NOW - 600 }),
    },
  ];
  const body = render([{ ref: "a", location: { filepath: "/a" }, items }], {
    exposeRelative: true,
  });
  assert.deepEqual(lines(body, "x509_cert_expired").map((l) => l.split(" ").pop()), ["0", "1"]);
  assert.deepEqual(lines(body, "x509_cert_expires_in_seconds").map((l) => l.split(" ").pop()), [
    "60",
    "-60",
  ]);
  assert.deepEqual(lines(body, "x509_cert_valid_since_seconds").map((l) => l.split(" ").pop()), [
    "1000",
    "600",
  ]);
});

const twin = (): Bundle[] => [{
  ref: "/dup.pem",
  location: { filepath: "/dup.pem" },
  items: [
    { kind: "cert", index: 0, cert: cert() },
    { kind: "cert", index: 1, cert: cert() }, // the same certificate twice in one bundle
    { kind: "cert", index: 2, cert: cert({ serial: "other" }) },
  ],
}];

Deno.test("collisionDiscriminator auto labels only the colliding series, with distinct values", () => {
  const got = lines(render(twin(), { discriminatorLength: 10 }), "x509_cert_not_after");
  const discs = got.map((l) => /discriminator="([0-9a-f]*)"/.exec(l)?.[1]);
  assert.equal(discs[0]?.length, 10);
  assert.notEqual(discs[0], discs[1]);
  assert.equal(discs[2], undefined);
  assert.equal(new Set(got.map((l) => l.split("} ")[0])).size, 3);
});

Deno.test("collisionDiscriminator always labels every series and never drops the duplicates", () => {
  const always = lines(render(twin(), { collision: "always" }), "x509_cert_not_after");
  assert.equal(always.filter((l) => l.includes("discriminator=")).length, 3);
  const never = lines(render(twin(), { collision: "never" }), "x509_cert_not_after");
  assert.equal(never.length, 2);
  assert.equal(never.some((l) => l.includes("discriminator=")), false);
});

Deno.test("the same file watched by two sources never breaks the scrape", async () => {
  const store = new Store();
  const b = twin()[0]!;
  store.put({ kind: "file", name: "one" }, { ...b, items: [b.items[0]!] });
  store.put({ kind: "file", name: "two" }, { ...b, items: [b.items[0]!] });
  const body = new CertMetrics(new LabelSchema()).render(store, NOW);
  assert.equal(new Set(lines(body, "x509_cert_not_after").map((l) => l.split("} ")[0])).size, 2);
  assert.equal(await promtoolCheckMetrics(body), "");
});

Deno.test("label helpers follow upstream: trimPath, sanitizeLabelName", () => {
  assert.equal(trimPath("/etc/kubernetes/pki/ca.crt", 2), "/pki/ca.crt");
  assert.equal(trimPath("/etc/ca.crt", 5), "");
  assert.equal(trimPath("rel/a/b", 1), "a/b");
  assert.equal(sanitizeLabelName("app.kubernetes.io/name"), "app_kubernetes_io_name");
  assert.equal(sanitizeLabelName("1team"), "_1team");
});

Deno.test("exposed object labels become columns on every series, empty where absent", () => {
  const body = render(
    [
      {
        ref: "s",
        location: {
          secretNamespace: "ns",
          secretName: "tls",
          secretKey: "tls.crt",
          extraLabels: { secret_label_team: "sre" },
        },
        items: [{ kind: "cert", index: 0, cert: cert() }],
      },
      {
        ref: "f",
        location: { filepath: "/f" },
        items: [{ kind: "cert", index: 0, cert: cert({ serial: "2" }) }],
      },
    ],
    {},
    { extraLabelNames: ["secret_label_team"] },
  );
  const got = lines(body, "x509_cert_not_after");
  assert.ok(got[0]?.includes('secret_label_team="sre"'));
  assert.ok(got[1]?.includes('secret_label_team=""'));
});

Deno.test("the render cache follows bundle replacement", () => {
  const store = new Store();
  const metrics = new CertMetrics(new LabelSchema());
  store.put(FILE, {
    ref: "a",
    location: { filepath: "/a" },
    items: [{ kind: "cert", index: 0, cert: cert({ serial: "1" }) }],
  });
  assert.ok(metrics.render(store, NOW).includes('serial_number="1"'));
  store.put(FILE, {
    ref: "a",
    location: { filepath: "/a" },
    items: [{ kind: "cert", index: 0, cert: cert({ serial: "2" }) }],
  });
  const body = metrics.render(store, NOW);
  assert.ok(body.includes('serial_number="2"') && !body.includes('serial_number="1"'));
});

Deno.test("CertMetrics writes non-ASCII subjects and paths as UTF-8", () => {
  const bytes = new CertMetrics(new LabelSchema()).renderBytes(
    (() => {
      const store = new Store();
      store.put(FILE, {
        ref: "/etc/pki/zürich.pem",
        location: { filepath: "/etc/pki/zürich.pem" },
        items: [{
          kind: "cert",
          index: 0,
          cert: cert({ subject: { CN: "Société Générale 日本 🙂", O: "Ünïcode" } }),
        }],
      });
      return store;
    })(),
    NOW,
  );
  const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  const line = lines(text, "x509_cert_not_after")[0]!;
  assert.match(line, /subject_CN="Société Générale 日本 🙂"/);
  assert.match(line, /subject_O="Ünïcode"/);
  assert.match(line, /filepath="\/etc\/pki\/zürich\.pem"/);
});

Deno.test("CertMetrics.renderBody() caches each encoding until the store changes, both saying the same", async () => {
  const store = new Store();
  const bundle = (ref: string, serial: string): Bundle => ({
    ref,
    location: { filepath: ref },
    items: [{ kind: "cert", index: 0, cert: cert({ serial }) }],
  });
  store.put(FILE, bundle("/a.pem", "1"));
  const metrics = new CertMetrics(new LabelSchema());
  const gz1 = await metrics.renderBody(store, NOW, true);
  const gz2 = await metrics.renderBody(store, NOW + 1, true);
  assert.ok(gz1.deflated && gz1.deflated === gz2.deflated, "the deflate is reused");
  const plain = await metrics.renderBody(store, NOW + 2, false);
  assert.ok(plain.plain);
  const inflated = await new Response(
    ReadableStream.from<BufferSource>([gz1.deflated.deflate])
      .pipeThrough(new DecompressionStream("deflate-raw")),
  ).bytes();
  const text = await new Blob(await Array.fromAsync(plain.plain)).bytes();
  assert.deepEqual(inflated, text, "gzip and plain bodies hold the same text");
  assert.equal(new TextDecoder().decode(text), metrics.render(store, NOW));

  store.put(FILE, bundle("/b.pem", "2"));
  const gz3 = await metrics.renderBody(store, NOW + 3, true);
  assert.notEqual(gz3.deflated, gz1.deflated, "a changed store is rendered again");
  assert.equal(gz3.deflated!.length, metrics.renderBytes(store, NOW).length);

  // Concurrent scrapes of a changed store share one render.
  store.put(FILE, bundle("/c.pem", "3"));
  const [x, y] = await Promise.all([
    metrics.renderBody(store, NOW + 4, true),
    metrics.renderBody(store, NOW + 4, true),
  ]);
  assert.equal(x.deflated, y.deflated);
});

Deno.test("CertMetrics sends a long text in chunks, each when asked, equal to the one-go render", async () => {
  const store = new Store();
  for (let i = 0; i < 2000; i++) {
    store.put(FILE, {
      ref: `/pki/${i}.pem`,
      location: { filepath: `/pki/${i}.pem` },
      items: [{ kind: "cert", index: 0, cert: cert({ serial: String(i) }) }],
    });
  }
  const metrics = new CertMetrics(new LabelSchema());
  const body = await metrics.renderBody(store, NOW, false);
  const chunks = await Array.fromAsync(body.plain!);
  assert.ok(chunks.length > 1, `${chunks.length} chunk(s)`);
  // Inflated from the cache in pieces sized to make ~64 KiB each.
  const largest = Math.max(...chunks.map((c) => c.length));
  assert.ok(largest <= 256 * 1024, `largest chunk ${largest} bytes`);
  const text = await new Blob(chunks).bytes();
  assert.deepEqual(text, metrics.renderBytes(store, NOW));
  assert.equal(body.length, text.length);

  // A client that hangs up after one chunk stops the inflate; the next scrape gets it all.
  const early = await metrics.renderBody(store, NOW, false);
  for await (const _ of early.plain as AsyncIterable<Uint8Array>) break;
  const again = await metrics.renderBody(store, NOW, false);
  assert.deepEqual(await new Blob(await Array.fromAsync(again.plain!)).bytes(), text);

  // Relative families move every second: their text is written anew, never deflated first.
  const relative = new CertMetrics(new LabelSchema(), { exposeRelative: true });
  const direct = await relative.renderBody(store, NOW, false);
  assert.equal(direct.length, undefined);
  const written = [...(direct.plain as Iterable<Uint8Array<ArrayBuffer>>)];
  assert.ok(written.every((c) => c.length <= 64 * 1024));
  assert.deepEqual(await new Blob(written).bytes(), relative.renderBytes(store, NOW));
});

Deno.test("CertMetrics observing the store lets its last render go once a bundle changes", async () => {
  const store = new Store();
  const metrics = new CertMetrics(new LabelSchema());
  const stop = store.observe(metrics);
  store.put(FILE, {
    ref: "/a.pem",
    location: { filepath: "/a.pem" },
    items: [{ kind: "cert", index: 0, cert: cert({ serial: "1" }) }],
  });
  await metrics.renderBody(store, NOW, true);
  assert.equal(metrics.holdsRender, true);
  store.retain(FILE, new Set(["/a.pem"]));
  assert.equal(metrics.holdsRender, true, "a poll that removed nothing keeps it");
  store.delete(FILE, "/a.pem");
  assert.equal(metrics.holdsRender, false, "the deleted bundle's rows are not held until a scrape");
  stop();
  await metrics.renderBody(store, NOW, true);
  store.put(FILE, {
    ref: "/b.pem",
    location: { filepath: "/b.pem" },
    items: [{ kind: "cert", index: 0, cert: cert({ serial: "2" }) }],
  });
  assert.equal(metrics.holdsRender, true, "no longer observing");
});

Deno.test("Store.version moves only when the bundles held change, and a render at it is reused", async () => {
  const store = new Store();
  const bundle = (ref: string): Bundle => ({
    ref,
    location: { filepath: ref },
    items: [{ kind: "cert", index: 0, cert: cert({ serial: ref.length.toString() }) }],
  });
  const v0 = store.version;
  store.put(FILE, bundle("/a.pem"));
  assert.ok(store.version > v0, "a put changes it");
  const v1 = store.version;
  store.retain(FILE, new Set(["/a.pem"]));
  store.delete(FILE, "/missing.pem");
  assert.equal(store.version, v1, "a poll that kept everything, a delete of nothing: unchanged");
  const metrics = new CertMetrics(new LabelSchema());
  const first = await metrics.renderBody(store, NOW, true);
  assert.equal((await metrics.renderBody(store, NOW + 1, true)).deflated, first.deflated);
  store.delete(FILE, "/a.pem");
  assert.ok(store.version > v1);
  const empty = await metrics.renderBody(store, NOW + 2, true);
  assert.notEqual(empty.deflated, first.deflated, "rendered again after the change");
  assert.equal(empty.deflated!.length, 0);
});

Deno.test("LabelSchema writes a certificate's part byte for byte as its text, whatever the Name", () => {
  const names = [
    {},
    { CN: "only" },
    { C: "FR", ST: "IDF", L: "Paris", O: "Acme", OU: "Ops", CN: "all" },
    { O: 'quote " and \\ back', CN: "line\nbreak" },
    { OU: "Société Générale 日本 🙂", CN: "ünï" },
  ];
  const schemas = [
    new LabelSchema(),
    new LabelSchema({ subjectFields: ["CN"], issuerFields: ["O", "CN"] }),
    new LabelSchema({ subjectFields: [], issuerFields: [] }),
  ];
  for (const schema of schemas) {
    for (const subject of names) {
      for (const issuer of names) {
        const c = cert({ serial: "-98765432109876543210", subject, issuer });
        const text = schema.certLabels(c);
        const length = new TextEncoder().encode(text).length;
        assert.equal(schema.certLabelsLength(c), length, text);
        // Equal parts hash equal, whichever objects hold them.
        const twin = cert({ serial: c.serial, subject: { ...subject }, issuer: { ...issuer } });
        assert.equal(schema.hashCert(twin, 7), schema.hashCert(c, 7));
        const buf = new Uint8Array(length + 8);
        const end = schema.writeCertLabels(buf, 3, c);
        assert.equal(end - 3, length, text);
        assert.equal(new TextDecoder().decode(buf.subarray(3, end)), text);
      }
    }
  }
});

Deno.test("LabelSchema writes a bundle's location head byte for byte as its text, every column in order", () => {
  const schema = new LabelSchema({ trimPathComponents: 1 });
  const names = schema.names();
  const locations = [
    {},
    { filepath: "/etc/pki/zürich.pem" },
    { filepath: '/q"uote\\d/a.pem', embeddedKind: "user", embeddedKey: "admin" },
    { secretNamespace: "prod", secretName: "tls", secretKey: "tls.crt" },
    { probeTarget: "example.org:443", probeServerName: "日本.example" },
  ];
  for (const location of locations) {
    const head = schema.locationHead({ ref: "x", location, items: [] });
    const text = head.text();
    assert.equal(head.bytes(), new TextEncoder().encode(text).length);
    const buf = new Uint8Array(new TextEncoder().encode(text).length + 4);
    const end = head.write(buf, 2);
    assert.equal(new TextDecoder().decode(buf.subarray(2, end)), text);
    // `{` then every location column, in schema order, each once, empty where it does not apply.
    const columns = [...text.slice(1).matchAll(/([a-z_]+)="(?:[^"\\]|\\.)*",/g)].map((m) => m[1]);
    assert.deepEqual(columns, names.slice(0, columns.length));
    assert.equal(columns.length, names.indexOf("serial_number"));
  }
});
