/**
 * A deleted bundle is not kept alive by the renderer: neither by its last render
 * (dropped when the store changes) nor by the queue of renders, which once held
 * the last text body's writer and so its whole snapshot.
 */
import assert from "node:assert/strict";

async function after(mode: "plain" | "gzip"): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--v8-flags=--expose-gc",
      new URL("./testing/render_retention_main.ts", import.meta.url).pathname,
      mode,
    ],
    stderr: "inherit",
  }).output();
  assert.ok(out.success);
  return new TextDecoder().decode(out.stdout).trim();
}

Deno.test("a deleted bundle is collected after a text render", async () => {
  assert.equal(await after("plain"), "collected");
});

Deno.test("a deleted bundle is collected after a gzip render", async () => {
  assert.equal(await after("gzip"), "collected");
});
