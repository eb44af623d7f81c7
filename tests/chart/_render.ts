/**
 * Test double for `helm template`: builds tests/chart/render (Go, sprig) once
 * and renders the chart into plain objects.
 */
import { parseAllDocuments } from "yaml";

export const ROOT = new URL("../../", import.meta.url).pathname;
export const CHART = `${ROOT}chart`;

// deno-lint-ignore no-explicit-any
export type K8sObject = Record<string, any>;

export interface RenderResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function hasCommand(name: string): boolean {
  try {
    const out = new Deno.Command("sh", { args: ["-c", `command -v ${name}`], stdout: "null" })
      .outputSync();
    return out.success;
  } catch {
    return false;
  }
}

let binary: Promise<string> | undefined;

/** Builds the renderer once per test run into a temporary directory. */
export function renderer(): Promise<string> {
  binary ??= (async () => {
    const dir = await Deno.makeTempDir({ prefix: "x509-chart-render-" });
    const out = `${dir}/render`;
    const res = await new Deno.Command("go", {
      args: ["build", "-o", out, "."],
      cwd: `${ROOT}tests/chart/render`,
      env: {
        GOPATH: "/usr/share/gocode",
        GO111MODULE: "off",
        GOCACHE: `${dir}/cache`,
        GOFLAGS: "",
      },
    }).output();
    if (!res.success) {
      throw new Error(`Cannot build the chart renderer: ${new TextDecoder().decode(res.stderr)}`);
    }
    return out;
  })();
  return binary;
}

/** Renders the chart; `args` are renderer flags (-f FILE, --set k=v). */
export async function renderRaw(args: string[] = []): Promise<RenderResult> {
  const res = await new Deno.Command(await renderer(), { args: [...args, CHART] }).output();
  const dec = new TextDecoder();
  return { code: res.code, stdout: dec.decode(res.stdout), stderr: dec.decode(res.stderr) };
}

export async function render(args: string[] = []): Promise<K8sObject[]> {
  const res = await renderRaw(args);
  if (res.code !== 0) throw new Error(`Rendering failed: ${res.stderr}`);
  return parseAllDocuments(res.stdout).map((d) => {
    if (d.errors.length > 0) throw new Error(`Invalid YAML rendered: ${d.errors[0]}`);
    return d.toJS() as K8sObject;
  }).filter((o) => o !== null);
}

export function example(name: string): string[] {
  return ["-f", `${CHART}/examples/${name}.yaml`];
}

export function ofKind(objs: K8sObject[], kind: string): K8sObject[] {
  return objs.filter((o) => o.kind === kind);
}

export function one(objs: K8sObject[], kind: string, nameSuffix = ""): K8sObject {
  const found = objs.filter((o) => o.kind === kind && o.metadata.name.endsWith(nameSuffix));
  if (found.length !== 1) {
    throw new Error(`Expected one ${kind} named *${nameSuffix}, found ${found.length}`);
  }
  return found[0]!;
}

/** Every Deployment/DaemonSet pod spec, keyed by workload name. */
export function podSpecs(objs: K8sObject[]): [string, K8sObject][] {
  return objs.filter((o) => o.kind === "Deployment" || o.kind === "DaemonSet")
    .map((o) => [o.metadata.name, o.spec.template.spec]);
}

/** The exporter config.yaml of each generated ConfigMap, keyed by ConfigMap name. */
export function exporterConfigs(objs: K8sObject[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const cm of ofKind(objs, "ConfigMap")) {
    if (cm.data?.["config.yaml"]) out.set(cm.metadata.name, cm.data["config.yaml"]);
  }
  return out;
}

/** The rendered NOTES.txt. */
export async function notes(args: string[] = []): Promise<string> {
  const res = await renderRaw(["--notes", ...args]);
  if (res.code !== 0) throw new Error(`Rendering NOTES.txt failed: ${res.stderr}`);
  return res.stdout;
}

/** Writes objects as a YAML stream for `--lookup`: what `lookup` finds in the "cluster". */
export async function clusterFile(objs: K8sObject[]): Promise<string> {
  const file = await Deno.makeTempFile({ prefix: "x509-chart-cluster-", suffix: ".yaml" });
  await Deno.writeTextFile(file, objs.map((o) => JSON.stringify(o)).join("\n---\n"));
  return file;
}

/** Upstream's test inputs, read in place (never copied into the project). */
export const UPSTREAM = `${ROOT}../shared/upstream`;
