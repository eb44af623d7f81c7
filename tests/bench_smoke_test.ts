/**
 * The benchmark harness at toy sizes: each scenario runs end to end (real
 * exporter process, fake API server in its own process) and reports sane
 * numbers. The measurements themselves are `deno task bench`'s job.
 */
import assert from "node:assert/strict";
import type { Measure, ScenarioOptions, ScenarioResult } from "../bench/_report.ts";
import { table } from "../bench/_report.ts";
import { SCENARIOS } from "../bench/main.ts";

function measure(result: ScenarioResult, name: string): Measure {
  const m = result.measures.find((m) => m.name.endsWith(name));
  assert.ok(m, `${result.scenario} reports "${name}"`);
  assert.ok(Number.isFinite(m.value), `${result.scenario} ${name} is a number: ${m.value}`);
  return m;
}

async function run(name: string, sizes: Record<string, number>): Promise<ScenarioResult> {
  const workDir = await Deno.makeTempDir({ prefix: `x509-bench-smoke-${name}-` });
  try {
    const options: ScenarioOptions = { quick: true, sizes, workDir };
    const result = await SCENARIOS[name]!(options);
    assert.ok(table([result]).includes(result.scenario));
    return result;
  } finally {
    await Deno.remove(workDir, { recursive: true });
  }
}

const RSS_SANE = (v: number) => v > 10 && v < 2048;

Deno.test("bench floor measures a bare Deno.serve process", async () => {
  const r = await run("floor", {});
  assert.ok(RSS_SANE(measure(r, "bare Deno.serve RSS").value));
});

Deno.test("bench files-10k syncs, scrapes and weighs a small tree", async () => {
  const r = await run("files-10k", { certs: 300, files: 60, scrapes: 10 });
  assert.ok(measure(r, "first sync").value > 0);
  for (const enc of ["gzip, as Prometheus", "plain text"]) {
    assert.ok(
      measure(r, `/metrics p99 (${enc})`).value >= measure(r, `/metrics p50 (${enc})`).value,
    );
  }
  const plain = measure(r, "/metrics body (plain text)").value;
  assert.ok(plain > 100, `${plain} KiB`); // 300 certs × 2 families
  assert.ok(measure(r, "/metrics body (gzip)").value < plain / 5, "the body is sent compressed");
  assert.ok(RSS_SANE(measure(r, "RSS after sync").value));
  assert.ok(RSS_SANE(measure(r, "RSS after plain scrapes").value));
});

Deno.test("bench secrets-50k counts the API responses with and without a field selector", async () => {
  const r = await run("secrets-50k", { tls: 200, helm: 300, helmBytes: 2048, settleMs: 200 });
  const selected = measure(r, "1 type (fieldSelector): objects received").value;
  const perType = measure(r, "2 types (a fieldSelector each): objects received").value;
  const all = measure(r, "any type (no selector): objects received").value;
  assert.equal(selected, 200);
  assert.equal(perType, 200, "one field-selected stream per type: no Helm release is sent");
  assert.equal(all, 500);
  assert.ok(
    measure(r, "any type (no selector): LIST bytes").value >
      measure(r, "1 type (fieldSelector): LIST bytes").value,
  );
  assert.ok(RSS_SANE(measure(r, "1 type (fieldSelector): peak RSS (VmHWM)").value));
  assert.ok(RSS_SANE(measure(r, "any type (no selector): steady RSS (0.2 s after)").value));
});

Deno.test("bench churn sees every rotation in /metrics", async () => {
  const r = await run("churn", { rate: 50, seconds: 2, tls: 100, baselineSeconds: 1 });
  assert.equal(measure(r, "rotations").value, 100);
  assert.equal(measure(r, "rotations never seen").value, 0);
  const p99 = measure(r, "event → /metrics p99").value;
  assert.ok(p99 > 0 && p99 < 5, `p99 ${p99}`);
  assert.ok(measure(r, "CPU during churn").value >= 0);
});

Deno.test("bench idle reports CPU and RSS drift", async () => {
  const r = await run("idle", { seconds: 2, certs: 100, files: 20, tls: 100 });
  assert.ok(measure(r, "CPU per 10 minutes").value >= 0);
  assert.ok(RSS_SANE(measure(r, "RSS at start").value));
});

Deno.test("bench scale-files measures the exporter and the native peer on the same series", async () => {
  const r = await run("scale-files", { small: 300, large: 600, smallScrapes: 3, largeScrapes: 3 });
  for (const certs of ["300", "600"]) {
    const p = `${certs} certs: `;
    assert.equal(
      measure(r, p + "cert series differing between the two").value,
      0,
      "the native peer renders the Deno exporter's certificate series, line for line",
    );
    assert.ok(RSS_SANE(measure(r, p + "floor (bare Deno.serve) RSS").value));
    for (const who of ["deno", "native"]) {
      assert.ok(measure(r, `${p}${who}: first sync`).value > 0);
      const rss = measure(r, `${p}${who}: RSS after 3 gzip scrapes`).value;
      assert.ok(rss > 1 && rss < 2048, `${who} RSS ${rss} MiB`);
      for (const enc of ["gzip", "plain text"]) {
        assert.ok(
          measure(r, `${p}${who}: /metrics p99 (${enc})`).value >=
            measure(r, `${p}${who}: /metrics p50 (${enc})`).value,
        );
      }
    }
    assert.ok(measure(r, p + "deno: per certificate past the floor").value > 0);
    for (const ratio of ["memory (RSS after gzip scrapes)", "first sync", "gzip p99"]) {
      const m = measure(r, `${p}deno/native: ${ratio}`);
      assert.ok(m.value > 0 && m.budget !== undefined, `${ratio}: ${m.value} (budget ${m.budget})`);
    }
  }
});

Deno.test("bench scale-secrets syncs TLS Secrets and reads steady RSS", async () => {
  const r = await run("scale-secrets", { large: 300, small: 100, settleMs: 200 });
  for (const tls of ["300", "100"]) {
    const p = `${tls} TLS Secrets: `;
    assert.ok(measure(r, p + "full sync").value > 0);
    assert.ok(measure(r, p + "LIST responses").value >= 1);
    const steady = measure(r, p + "steady RSS (0.2 s after sync)").value;
    assert.ok(RSS_SANE(steady));
    assert.ok(measure(r, p + "peak RSS (VmHWM)").value >= steady);
  }
});

Deno.test("bench offload times inline, sliced and worker decodes of both inputs", async () => {
  const r = await run("offload", { certs: 50 });
  for (const input of ["PEM bundle", "PKCS#12 at the limit"]) {
    for (const way of ["inline", "sliced", "worker"]) {
      assert.ok(measure(r, `${input}: ${way}: wall`).value > 0);
      assert.ok(measure(r, `${input}: ${way}: event loop held`).value >= 0);
    }
  }
});
