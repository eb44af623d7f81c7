/**
 * What an exporter of certificate files loads: the modules main.ts and the
 * file source reach through static imports. The PKCS#12 reader (node-forge,
 * 3 MiB resident) and the Kubernetes client are behind dynamic imports,
 * loaded only when a keystore or a Kubernetes source is met; a static import
 * anywhere on the way would bring them back for every install, silently.
 */
import assert from "node:assert/strict";

interface Dependency {
  readonly code?: { readonly specifier?: string };
  readonly isDynamic?: boolean;
}
interface Module {
  readonly specifier: string;
  readonly dependencies?: readonly Dependency[];
  readonly npmPackage?: string;
}

async function moduleGraph(): Promise<Map<string, Module>> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "main.ts"],
    cwd: new URL("..", import.meta.url).pathname,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout));
  return new Map((info.modules as Module[]).map((m) => [m.specifier, m]));
}

/** The npm packages reached from `roots`, following static imports of code only. */
function staticNpmPackages(graph: Map<string, Module>, roots: readonly string[]): Set<string> {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const todo = [...roots];
  while (todo.length) {
    const at = todo.pop()!;
    if (seen.has(at)) continue;
    seen.add(at);
    const mod = graph.get(at);
    if (at.startsWith("npm:")) {
      packages.add(at.slice(4).replace(/^(@?[^@/]+(?:\/[^@/]+)?).*/, "$1"));
    }
    for (const dep of mod?.dependencies ?? []) {
      if (!dep.isDynamic && dep.code?.specifier) todo.push(dep.code.specifier);
    }
  }
  return packages;
}

Deno.test("a file source loads node-forge and the Kubernetes client only through dynamic imports", async () => {
  const graph = await moduleGraph();
  const roots = [...graph.keys()].filter((s) =>
    s.endsWith("/main.ts") || s.endsWith("/src/sources/file.ts")
  );
  assert.equal(roots.length, 2);
  const packages = staticNpmPackages(graph, roots);
  assert.ok(packages.has("yaml") && packages.has("prom-client"), [...packages].join(", "));
  for (const lazy of ["node-forge", "@kubernetes/client-node", "@peculiar/x509", "bcryptjs"]) {
    assert.ok(!packages.has(lazy), `${lazy} is statically imported: ${[...packages].join(", ")}`);
  }
  // ...and they are still in the graph, for deno compile to embed.
  const all = JSON.stringify([...graph.keys()]);
  assert.match(all, /node-forge/);
  assert.match(all, /client-node/);
});
