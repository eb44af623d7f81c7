/**
 * Configuration reloads (issue 15, row 16): SIGHUP and `POST /-/reload` load
 * the config through the startup path; a bad one is logged and the running one
 * kept; `x509_config_last_reload_*` say which happened.
 */
import assert from "node:assert/strict";
import { makeCert } from "./testing/certs.ts";
import { eventually, sample, startExporter } from "./testing/exporter_process.ts";

const unix = Deno.build.os !== "windows";

async function fixture() {
  const dir = await Deno.makeTempDir({ prefix: "x509-reload-" });
  const [a, b] = await Promise.all([
    makeCert({ name: "CN=first.test" }),
    makeCert({ name: "CN=second.test" }),
  ]);
  await Deno.writeTextFile(`${dir}/a.pem`, a.pem);
  await Deno.writeTextFile(`${dir}/b.pem`, b.pem);
  const config = `${dir}/config.yaml`;
  const write = (source: string, extra = "") =>
    Deno.writeTextFile(
      config,
      `server: { listen: "127.0.0.1:0" }\n${extra}sources:\n${source}`,
    );
  return { dir, config, write };
}

const FIRST = "  - { kind: file, name: first, paths: [a.pem] }\n";
const SECOND = "  - { kind: file, name: second, paths: [b.pem] }\n";

function subjects(body: string): string[] {
  return [...body.matchAll(/^x509_cert_not_after\{[^}]*subject_CN="([^"]+)"/gm)].map((m) => m[1]!)
    .sort();
}

Deno.test({
  name:
    "SIGHUP reloads the config: new sources start, removed ones disappear, a bad one is kept out",
  ignore: !unix,
  async fn() {
    const f = await fixture();
    await f.write(FIRST);
    const exporter = await startExporter(["--config", f.config]);
    try {
      await eventually(async () => subjects(await exporter.metrics()).length === 1 || undefined);
      let body = await exporter.metrics();
      assert.deepEqual(subjects(body), ["first.test"]);
      assert.equal(sample(`${body}\n`, "x509_config_last_reload_successful", {}), undefined);
      assert.match(body, /^x509_config_last_reload_successful 1$/m);

      await f.write(SECOND);
      Deno.kill(exporter.pid, "SIGHUP");
      await eventually(
        async () => subjects(await exporter.metrics()).join() === "second.test" || undefined,
        10_000,
        "the second source's certificate alone",
      );
      body = await exporter.metrics();
      assert.doesNotMatch(body, /source_name="first"/, "the removed source's series are gone");
      assert.match(body, /^x509_config_last_reload_successful 1$/m);
      const at = Number(
        /^x509_config_last_reload_success_timestamp_seconds (\S+)$/m.exec(body)![1],
      );
      assert.ok(Math.abs(at - Date.now() / 1000) < 30);

      // A broken config: logged, one located line, the running config kept.
      await Deno.writeTextFile(f.config, "sources:\n  - { kind: file, name: x, paths: 3 }\n");
      Deno.kill(exporter.pid, "SIGHUP");
      await eventually(
        async () =>
          /^x509_config_last_reload_successful 0$/m.test(await exporter.metrics()) || undefined,
      );
      body = await exporter.metrics();
      assert.deepEqual(subjects(body), ["second.test"]);
      assert.match(exporter.stderr(), /Configuration reload failed/);
      assert.match(exporter.stderr(), /config\.yaml:2:\d+: sources\[0\]\.paths/);
      assert.doesNotMatch(exporter.stderr(), /^\s+at /m, "no stack trace");
      assert.equal(await exporter.stop(), 0, "SIGHUP never killed it");
    } finally {
      await Deno.remove(f.dir, { recursive: true });
    }
  },
});

Deno.test("POST /-/reload reloads only with --web.enable-lifecycle", async () => {
  const f = await fixture();
  await f.write(FIRST);
  const off = await startExporter(["--config", f.config]);
  try {
    const r = await off.get("/-/reload", { method: "POST" });
    assert.equal(r.status, 403);
    assert.equal(await r.text(), "Lifecycle API is not enabled.\n");
  } finally {
    await off.stop();
  }
  const on = await startExporter(["--config", f.config, "--web.enable-lifecycle"]);
  try {
    await eventually(async () => subjects(await on.metrics()).length === 1 || undefined);
    await f.write(SECOND);
    const r = await on.get("/-/reload", { method: "POST" });
    assert.equal([r.status, await r.text()].join(" "), "200 ");
    assert.deepEqual(
      await eventually(async () => {
        const s = subjects(await on.metrics());
        return s.join() === "second.test" ? s : undefined;
      }),
      ["second.test"],
    );
    await Deno.writeTextFile(f.config, "server: [\n");
    const bad = await on.get("/-/reload", { method: "POST" });
    assert.equal(bad.status, 500);
    assert.match(await bad.text(), /^failed to reload config: [^]*config\.yaml:\d+:\d+/);
    assert.match(await on.metrics(), /^x509_config_last_reload_successful 0$/m);
    assert.equal((await on.get("/-/reload")).status, 405);
  } finally {
    await on.stop();
    await Deno.remove(f.dir, { recursive: true });
  }
});
