/**
 * The alert rules and dashboard shipped to hosts without the Helm chart: the
 * rules file is the chart's PrometheusRule rendered by scripts/alert_rules.ts
 * (fresh, valid for promtool, leaving the trust store out), and the release
 * workflow and install.sh ship exactly these files.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import {
  alertRules,
  BARE_METAL_ASSETS,
  literalRegex,
  RULES_FILE,
  trustStoreRegexes,
} from "../scripts/alert_rules.ts";
import { hasCommand, type K8sObject, one, render, ROOT } from "./chart/_render.ts";

const HAS_GO = hasCommand("go");
const HAS_PROMTOOL = hasCommand("promtool");
if (!HAS_GO) console.warn("SKIPPED rules rendering tests: `go` is not installed");
if (!HAS_PROMTOOL) console.warn("SKIPPED promtool tests: `promtool` is not installed");

const rulesText = await Deno.readTextFile(`${ROOT}${RULES_FILE}`);
const rules = parse(rulesText) as { groups: { name: string; rules: K8sObject[] }[] };

async function promtool(args: string[]): Promise<{ ok: boolean; out: string }> {
  const res = await new Deno.Command("promtool", { args }).output();
  const dec = new TextDecoder();
  return { ok: res.success, out: dec.decode(res.stdout) + dec.decode(res.stderr) };
}

Deno.test({
  name: "the bare-metal rules file is the one scripts/alert_rules.ts renders from the chart",
  ignore: !HAS_GO,
  async fn() {
    assert.ok(
      (await alertRules()) === rulesText,
      `${RULES_FILE} is stale: run deno run -A scripts/alert_rules.ts`,
    );
  },
});

Deno.test({
  name: "the bare-metal rules are the chart's alerts, certificate ones without the trust store",
  ignore: !HAS_GO,
  async fn() {
    const chart = one(await render(), "PrometheusRule").spec.groups as typeof rules.groups;
    assert.deepEqual(rules.groups.map((g) => g.name), chart.map((g) => g.name));
    const ours = rules.groups[0]!.rules;
    const theirs = chart[0]!.rules;
    assert.deepEqual(ours.map((r) => r.alert), theirs.map((r) => r.alert));
    const selector = `{filepath!~${JSON.stringify((await trustStoreRegexes()).join("|"))}}`;
    let filtered = 0;
    for (const [i, rule] of ours.entries()) {
      const chartRule = theirs[i]!;
      // Everything but the expression is the chart's, and the expression only gains the selector.
      assert.deepEqual({ ...rule, expr: "" }, { ...chartRule, expr: "" }, rule.alert);
      assert.equal(rule.expr.replaceAll(selector, ""), chartRule.expr, rule.alert);
      if (rule.expr.includes(selector)) filtered++;
      if (/x509_(cert|crl)_/.test(chartRule.expr) && !/collision/.test(chartRule.expr)) {
        assert.ok(rule.expr.includes(selector), `${rule.alert} leaves the trust store out`);
      }
    }
    assert.equal(filtered, 6);
  },
});

Deno.test("the excluded filepaths are the embedded default's trust-store bundles, literally", async () => {
  const config = parse(await Deno.readTextFile(`${ROOT}src/config/default.yaml`)) as {
    sources: { name: string; paths: string[] }[];
  };
  const paths = config.sources.find((s) => s.name === "system-trust-store")!.paths;
  const re = new RegExp(`^(?:${(await trustStoreRegexes()).join("|")})$`);
  for (const p of paths) assert.match(p, re);
  for (
    const other of ["/etc/ssl/certs/ca-certificatesXcrt", "/mnt" + paths[0], paths[0] + ".bak"]
  ) {
    assert.doesNotMatch(other, re);
  }
  assert.equal(literalRegex("/a.b/c*[d]"), "/a\\.b/c\\*\\[d\\]");
});

Deno.test({
  name: "promtool checks the bare-metal rules and its unit tests pass",
  ignore: !HAS_PROMTOOL,
  async fn() {
    const check = await promtool(["check", "rules", `${ROOT}${RULES_FILE}`]);
    assert.ok(check.ok, check.out);
    assert.match(check.out, /13 rules found/);
    // promtool compares annotations verbatim: test the rules without them, as chart_test.ts does.
    const dir = await Deno.makeTempDir({ prefix: "x509-bare-metal-rules-" });
    try {
      const bare = structuredClone(rules);
      for (const g of bare.groups) for (const r of g.rules) delete r.annotations;
      await Deno.writeTextFile(`${dir}/rules.yaml`, JSON.stringify(bare));
      await Deno.copyFile(
        `${ROOT}tests/chart/bare_metal_rules_test.yaml`,
        `${dir}/bare_metal_rules_test.yaml`,
      );
      const test = await promtool(["test", "rules", `${dir}/bare_metal_rules_test.yaml`]);
      assert.ok(test.ok, test.out);
      // Sharp: without the exclusion, the trust store's expired roots would alert.
      for (const g of bare.groups) {
        for (const r of g.rules) r.expr = r.expr.replace(/\{filepath!~"[^}]*"\}/g, "");
      }
      await Deno.writeTextFile(`${dir}/rules.yaml`, JSON.stringify(bare));
      const unfiltered = await promtool(["test", "rules", `${dir}/bare_metal_rules_test.yaml`]);
      assert.ok(!unfiltered.ok);
      assert.match(unfiltered.out, /old-root/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("the dashboard asset is the chart's dashboard, importable with a data source choice", async () => {
  const from = BARE_METAL_ASSETS.find((a) => a.asset.endsWith("-dashboard.json"))!.from;
  assert.equal(from, "chart/dashboards/x509-certificate-exporter.json");
  const dashboard = JSON.parse(await Deno.readTextFile(`${ROOT}${from}`));
  assert.ok(
    dashboard.templating.list.some((v: K8sObject) =>
      v.type === "datasource" && v.name === "datasource"
    ),
  );
  // Every panel reads the chosen data source, none a fixed one.
  const text = JSON.stringify(dashboard);
  for (const m of text.matchAll(/"uid":"([^"]*)"/g)) {
    if (m[1] !== "x509-certificate-exporter") assert.equal(m[1], "${datasource}");
  }
});

Deno.test("the release uploads the bare-metal assets, covered by SHA256SUMS, and install.sh takes them", async () => {
  const workflow = await Deno.readTextFile(`${ROOT}.github/workflows/release.yml`);
  const sums = workflow.indexOf("deno task compile --checksums-only");
  assert.ok(sums > 0);
  const script = await Deno.readTextFile(`${ROOT}install.sh`);
  const extras = script.match(/^EXTRAS="([^"]*)"$/m)?.[1]?.replaceAll(
    "$NAME",
    "x509-certificate-exporter",
  );
  assert.deepEqual(extras?.split(" "), BARE_METAL_ASSETS.map((a) => a.asset));
  for (const { asset, from } of BARE_METAL_ASSETS) {
    const copy = workflow.indexOf(`cp ${from} dist/${asset}`);
    assert.ok(
      copy > 0 && copy < sums,
      `release.yml copies ${from} to dist/${asset} before SHA256SUMS`,
    );
    assert.ok(
      asset.startsWith("x509-certificate-exporter-"),
      "SHA256SUMS covers x509-certificate-exporter-*",
    );
  }
  // The checksum step does take them in.
  const dist = await Deno.makeTempDir({ prefix: "x509-release-dist-" });
  try {
    await Deno.writeTextFile(`${dist}/x509-certificate-exporter-linux-amd64`, "binary");
    for (const { asset, from } of BARE_METAL_ASSETS) {
      await Deno.copyFile(`${ROOT}${from}`, `${dist}/${asset}`);
    }
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `${ROOT}scripts/compile.ts`, "--checksums-only", "--out-dir", dist],
      cwd: ROOT,
    }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    const listed = (await Deno.readTextFile(`${dist}/SHA256SUMS`)).trim().split("\n")
      .map((l) => l.split(/\s+\*?/)[1]).sort();
    assert.deepEqual(
      listed,
      ["x509-certificate-exporter-linux-amd64", ...BARE_METAL_ASSETS.map((a) => a.asset)].sort(),
    );
  } finally {
    await Deno.remove(dist, { recursive: true });
  }
});
