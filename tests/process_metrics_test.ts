import assert from "node:assert/strict";
import { renderProcessMetrics } from "../src/metrics/process_metrics.ts";
import { promtoolCheckMetrics } from "./testing/promtool.ts";

/** Value of the unlabelled sample `name` in `body`. */
function value(body: string, name: string): number {
  const m = new RegExp(`^${name} (\\S+)$`, "m").exec(body);
  assert.ok(m, `${name} is rendered`);
  return Number(m[1]);
}

const IS_LINUX = Deno.build.os === "linux";

Deno.test("renderProcessMetrics() writes the standard process families with their types", () => {
  const body = renderProcessMetrics();
  assert.match(body, /^# TYPE process_cpu_seconds_total counter$/m);
  assert.match(body, /^# TYPE process_resident_memory_bytes gauge$/m);
  assert.match(body, /^# TYPE process_start_time_seconds gauge$/m);
  assert.match(body, /^# TYPE process_heap_bytes gauge$/m);
  for (const line of body.trimEnd().split("\n")) {
    assert.match(line, /^(# (HELP|TYPE) process_\w+ .+|process_\w+ [0-9.e+]+)$/, line);
  }
});

Deno.test("renderProcessMetrics() reports this process's memory, CPU time and start time", () => {
  const body = renderProcessMetrics();
  assert.ok(value(body, "process_resident_memory_bytes") > 1024 * 1024);
  assert.ok(value(body, "process_heap_bytes") > 0);
  assert.ok(value(body, "process_cpu_seconds_total") > 0);
  const start = value(body, "process_start_time_seconds");
  assert.ok(Number.isInteger(start));
  assert.ok(start <= Date.now() / 1000 && start > Date.now() / 1000 - 3600, `start ${start}`);
});

Deno.test("renderProcessMetrics() keeps the start time fixed between scrapes", () => {
  assert.equal(
    value(renderProcessMetrics(), "process_start_time_seconds"),
    value(renderProcessMetrics(), "process_start_time_seconds"),
  );
});

Deno.test({
  name: "renderProcessMetrics() reads open and maximum file descriptors and vsize from /proc",
  ignore: !IS_LINUX,
  fn() {
    const body = renderProcessMetrics();
    const open = value(body, "process_open_fds");
    assert.ok(open >= 3, `open fds ${open}`);
    assert.ok(value(body, "process_max_fds") >= open);
    assert.ok(
      value(body, "process_virtual_memory_bytes") >= value(body, "process_resident_memory_bytes"),
    );
  },
});

Deno.test("renderProcessMetrics() output passes promtool check metrics", async () => {
  assert.equal(await promtoolCheckMetrics(renderProcessMetrics()), "");
});
