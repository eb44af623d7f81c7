import assert from "node:assert/strict";
import { KUBE_REASONS } from "../src/errors.ts";
import { renderKubeMetrics } from "../src/metrics/kube_metrics.ts";
import { Store } from "../src/store.ts";
import { promtoolCheckMetrics } from "./testing/promtool.ts";

const KUBE = { kind: "kubernetes", name: "cluster" };
const BUNDLES = { kind: "cabundle", name: "webhooks" };

/** A store as a Kubernetes source leaves it after a few LIST+WATCH rounds. */
function filledStore(): Store {
  const store = new Store();
  store.register({ kind: "file", name: "host" });
  store.declareStreams(KUBE, ["secrets", "configmaps"], ["rate_limited", "http_401"]);
  store.countResync(KUBE, "secrets");
  store.countResync(KUBE, "secrets");
  store.countTransportError(KUBE, "configmaps", "http_401");
  store.countTransportError(KUBE, "configmaps", "watch_closed");
  store.setScope(KUBE, "namespace");
  store.observeRequest("list", "secrets", 0.02);
  store.observeRequest("watch", "secrets", 0.2);
  return store;
}

const samples = (body: string, name: string) =>
  body.split("\n").filter((l) => l.startsWith(`${name}{`));

Deno.test("renderKubeMetrics() renders nothing when no source watches a collection", () => {
  const store = new Store();
  store.register({ kind: "file", name: "host" });
  store.setScope({ kind: "file", name: "host" }, "cluster");
  assert.equal(renderKubeMetrics(store, { exposeDiagnostics: true }), "");
});

Deno.test("renderKubeMetrics() renders resyncs per source and resource, declared ones at 0", () => {
  const body = renderKubeMetrics(filledStore(), {});
  assert.deepEqual(samples(body, "x509_kube_watch_resyncs_total"), [
    'x509_kube_watch_resyncs_total{source_name="cluster",resource="secrets"} 2',
    'x509_kube_watch_resyncs_total{source_name="cluster",resource="configmaps"} 0',
  ]);
  assert.match(body, /^# TYPE x509_kube_watch_resyncs_total counter$/m);
});

Deno.test("renderKubeMetrics() pre-sets declared transport reasons to 0 and adds counted ones", () => {
  const lines = samples(renderKubeMetrics(filledStore(), {}), "x509_kube_transport_errors_total");
  const at = (resource: string, reason: string) =>
    `x509_kube_transport_errors_total{source_name="cluster",resource="${resource}",reason="${reason}"}`;
  assert.deepEqual(lines, [
    `${at("secrets", "rate_limited")} 0`,
    `${at("secrets", "http_401")} 0`,
    `${at("configmaps", "rate_limited")} 0`,
    `${at("configmaps", "http_401")} 1`,
    `${at("configmaps", "watch_closed")} 1`,
  ]);
});

Deno.test("renderKubeMetrics() leaves request latency and scope out without diagnostics", () => {
  const body = renderKubeMetrics(filledStore(), { exposeDiagnostics: false });
  assert.doesNotMatch(body, /x509_kube_request_duration_seconds/);
  assert.doesNotMatch(body, /x509_kube_informer_scope/);
});

Deno.test("renderKubeMetrics() renders request latency by verb and resource with diagnostics", () => {
  const body = renderKubeMetrics(filledStore(), { exposeDiagnostics: true });
  assert.match(body, /^# TYPE x509_kube_request_duration_seconds histogram$/m);
  assert.match(
    body,
    /^x509_kube_request_duration_seconds_count\{verb="list",resource="secrets"\} 1$/m,
  );
  assert.match(
    body,
    /^x509_kube_request_duration_seconds_bucket\{le="0\.1",verb="watch",resource="secrets"\} 0$/m,
  );
});

Deno.test("renderKubeMetrics() sets the watched scope to 1 and the other to 0", () => {
  const store = filledStore();
  store.declareStreams(BUNDLES, ["validatingwebhookconfigurations"], []);
  store.setScope(BUNDLES, "cluster");
  const body = renderKubeMetrics(store, { exposeDiagnostics: true });
  assert.deepEqual(samples(body, "x509_kube_informer_scope"), [
    'x509_kube_informer_scope{source_name="cluster",scope="namespace"} 1',
    'x509_kube_informer_scope{source_name="cluster",scope="cluster"} 0',
    'x509_kube_informer_scope{source_name="webhooks",scope="cluster"} 1',
    'x509_kube_informer_scope{source_name="webhooks",scope="namespace"} 0',
  ]);
});

Deno.test("renderKubeMetrics() escapes source names in label values", () => {
  const store = new Store();
  store.declareStreams({ kind: "kubernetes", name: 'a"b\\c' }, ["secrets"], []);
  assert.deepEqual(samples(renderKubeMetrics(store, {}), "x509_kube_watch_resyncs_total"), [
    'x509_kube_watch_resyncs_total{source_name="a\\"b\\\\c",resource="secrets"} 0',
  ]);
});

Deno.test("renderKubeMetrics() output passes promtool check metrics", async () => {
  const store = filledStore();
  store.declareStreams(BUNDLES, ["apiservices"], KUBE_REASONS);
  store.setScope(BUNDLES, "cluster");
  assert.equal(
    await promtoolCheckMetrics(renderKubeMetrics(store, { exposeDiagnostics: true })),
    "",
  );
});
