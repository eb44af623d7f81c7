/**
 * The judge: upstream's own chart tests, read as data from ../shared/upstream/
 * (never copied in), run against this chart.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import {
  exporterConfigs,
  hasCommand,
  type K8sObject,
  ofKind,
  render,
  renderRaw,
  UPSTREAM,
} from "./chart/_render.ts";

const TESTS = `${UPSTREAM}/chart-tests`;
const HAS_GO = hasCommand("go");

function yamlFiles(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".yaml")).sort();
}

/** Non-comment, non-blank lines of an expectation file. */
function expectations(file: string): string[] {
  return Deno.readTextFileSync(file).split("\n").map((l) => l.trimEnd())
    .filter((l) => l.trim() !== "" && !l.trimStart().startsWith("#"));
}

function upstreamTest(name: string, fn: () => Promise<void>) {
  Deno.test({ name, ignore: !HAS_GO, fn });
}

upstreamTest(
  "every upstream schema/valid values fixture passes the schema and renders",
  async () => {
    const names = yamlFiles(`${TESTS}/schema/valid`);
    assert.ok(names.length >= 25, `only ${names.length} fixtures`);
    const failed: string[] = [];
    for (const name of names) {
      const res = await renderRaw(["-f", `${TESTS}/schema/valid/${name}`]);
      if (res.code !== 0) failed.push(`${name}: ${res.stderr}`);
    }
    assert.deepStrictEqual(failed, [], `${failed.length}/${names.length} valid fixtures rejected`);
  },
);

upstreamTest(
  "every upstream schema/invalid values fixture is rejected with its expected lines",
  async () => {
    const names = yamlFiles(`${TESTS}/schema/invalid`);
    assert.ok(names.length >= 42, `only ${names.length} fixtures`);
    const failed: string[] = [];
    for (const name of names) {
      const res = await renderRaw(["-f", `${TESTS}/schema/invalid/${name}`]);
      const lines = expectations(
        `${TESTS}/schema/invalid/${name.replace(/\.yaml$/, ".expect.txt")}`,
      );
      assert.ok(lines.length > 0, name);
      if (res.code === 0) failed.push(`${name}: accepted`);
      for (const line of lines) {
        if (res.code !== 0 && !res.stderr.includes(line)) {
          failed.push(
            `${name}: no "${line}" in ${res.stderr}`,
          );
        }
      }
    }
    assert.deepStrictEqual(
      failed,
      [],
      `${failed.length} problems over ${names.length} invalid fixtures`,
    );
  },
);

upstreamTest(
  "upstream render fixtures: *.expect.txt fail with those lines, *.expect-pass.txt render them",
  async () => {
    const dir = `${TESTS}/render`;
    let checked = 0;
    for (const name of yamlFiles(dir)) {
      const base = `${dir}/${name.replace(/\.yaml$/, "")}`;
      const res = await renderRaw(["-f", `${dir}/${name}`]);
      for (
        const [suffix, shouldFail] of [[".expect.txt", true], [".expect-pass.txt", false]] as const
      ) {
        let lines: string[];
        try {
          lines = expectations(base + suffix);
        } catch {
          continue;
        }
        checked++;
        assert.deepStrictEqual(res.code !== 0, shouldFail, `${name}: ${res.stderr}`);
        const out = shouldFail ? res.stderr : res.stdout;
        for (const line of lines) assert.ok(out.includes(line), `${name}: no "${line}" in\n${out}`);
      }
    }
    assert.ok(checked >= 4, `only ${checked} render expectations`);
  },
);

/** Scan paths of each DaemonSet's file and kubeconfig sources, and its container mount paths. */
function scanAndMounts(objs: K8sObject[]): { ds: string; paths: string[]; mounts: string[] }[] {
  const configs = exporterConfigs(objs);
  return ofKind(objs, "DaemonSet").map((ds) => {
    const spec = ds.spec.template.spec;
    const cmName = spec.volumes.find((v: K8sObject) => v.name === "config").configMap.name;
    const cfg = parse(configs.get(cmName)!);
    const paths = (cfg.sources as K8sObject[])
      .filter((s) => s.kind === "file" || s.kind === "kubeconfig")
      .flatMap((s) => s.paths as string[]);
    const mounts = spec.containers[0].volumeMounts.map((m: K8sObject) => m.mountPath as string);
    return { ds: ds.metadata.name, paths, mounts };
  });
}

upstreamTest(
  "all-watch-modes: every scan path of a DaemonSet lies under one of its mounts",
  async () => {
    const objs = await render(["-f", `${TESTS}/render/all-watch-modes.yaml`]);
    const all = scanAndMounts(objs);
    assert.ok(all.length > 0);
    for (const { ds, paths, mounts } of all) {
      assert.ok(paths.length >= 6, `${ds}: ${paths}`);
      for (const p of paths) {
        assert.ok(
          mounts.some((m) => p === m || p.startsWith(`${m}/`)),
          `${ds}: ${p} is under no mount of ${mounts}`,
        );
      }
    }
    // The same holds for the e2e DaemonSet.
    const e2e = await render([
      "-f",
      `${UPSTREAM}/dev-values.yaml`,
      "-f",
      `${UPSTREAM}/e2e-values.yaml`,
    ]);
    for (const { ds, paths, mounts } of scanAndMounts(e2e)) {
      for (const p of paths) assert.ok(mounts.some((m) => p.startsWith(`${m}/`)), `${ds}: ${p}`);
    }
  },
);

upstreamTest("upstream's chart values, dev values and dev + e2e values render", async () => {
  for (
    const files of [["chart-values.yaml"], ["dev-values.yaml"], [
      "dev-values.yaml",
      "e2e-values.yaml",
    ]]
  ) {
    const objs = await render(files.flatMap((f) => ["-f", `${UPSTREAM}/${f}`]));
    assert.ok(objs.some((o) => o.kind === "Deployment"), files.join(" + "));
  }
  const e2e = await render([
    "-f",
    `${UPSTREAM}/dev-values.yaml`,
    "-f",
    `${UPSTREAM}/e2e-values.yaml`,
  ]);
  // e2e's extraDeploy Service selects the `nodes` DaemonSet by its component label.
  const svc = e2e.find((o) => o.kind === "Service" && o.metadata.name.endsWith("-nodes"))!;
  const ds = e2e.find((o) => o.kind === "DaemonSet" && o.metadata.name.endsWith("-nodes"))!;
  for (const [k, v] of Object.entries(svc.spec.selector)) {
    assert.deepStrictEqual(ds.spec.template.metadata.labels[k], v, k);
  }
});
