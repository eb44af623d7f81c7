import assert from "node:assert/strict";
import { KubeClient } from "../src/kube/client.ts";
import { describeError, Logger } from "../src/log.ts";
import { makeCert } from "./testing/certs.ts";
import { startExporter } from "./testing/exporter_process.ts";

function lines(format: "text" | "json") {
  const out: string[] = [];
  return { logger: new Logger({ format, write: (l) => out.push(l) }), out };
}

Deno.test("an error is logged with its message and causes, in JSON and text alike, never as {}", () => {
  const err = new Error("Cannot reach the Kubernetes API at https://10.0.0.1/api", {
    cause: new TypeError("fetch failed", { cause: new Error("connect ECONNREFUSED") }),
  });
  const json = lines("json");
  json.logger.warn("Kubernetes API request failed", { error: err, url: "https://10.0.0.1" });
  const record = JSON.parse(json.out[0]!);
  assert.equal(
    record.error,
    "Cannot reach the Kubernetes API at https://10.0.0.1/api: fetch failed: connect ECONNREFUSED",
  );
  assert.ok(!json.out[0]!.includes("{}"));
  const text = lines("text");
  text.logger.warn("Kubernetes API request failed", { error: err });
  assert.match(text.out[0]!, /error="Cannot reach .*: fetch failed: connect ECONNREFUSED"/);
});

Deno.test("describeError() keeps a message once when a cause repeats it, and survives cycles", () => {
  const inner = new Error("boom");
  const outer = new Error("boom", { cause: inner });
  assert.equal(describeError(outer), "boom");
  const a = new Error("a");
  const b = new Error("b", { cause: a });
  (a as { cause?: unknown }).cause = b;
  assert.equal(describeError(b), "b: a");
  assert.equal(describeError("plain"), "plain");
});

Deno.test("a Kubernetes API that cannot be reached is an error naming its URL, with the cause", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close(); // nothing listens there now
  const client = new KubeClient({
    server: `http://127.0.0.1:${port}`,
    skipTLSVerify: false,
    origin: "test",
    headers: () => Promise.resolve({}),
  });
  try {
    await assert.rejects(
      client.get("/api/v1/secrets", { limit: "1" }, new AbortController().signal),
      (err: Error) => {
        const text = describeError(err);
        assert.match(text, new RegExp(`http://127\\.0\\.0\\.1:${port}/api/v1/secrets\\?limit=1`));
        assert.ok(text.split(": ").length > 1, `a cause: ${text}`);
        return true;
      },
    );
  } finally {
    client.close();
  }
});

Deno.test("e2e: startup logs version, config and sources; each source's first sync logs what it holds", async () => {
  const dir = await Deno.makeTempDir({ prefix: "x509-log-" });
  try {
    await Deno.writeTextFile(`${dir}/a.pem`, (await makeCert({ serial: "0a" })).pem);
    await Deno.writeTextFile(
      `${dir}/config.yaml`,
      'server: { listen: "127.0.0.1:0" }\nlog: { format: json }\n' +
        "sources: [{ kind: file, name: pki, paths: [a.pem, missing.pem] }]\n",
    );
    const exporter = await startExporter(["--config", `${dir}/config.yaml`]);
    try {
      let records: Record<string, unknown>[] = [];
      for (let i = 0; i < 100 && !records.some((r) => r.msg === "First sync"); i++) {
        await new Promise((r) => setTimeout(r, 50));
        records = exporter.stderr().split("\n").filter((l) => l.startsWith("{")).map((l) =>
          JSON.parse(l)
        );
      }
      const start = records.find((r) => r.msg === "Starting")!;
      assert.equal(start.config, `${dir}/config.yaml`);
      assert.match(String(start.version), /^\d+\.\d+\.\d+/);
      assert.deepEqual(start.sources, [{
        kind: "file",
        name: "pki",
        paths: [`${dir}/a.pem`, `${dir}/missing.pem`],
        formats: ["pem"],
      }]);
      const sync = records.find((r) => r.msg === "First sync")!;
      assert.deepEqual(
        [sync.source_name, sync.bundles, sync.certificates, sync.error_items, sync.errors],
        ["pki", 2, 1, 1, 1],
      );
      const missing = records.find((r) => r.msg === "Cannot read certificate file")!;
      assert.equal(missing.path, `${dir}/missing.pem`);
      assert.equal(missing.reason, "not_found");
      assert.equal(typeof missing.error, "string");
      assert.ok(!exporter.stderr().includes('"error":{}'));
    } finally {
      await exporter.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
