/**
 * The series an upstream v4 user's PromQL, alerts and dashboards read: the same reasons,
 * counted as often, under the same `source_kind` values, and the collision counters.
 */
import assert from "node:assert/strict";
import type { Certificate } from "../src/bundle.ts";
import { sourceSpec } from "../src/config/load.ts";
import { Logger } from "../src/log.ts";
import { CertMetrics } from "../src/metrics/cert_metrics.ts";
import { Exposition } from "../src/metrics/exposition.ts";
import { LabelSchema } from "../src/metrics/labels.ts";
import { SelfMetrics } from "../src/metrics/self_metrics.ts";
import { renderSourceMetrics } from "../src/metrics/source_metrics.ts";
import { FileSource } from "../src/sources/file.ts";
import { reportedKinds } from "../src/sources/kinds.ts";
import { KubeconfigSource } from "../src/sources/kubeconfig.ts";
import { Store } from "../src/store.ts";
import { makeCert } from "./testing/certs.ts";
import { summary } from "./testing/items.ts";
import { sourceDeps } from "./testing/sources.ts";

const BUILD = { version: "0.1.0", revision: "r", built: "unknown", denoVersion: "2.9.6" };
const NOW = 1_800_000_000;
const FILE = { kind: "file", name: "pki" };

function cert(serial: string, notAfter = NOW + 86_400): Certificate {
  return {
    fingerprint: serial.padStart(64, "0"),
    serial,
    notBefore: NOW - 86_400,
    notAfter,
    subject: { CN: "same" },
    issuer: { CN: "ca" },
  };
}

function exposition(store: Store, collision: "auto" | "always" | "never" = "auto") {
  const certs = new CertMetrics(new LabelSchema(), { collision, exposePerCertError: true });
  return new Exposition(store, certs, new SelfMetrics(BUILD), {
    now: () => NOW * 1000,
    collisionKinds: reportedKinds(),
  });
}

async function text(e: Exposition): Promise<string> {
  const body = await e.render(false);
  return new TextDecoder().decode(await new Blob(await Array.fromAsync(body.chunks)).bytes());
}

function value(body: string, series: string): number | undefined {
  const line = body.split("\n").find((l) => l.startsWith(series + " "));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

function capture(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: new Logger({ write: (l) => lines.push(l) }), lines };
}

Deno.test("x509_cert_error is 1 only for an entry that failed beside others, not for a whole input", async () => {
  const store = new Store();
  store.register(FILE);
  store.put(FILE, {
    ref: "/a.pem",
    location: { filepath: "/a.pem" },
    items: [
      { kind: "cert", index: 0, cert: cert("1") },
      { kind: "error", index: 1, reason: "bad_pem", message: "Invalid base64" },
    ],
  });
  store.put(FILE, {
    ref: "/gone.pem",
    location: { filepath: "/gone.pem" },
    items: [{ kind: "error", index: 0, reason: "not_found", message: "gone", whole: true }],
  });
  const body = await text(exposition(store));
  const errors = body.split("\n").filter((l) => l.startsWith("x509_cert_error{"));
  assert.equal(errors.length, 2, errors.join("\n"));
  assert.ok(errors.some((l) => l.includes('serial_number="1"') && l.endsWith(" 0")));
  assert.ok(errors.some((l) => l.includes('filename="a.pem",') && l.endsWith(" 1")));
  assert.ok(
    !body.includes('x509_cert_error{filename="gone.pem"'),
    "a missing file is a source error",
  );
  assert.equal(
    value(
      body,
      'x509_source_errors_total{source_kind="file",source_name="pki",reason="not_found"}',
    ),
    1,
  );
});

Deno.test("collision counters exist at 0 for every kind and count at every scrape while it lasts", async () => {
  const store = new Store();
  store.register(FILE);
  const e = exposition(store);
  const first = await text(e);
  for (const kind of ["file", "kubeconfig", "kube-secret", "kube-configmap", "kube-cabundle"]) {
    assert.equal(value(first, `x509_cert_collision_total{source_kind="${kind}"}`), 0, kind);
    assert.equal(value(first, `x509_cert_collision_dropped_total{source_kind="${kind}"}`), 0, kind);
  }
  // The same certificate twice in one bundle: one label set for two series.
  store.put(FILE, {
    ref: "/dup.pem",
    location: { filepath: "/dup.pem" },
    items: [{ kind: "cert", index: 0, cert: cert("7") }, {
      kind: "cert",
      index: 1,
      cert: cert("7"),
    }],
  });
  await text(e);
  const third = await text(e);
  assert.equal(value(third, 'x509_cert_collision_total{source_kind="file"}'), 2, "one per scrape");
  assert.equal(value(third, 'x509_cert_collision_dropped_total{source_kind="file"}'), 0);
  assert.equal(third.match(/^x509_cert_not_after\{.*discriminator="/gm)?.length, 2);
});

Deno.test("under never, the series expiring first is kept and the drop is counted", async () => {
  const store = new Store();
  store.register(FILE);
  const late = { ...cert("7", NOW + 9_000), fingerprint: "b".repeat(64) };
  const soon = { ...cert("7", NOW + 1_000), fingerprint: "a".repeat(64) };
  store.put(FILE, {
    ref: "/dup.pem",
    location: { filepath: "/dup.pem" },
    items: [{ kind: "cert", index: 0, cert: late }, { kind: "cert", index: 1, cert: soon }],
  });
  const body = await text(exposition(store, "never"));
  const kept = body.split("\n").filter((l) => l.startsWith("x509_cert_not_after{"));
  assert.equal(kept.length, 1);
  assert.ok(kept[0]!.endsWith(` ${NOW + 1_000}`), kept[0]);
  assert.equal(value(body, 'x509_cert_collision_dropped_total{source_kind="file"}'), 1);
  assert.equal(value(body, 'x509_cert_collision_total{source_kind="file"}'), 1);
});

Deno.test("a kubernetes source counts under kube-secret / kube-configmap, API failures under kube-api", () => {
  const store = new Store();
  const id = { kind: "kubernetes", name: "cluster" };
  store.register(id, ["kube-secret", "kube-configmap"]);
  store.declareStreams(id, ["secrets"], ["list_failed"]);
  store.put(id, {
    ref: "configmap/ns/ca/ca.crt",
    kind: "kube-configmap",
    location: { configmapNamespace: "ns", configmapName: "ca", configmapKey: "ca.crt" },
    items: [{ kind: "error", index: 0, reason: "bad_pem", message: "x" }],
  });
  store.setUp(id, true);
  store.countApiError("http_503");
  const body = renderSourceMetrics(store);
  assert.equal(value(body, 'x509_source_up{source_kind="kubernetes",source_name="cluster"}'), 1);
  assert.equal(
    value(body, 'x509_source_bundles{source_kind="kube-configmap",source_name="cluster"}'),
    1,
  );
  assert.equal(
    value(body, 'x509_source_bundles{source_kind="kube-secret",source_name="cluster"}'),
    0,
  );
  assert.equal(
    value(
      body,
      'x509_source_errors_total{source_kind="kube-configmap",source_name="cluster",reason="bad_pem"}',
    ),
    1,
  );
  const api = 'x509_source_errors_total{source_kind="kubernetes",source_name="kube-api",reason=';
  assert.equal(value(body, `${api}"http_503"}`), 1, "the real status code");
  for (const r of ["rate_limited", "http_401", "http_403"]) {
    assert.equal(value(body, `${api}"${r}"}`), 0);
  }
  assert.ok(!body.includes('reason="http_5xx"'));
});

Deno.test("a glob whose root is missing is not_found at every poll and the source down; then it recovers", async () => {
  const root = await Deno.makeTempDir({ prefix: "x509-compat-root-" });
  try {
    const store = new Store();
    const spec = { ...sourceSpec({ kind: "file", name: "pki", paths: [`${root}/pki/*.crt`] }) };
    const src = new FileSource({ ...sourceDeps(store), spec: { ...spec, watchChanges: false } });
    const state = () => store.sources().next().value!;
    await src.sync();
    await src.sync();
    assert.equal(state().up, false);
    assert.equal(state().errors.get("not_found"), 2, "counted at every poll");
    await Deno.mkdir(`${root}/pki`);
    await Deno.writeTextFile(`${root}/pki/a.crt`, (await makeCert({ serial: "0a" })).pem);
    await src.sync();
    assert.equal(state().up, true);
    assert.deepEqual([...state().bundles.values()].map((b) => b.items.map(summary)), [["10"]]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a glob that matches nothing is logged once, and again each time it goes back to nothing", async () => {
  const root = await Deno.makeTempDir({ prefix: "x509-compat-empty-" });
  try {
    const { logger, lines } = capture();
    const spec = sourceSpec({ kind: "file", name: "pki", paths: [`${root}/*.crt`] });
    const src = new FileSource({ ...sourceDeps(), logger, spec: { ...spec, watchChanges: false } });
    const warned = () => lines.filter((l) => l.includes("Pattern matches no file")).length;
    await src.sync();
    await src.sync();
    assert.equal(warned(), 1);
    assert.ok(lines.some((l) => l.includes(`pattern=${root}/*.crt`)));
    await Deno.writeTextFile(`${root}/a.crt`, (await makeCert()).pem);
    await src.sync();
    await Deno.remove(`${root}/a.crt`);
    await src.sync();
    assert.equal(warned(), 2);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("with change notifications, a quiet poll still counts the errors that persist", async () => {
  const root = await Deno.makeTempDir({ prefix: "x509-compat-quiet-" });
  try {
    const store = new Store();
    const spec = sourceSpec({ kind: "file", name: "pki", paths: [`${root}/missing.pem`] });
    assert.equal(spec.watchChanges, true);
    const src = new FileSource({ ...sourceDeps(store), spec });
    await src.sync();
    await src.sync(); // the watch is new: one more scan covers what it may have missed
    await src.sync(); // nothing changed: no scan, the not_found counted again
    assert.equal(src.scans, 2);
    assert.equal(store.sources().next().value!.errors.get("not_found"), 3);
    await src.run(AbortSignal.abort()); // closes the directory watch
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a kubeconfig that cannot be read is read_failed, and its errors count at every poll", async () => {
  const dir = await Deno.makeTempDir({ prefix: "x509-compat-kc-" });
  try {
    await Deno.writeTextFile(
      `${dir}/bad.conf`,
      "clusters:\n  - name: c\n    cluster:\n      certificate-authority-data: " +
        btoa("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n") + "\n",
    );
    const store = new Store();
    const spec = sourceSpec({
      kind: "kubeconfig",
      name: "kc",
      paths: [`${dir}/missing.conf`, `${dir}/bad.conf`],
    });
    const src = new KubeconfigSource({ ...sourceDeps(store), spec });
    await src.sync();
    await src.sync();
    const state = store.sources().next().value!;
    assert.equal(state.errors.get("read_failed"), 2);
    assert.equal(state.errors.get("bad_pem"), 2, "upstream reads every kubeconfig every cycle");
    assert.equal(state.errors.get("not_found"), 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an invalid certificate inside a CERTIFICATE block is bad_pem", async () => {
  const dir = await Deno.makeTempDir({ prefix: "x509-compat-pem-" });
  try {
    const good = await makeCert({ serial: "05" });
    const junk = btoa("not a certificate at all, but base64 all the same");
    await Deno.writeTextFile(
      `${dir}/a.pem`,
      `${good.pem}-----BEGIN CERTIFICATE-----\n${junk}\n-----END CERTIFICATE-----\n`,
    );
    const store = new Store();
    const spec = sourceSpec({ kind: "file", name: "pki", paths: [`${dir}/a.pem`] });
    await new FileSource({ ...sourceDeps(store), spec: { ...spec, watchChanges: false } }).sync();
    const [bundle] = store.sources().next().value!.bundles.values();
    assert.deepEqual(bundle!.items.map(summary), ["5", "bad_pem"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("two paths of one source to one file count its certificates once", async () => {
  const dir = await Deno.makeTempDir({ prefix: "x509-compat-dup-" });
  try {
    await Deno.mkdir(`${dir}/archive`);
    await Deno.writeTextFile(`${dir}/archive/ca.pem`, (await makeCert({ serial: "0c" })).pem);
    await Deno.symlink(`${dir}/archive/ca.pem`, `${dir}/bundle.pem`);
    const store = new Store();
    const { logger, lines } = capture();
    const spec = sourceSpec({
      kind: "file",
      name: "pki",
      paths: [`${dir}/bundle.pem`, `${dir}/archive/*.pem`],
    });
    const src = new FileSource({
      ...sourceDeps(store),
      logger,
      spec: { ...spec, watchChanges: false },
    });
    await src.sync();
    const bundles = [...store.sources().next().value!.bundles.keys()];
    assert.deepEqual(bundles, [`${dir}/bundle.pem`], "the first path stands for the file");
    assert.ok(lines.some((l) => l.includes("counted once") && l.includes(`${dir}/archive/ca.pem`)));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
