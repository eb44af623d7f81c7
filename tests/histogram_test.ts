import assert from "node:assert/strict";
import { Histograms } from "../src/histogram.ts";
import { renderHistogram } from "../src/metrics/_histogram.ts";
import { promtoolCheckMetrics } from "./testing/promtool.ts";

Deno.test("Histograms counts an observation in every bucket at or above it", () => {
  const h = new Histograms([0.1, 1, 10]);
  h.observe([["format", "pem"]], 0.5);
  h.observe([["format", "pem"]], 1);
  h.observe([["format", "pem"]], 0.01);
  const [s] = [...h.series()];
  assert.ok(s);
  assert.deepEqual(s.buckets, [1, 3, 3]);
  assert.equal(s.count, 3);
  assert.equal(s.sum, 1.51);
});

Deno.test("Histograms counts a value above every bound only in count and sum (the +Inf bucket)", () => {
  const h = new Histograms([1, 2]);
  h.observe([], 99);
  const [s] = [...h.series()];
  assert.deepEqual(s?.buckets, [0, 0]);
  assert.equal(s?.count, 1);
  assert.equal(s?.sum, 99);
});

Deno.test("Histograms keeps one series per label set, in first-observed order", () => {
  const h = new Histograms([1]);
  h.observe([["verb", "list"], ["resource", "secrets"]], 0.5);
  h.observe([["verb", "watch"], ["resource", "secrets"]], 2);
  h.observe([["verb", "list"], ["resource", "secrets"]], 0.5);
  assert.deepEqual([...h.series()].map((s) => [s.labels, s.count]), [
    [[["verb", "list"], ["resource", "secrets"]], 2],
    [[["verb", "watch"], ["resource", "secrets"]], 1],
  ]);
});

Deno.test("Histograms does not confuse label sets whose joined text would be equal", () => {
  const h = new Histograms([1]);
  h.observe([["a", "b,c"]], 1);
  h.observe([["a", "b"], ["c", ""]], 1);
  h.observe([["a=b", ""]], 1);
  assert.equal([...h.series()].length, 3);
});

Deno.test("Histograms has no series before the first observation", () => {
  assert.deepEqual([...new Histograms([1, 2]).series()], []);
});

Deno.test("renderHistogram() writes cumulative buckets, +Inf, sum and count", () => {
  const h = new Histograms([0.01, 0.1]);
  h.observe([["format", "pem"]], 0.005);
  h.observe([["format", "pem"]], 0.05);
  h.observe([["format", "pem"]], 3);
  assert.equal(
    renderHistogram("x509_parse_duration_seconds", "Time spent decoding", h),
    "# HELP x509_parse_duration_seconds Time spent decoding\n" +
      "# TYPE x509_parse_duration_seconds histogram\n" +
      'x509_parse_duration_seconds_bucket{le="0.01",format="pem"} 1\n' +
      'x509_parse_duration_seconds_bucket{le="0.1",format="pem"} 2\n' +
      'x509_parse_duration_seconds_bucket{le="+Inf",format="pem"} 3\n' +
      'x509_parse_duration_seconds_sum{format="pem"} 3.055\n' +
      'x509_parse_duration_seconds_count{format="pem"} 3\n',
  );
});

Deno.test("renderHistogram() writes only the header for a histogram without series", () => {
  assert.equal(
    renderHistogram("x_seconds", "Help", new Histograms([1])),
    "# HELP x_seconds Help\n# TYPE x_seconds histogram\n",
  );
});

Deno.test("renderHistogram() writes an unlabelled series with le alone", () => {
  const h = new Histograms([1]);
  h.observe([], 0.5);
  assert.equal(
    renderHistogram("x_seconds", "Help", h).split("\n").slice(2).join("\n"),
    'x_seconds_bucket{le="1"} 1\nx_seconds_bucket{le="+Inf"} 1\n' +
      "x_seconds_sum{} 0.5\nx_seconds_count{} 1\n",
  );
});

Deno.test("renderHistogram() escapes label values", () => {
  const h = new Histograms([1]);
  h.observe([["resource", 'a"b\\c\nd']], 0.5);
  assert.match(
    renderHistogram("x_seconds", "Help", h),
    /x_seconds_count\{resource="a\\"b\\\\c\\nd"\} 1\n/,
  );
});

Deno.test("renderHistogram() output passes promtool check metrics", async () => {
  const h = new Histograms([0.001, 0.01, 0.1, 1]);
  h.observe([["verb", "list"], ["resource", "secrets"]], 0.004);
  h.observe([["verb", "list"], ["resource", "secrets"]], 0.2);
  h.observe([["verb", "watch"], ["resource", 'config"maps']], 12);
  h.observe([], 0.5);
  const body = renderHistogram("x509_kube_request_duration_seconds", "Latency of requests", h);
  assert.equal(await promtoolCheckMetrics(body), "");
});
