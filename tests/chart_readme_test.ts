import assert from "node:assert/strict";
import { parse } from "yaml";
import { valueDocs, withValuesTable } from "../scripts/chart_readme.ts";

const CHART = new URL("../chart/", import.meta.url);
const values = await Deno.readTextFile(new URL("values.yaml", CHART));

Deno.test("chart/README.md's values table is the one values.yaml generates", async () => {
  const readme = await Deno.readTextFile(new URL("README.md", CHART));
  assert.ok(
    withValuesTable(readme, values) === readme,
    "chart/README.md is stale: run deno run --allow-read --allow-write --allow-env scripts/chart_readme.ts",
  );
});

Deno.test("every value of values.yaml is documented, and the table reads its comments", () => {
  const docs = valueDocs(values);
  const documented = new Set(docs.map((d) => d.key));
  const missing: string[] = [];
  function walk(node: unknown, path: string[]) {
    const key = path.join(".");
    if (path.length > 0 && documented.has(key)) return;
    if (
      node !== null && typeof node === "object" && !Array.isArray(node) &&
      Object.keys(node).length > 0
    ) {
      for (const [k, v] of Object.entries(node)) walk(v, [...path, k]);
    } else {
      missing.push(key);
    }
  }
  walk(parse(values), []);
  assert.deepStrictEqual(missing, []);
  const tag = docs.find((d) => d.key === "image.tagSuffix")!;
  assert.deepStrictEqual(tag.type, "string");
  assert.deepStrictEqual(tag.default, '`""`');
  assert.match(tag.description, /-busybox/);
  const limit = docs.find((d) => d.key === "secretsExporter.revisionHistoryLimit")!;
  assert.deepStrictEqual(limit.type, "int");
  assert.deepStrictEqual(
    docs.find((d) => d.key === "secretsExporter.resources")!.default,
    "see `values.yaml`",
  );
});

Deno.test("a changed values.yaml comment makes the README stale", async () => {
  const readme = await Deno.readTextFile(new URL("README.md", CHART));
  const changed = values.replace("# -- Exporter image pull policy", "# -- How the image is pulled");
  assert.notStrictEqual(changed, values);
  assert.notStrictEqual(withValuesTable(readme, changed), readme);
});
