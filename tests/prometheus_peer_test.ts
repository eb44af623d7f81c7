import assert from "node:assert/strict";
import { epoch, makeCert } from "./testing/certs.ts";
import { eventually, startExporter } from "./testing/exporter_process.ts";

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

function hasPrometheus(): boolean {
  try {
    return new Deno.Command("prometheus", { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

Deno.test({
  name: "a real Prometheus scrapes the exporter and stores its certificate series",
  ignore: !hasPrometheus(),
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "x509-prom-" });
    const cert = await makeCert({ name: "CN=peer.example, O=Acme", serial: "2a", days: 42 });
    await Deno.writeTextFile(`${dir}/peer.pem`, cert.pem);
    await Deno.writeTextFile(
      `${dir}/config.yaml`,
      `server: { listen: "127.0.0.1:0" }\nsources: [{ kind: file, name: peer, paths: [peer.pem] }]\n`,
    );
    const exporter = await startExporter(["--config", `${dir}/config.yaml`]);
    const port = freePort();
    const target = new URL(exporter.url).host;
    await Deno.writeTextFile(
      `${dir}/prometheus.yml`,
      `global: { scrape_interval: 1s, scrape_timeout: 1s }\nscrape_configs:\n  - job_name: x509\n    static_configs: [{ targets: ["${target}"] }]\n`,
    );
    const prometheus = new Deno.Command("prometheus", {
      args: [
        `--config.file=${dir}/prometheus.yml`,
        `--storage.tsdb.path=${dir}/data`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      stdout: "null",
      stderr: "null",
    }).spawn();
    const query = async (q: string) => {
      const res = await fetch(
        `http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(q)}`,
      );
      const body = await res.json();
      return body.data?.result as
        | { metric: Record<string, string>; value: [number, string] }[]
        | undefined;
    };
    try {
      const up = await eventually(
        async () => {
          const r = await query('up{job="x509"}');
          return r?.length && r[0]!.value[1] === "1" ? r : undefined;
        },
        20_000,
        "Prometheus to scrape the exporter",
      );
      assert.equal(up[0]!.value[1], "1");
      const series = await eventually(
        async () => {
          const r = await query('x509_cert_not_after{subject_CN="peer.example"}');
          return r?.length ? r : undefined;
        },
        10_000,
        "the certificate series",
      );
      assert.equal(Number(series[0]!.value[1]), epoch(cert.notAfter));
      assert.equal(series[0]!.metric.serial_number, "42");
      assert.equal(series[0]!.metric.issuer_O, "Acme");
      // The PromQL users write against upstream works unchanged.
      const days = await query('(x509_cert_not_after{filepath!=""} - time()) / 3600 / 24 < 50');
      assert.ok(days?.length === 1 && Math.abs(Number(days[0]!.value[1]) - 42) < 1);
      // Prometheus drops series with a sample problem; scrape_samples_scraped proves none were.
      const scraped = await query('scrape_samples_scraped{job="x509"}');
      const exposed = (await exporter.metrics()).split("\n").filter((l) =>
        l && !l.startsWith("#")
      ).length;
      assert.ok(
        Math.abs(Number(scraped![0]!.value[1]) - exposed) <= 2,
        `${scraped![0]!.value[1]} vs ${exposed}`,
      );
    } finally {
      prometheus.kill("SIGTERM");
      await prometheus.status;
      await exporter.stop();
    }
  },
});
