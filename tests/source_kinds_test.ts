import assert from "node:assert/strict";
import type { Location } from "../src/bundle.ts";
import { parseConfig } from "../src/config/load.ts";
import {
  createSource,
  extraLabelNames,
  keystoreSources,
  kindOf,
  locationColumns,
  resolveSource,
  SOURCE_KINDS,
  type SourceSpec,
} from "../src/sources/kinds.ts";
import { sourceDeps } from "./testing/sources.ts";

/** The resolved sources of a config file whose `sources:` list is `yaml`. */
function sources(yaml: string, head = ""): readonly SourceSpec[] {
  return parseConfig(`${head}sources:\n${yaml}`, "config.yaml", "/base").config.sources;
}

const column = (name: string) => {
  const c = locationColumns().find((c) => c.name === name);
  assert.ok(c, name);
  return c;
};

Deno.test("SOURCE_KINDS lists upstream's kinds first, in label column order", () => {
  assert.deepEqual(SOURCE_KINDS.slice(0, 4).map((k) => k.kind), [
    "file",
    "kubeconfig",
    "kubernetes",
    "cabundle",
  ]);
  assert.equal(new Set(SOURCE_KINDS.map((k) => k.kind)).size, SOURCE_KINDS.length);
});

Deno.test("locationColumns() puts every kind's columns in upstream's label order", () => {
  const names = locationColumns().map((c) => c.name);
  assert.deepEqual(names.slice(0, 13), [
    "filename",
    "filepath",
    "embedded_kind",
    "embedded_key",
    "secret_namespace",
    "secret_name",
    "secret_key",
    "configmap_namespace",
    "configmap_name",
    "configmap_key",
    "cabundle_resource_kind",
    "cabundle_resource_name",
    "cabundle_entry",
  ]);
  assert.equal(new Set(names).size, names.length, "no column is declared twice");
});

Deno.test("location columns read their value from a bundle's location", () => {
  const l: Location = {
    filepath: "/etc/kubernetes/admin.conf",
    embeddedKind: "user",
    embeddedKey: "admin",
    secretNamespace: "ns",
    secretName: "s",
    secretKey: "tls.crt",
    cabundleEntry: "webhooks[0]",
  };
  assert.equal(column("filename").value(l), "admin.conf");
  assert.equal(column("filepath").value(l), "/etc/kubernetes/admin.conf");
  assert.equal(column("embedded_kind").value(l), "user");
  assert.equal(column("secret_key").value(l), "tls.crt");
  assert.equal(column("cabundle_entry").value(l), "webhooks[0]");
  assert.equal(column("filename").value({}), undefined);
  assert.equal(column("configmap_name").value(l), undefined);
});

Deno.test("only the filepath column is a path that trimPathComponents shortens", () => {
  assert.deepEqual(locationColumns().filter((c) => c.path).map((c) => c.name), ["filepath"]);
});

Deno.test("kindOf() finds a descriptor by its kind, and nothing for an unknown kind", () => {
  assert.equal(kindOf("file")?.kind, "file");
  assert.equal(kindOf("cabundle")?.kind, "cabundle");
  assert.equal(kindOf("fiel"), undefined);
});

Deno.test("every kind reports at least one source_kind value", () => {
  for (const k of SOURCE_KINDS) assert.ok(k.reports.length > 0, k.kind);
  assert.deepEqual(kindOf("file")?.reports, ["file"]);
  assert.deepEqual(kindOf("kubeconfig")?.reports, ["kubeconfig"]);
});

Deno.test("a file source inherits its interval and change detection from cache.filePoll", () => {
  const [s] = sources(
    "  - {kind: file, name: a, paths: [certs/*.pem]}\n",
    "cache:\n  filePoll: {interval: 2m, skipUnchanged: false, watchChanges: false}\n",
  );
  assert.equal(s?.kind, "file");
  if (s?.kind !== "file") return;
  assert.equal(s.refreshInterval, 120_000);
  assert.equal(s.skipUnchanged, false);
  assert.equal(s.watchChanges, false);
  assert.deepEqual(s.paths, ["/base/certs/*.pem"]);
});

Deno.test("a source's own refreshInterval wins over the inherited one", () => {
  const [file, kubeconfig] = sources(
    "  - {kind: file, name: a, paths: [/x], refreshInterval: 5s}\n" +
      "  - {kind: kubeconfig, name: b, paths: [/y], refreshInterval: 7s}\n",
    "cache:\n  filePoll: {interval: 2m}\n",
  );
  assert.equal(file?.kind === "file" && file.refreshInterval, 5000);
  assert.equal(kubeconfig?.kind === "kubeconfig" && kubeconfig.refreshInterval, 7000);
});

Deno.test("a kubeconfig source inherits interval and skipUnchanged, but not watchChanges", () => {
  const [s] = sources(
    "  - {kind: kubeconfig, name: k, paths: [/etc/kubernetes/admin.conf]}\n",
    "cache:\n  filePoll: {interval: 45s, skipUnchanged: false}\n",
  );
  assert.equal(s?.kind, "kubeconfig");
  if (s?.kind !== "kubeconfig") return;
  assert.equal(s.refreshInterval, 45_000);
  assert.equal(s.skipUnchanged, false);
  assert.equal("watchChanges" in s, false);
});

Deno.test("resolveSource() keeps the kind beside the resolved keys", () => {
  const cache = { filePoll: { interval: 1000, skipUnchanged: true, watchChanges: true } };
  const s = resolveSource(
    { kind: "file", name: "a", paths: ["/x"] } as { kind: string; name: string },
    {
      cache,
    },
  );
  assert.equal(s.kind, "file");
  assert.equal(s.kind === "file" && s.refreshInterval, 1000);
});

Deno.test("kubernetes sources keep their own refreshInterval default, untouched by cache", () => {
  const [s] = sources(
    "  - {kind: kubernetes, name: k, secrets: {types: [{key: tls.crt}]}}\n",
    "cache:\n  filePoll: {interval: 1s}\n",
  );
  assert.equal(s?.kind === "kubernetes" && s.refreshInterval, 30 * 60_000);
});

Deno.test("extraLabelNames() gathers the sanitised label columns of every source, once each", () => {
  const names = extraLabelNames(sources(
    "  - kind: kubernetes\n    name: k\n" +
      "    secrets: {exposeLabels: [app, app.kubernetes.io/name], types: [{key: tls.crt}]}\n" +
      "    configMaps: {exposeLabels: [team], keyPatterns: [crt]}\n" +
      "  - kind: kubernetes\n    name: k2\n" +
      "    secrets: {exposeLabels: [app], types: [{key: tls.crt}]}\n" +
      "  - kind: cabundle\n    name: c\n    cabundles: {resources: {mutating: true}, exposeLabels: [1owner]}\n" +
      "  - {kind: file, name: f, paths: [/x]}\n",
  ));
  assert.deepEqual(names, [
    "secret_label_app",
    "secret_label_app_kubernetes_io_name",
    "configmap_label_team",
    "cabundle_label__1owner",
  ]);
});

Deno.test("extraLabelNames() is empty when no source exposes labels", () => {
  assert.deepEqual(extraLabelNames(sources("  - {kind: file, name: f, paths: [/x]}\n")), []);
});

Deno.test("keystoreSources() names the sources reading each keystore format", () => {
  const sets = keystoreSources(sources(
    "  - {kind: file, name: pem-only, paths: [/a]}\n" +
      "  - {kind: file, name: stores, paths: [/b], formats: [pem, pkcs12, jks]}\n" +
      "  - kind: kubernetes\n    name: kube\n" +
      "    secrets: {types: [{key: a, format: pem}, {key: b, format: jks}]}\n" +
      "  - kind: kubernetes\n    name: cms\n" +
      "    configMaps: {keyPatterns: [p12], format: pkcs12}\n" +
      "  - {kind: kubeconfig, name: kc, paths: [/c]}\n",
  ));
  assert.deepEqual([...sets.pkcs12].sort(), ["cms", "stores"]);
  assert.deepEqual([...sets.jks].sort(), ["kube", "stores"]);
});

Deno.test("createSource() builds a source of the spec's kind, registered with the sink", async () => {
  const deps = sourceDeps();
  const [spec] = sources("  - {kind: file, name: built, paths: [/nonexistent/*.pem]}\n");
  const source = await createSource(spec!, deps);
  assert.deepEqual(source.id, { kind: "file", name: "built" });
  assert.deepEqual([...deps.sink.sources()].map((s) => s.id), [{ kind: "file", name: "built" }]);
});

Deno.test("kind schemas refuse a source without its required keys", () => {
  assert.throws(
    () => sources("  - {kind: kubeconfig, name: k}\n"),
    /sources\[0\]\.paths: Missing required key "paths"/,
  );
  assert.throws(
    () => sources("  - {kind: kubernetes, name: k}\n"),
    /sources\[0\]\.kind: A kubernetes source must configure secrets or configMaps/,
  );
});

Deno.test("the kubernetes kind clamps listPageSize into 1..1000 instead of refusing it", () => {
  const [s] = sources(
    "  - {kind: kubernetes, name: k, listPageSize: 5000, secrets: {types: [{key: a}]}}\n",
  );
  assert.equal(s?.kind === "kubernetes" && s.listPageSize, 1000);
});

Deno.test("the kubernetes kind accepts upstream's workers key with a warning", () => {
  const { warnings } = parseConfig(
    "sources:\n  - {kind: kubernetes, name: k, workers: 4, secrets: {types: [{key: a}]}}\n",
    "config.yaml",
  );
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /sources\[0\]\.workers: accepted but ignored/);
});
