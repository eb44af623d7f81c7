import assert from "node:assert/strict";
import { SelfMetrics } from "../src/metrics/self_metrics.ts";
import { Store } from "../src/store.ts";
import { promtoolCheckMetrics } from "./testing/promtool.ts";

const BUILD = {
  version: "1.2.3",
  revision: "abc1234",
  built: "2026-12-01T11:33:43Z",
  denoVersion: "2.9.6",
};

Deno.test("SelfMetrics renders build info as a constant 1 labelled with the build", async () => {
  const body = await new SelfMetrics(BUILD).render(new Store());
  assert.match(body, /^# TYPE x509_exporter_build_info gauge$/m);
  const [line, ...more] = body.split("\n").filter((l) => l.startsWith("x509_exporter_build_info{"));
  assert.ok(line);
  assert.deepEqual(more, []);
  assert.ok(line.endsWith("} 1"), line);
  for (const label of ['version="1.2.3"', 'revision="abc1234"', 'deno_version="2.9.6"']) {
    assert.ok(line.includes(label), `${label} in ${line}`);
  }
});

Deno.test("SelfMetrics renders panic counters at 0 for every known component before any panic", async () => {
  const lines = (await new SelfMetrics(BUILD).render(new Store())).split("\n");
  assert.deepEqual(lines.filter((l) => l.startsWith("x509_panic_total{")), [
    'x509_panic_total{component="source"} 0',
    'x509_panic_total{component="server"} 0',
    'x509_panic_total{component="scrape"} 0',
  ]);
  assert.ok(lines.includes("# TYPE x509_panic_total counter"));
});

Deno.test("SelfMetrics renders the panics a source counted through the sink", async () => {
  const store = new Store();
  store.countPanic("source");
  store.countPanic("source");
  store.countPanic("informer");
  const body = await new SelfMetrics(BUILD).render(store);
  assert.match(body, /^x509_panic_total\{component="source"\} 2$/m);
  assert.match(body, /^x509_panic_total\{component="informer"\} 1$/m);
  assert.match(body, /^x509_panic_total\{component="server"\} 0$/m);
});

Deno.test("SelfMetrics counts scrape durations in its histogram", async () => {
  const self = new SelfMetrics(BUILD);
  self.scrapeDuration.observe(0.003);
  self.scrapeDuration.observe(2);
  const body = await self.render(new Store());
  assert.match(body, /^# TYPE x509_scrape_duration_seconds histogram$/m);
  assert.match(body, /^x509_scrape_duration_seconds_bucket\{le="0\.005"\} 1$/m);
  assert.match(body, /^x509_scrape_duration_seconds_bucket\{le="5"\} 2$/m);
  assert.match(body, /^x509_scrape_duration_seconds_bucket\{le="\+Inf"\} 2$/m);
  assert.match(body, /^x509_scrape_duration_seconds_count 2$/m);
  assert.match(body, /^x509_scrape_duration_seconds_sum 2\.003$/m);
});

Deno.test("SelfMetrics leaves out parse durations unless diagnostics are exposed", async () => {
  const store = new Store();
  store.observeParse("pem", 0.002);
  assert.doesNotMatch(await new SelfMetrics(BUILD).render(store), /x509_parse_duration_seconds/);
  const body = await new SelfMetrics(BUILD, { exposeDiagnostics: true }).render(store);
  assert.match(body, /^# TYPE x509_parse_duration_seconds histogram$/m);
  assert.match(body, /^x509_parse_duration_seconds_bucket\{le="0\.005",format="pem"\} 1$/m);
  assert.match(body, /^x509_parse_duration_seconds_count\{format="pem"\} 1$/m);
});

Deno.test("SelfMetrics output passes promtool check metrics", async () => {
  const store = new Store();
  store.countPanic("source");
  store.observeParse("pem", 0.0004);
  store.observeParse("pkcs12", 0.3);
  const self = new SelfMetrics(BUILD, { exposeDiagnostics: true });
  self.scrapeDuration.observe(0.01);
  assert.equal(await promtoolCheckMetrics(await self.render(store)), "");
});
