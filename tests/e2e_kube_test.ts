import assert from "node:assert/strict";
import { epoch, makeCert } from "./testing/certs.ts";
import { eventually, sample, startExporter } from "./testing/exporter_process.ts";
import { KubeApiServer } from "./testing/kube_api_server.ts";
import { promtoolCheckMetrics } from "./testing/promtool.ts";

const tlsSecret = (ns: string, name: string, pem: string, labels: Record<string, string> = {}) => ({
  metadata: { name, namespace: ns, labels },
  type: "kubernetes.io/tls",
  data: { "tls.crt": btoa(pem), "tls.key": btoa("key") },
});

Deno.test("e2e: the exporter process follows Secrets and ConfigMaps of an API server with the binary's permissions", async () => {
  const server = KubeApiServer.start({ bookmarkIntervalMs: 200 });
  const dir = await Deno.makeTempDir({ prefix: "x509-e2e-kube-" });
  const [web, ca, rotated] = await Promise.all([
    makeCert({ name: "CN=web.shop.svc", serial: "0101", days: 30 }),
    makeCert({ name: "CN=cluster-ca", serial: "0202", days: 3650 }),
    makeCert({ name: "CN=web.shop.svc", serial: "0303", days: 90 }),
  ]);
  server.upsert("secrets", tlsSecret("shop", "web-tls", web.pem, { team: "payments" }));
  server.upsert("configmaps", {
    metadata: { name: "kube-root-ca.crt", namespace: "shop" },
    data: { "ca.crt": ca.pem },
  });
  await server.writeKubeconfig(`${dir}/kubeconfig`);
  await Deno.writeTextFile(
    `${dir}/config.yaml`,
    `server: { listen: "127.0.0.1:0" }
sources:
  - kind: kubernetes
    name: cluster
    kubeconfig: kubeconfig
    secrets:
      exposeLabels: [team]
      types: [{ type: kubernetes.io/tls, key: tls.crt }]
    configMaps:
      keyPatterns: ['^ca\\.crt$']
`,
  );
  const exporter = await startExporter(["--config", `${dir}/config.yaml`]);
  try {
    await eventually(
      async () => (await exporter.get("/readyz")).status === 200 || undefined,
      10_000,
      "/readyz",
    );
    const body = await eventually(async () => {
      const b = await exporter.metrics();
      return sample(b, "x509_cert_not_after", { configmap_name: "kube-root-ca.crt" })
        ? b
        : undefined;
    });
    assert.equal(
      sample(body, "x509_cert_not_after", {
        secret_namespace: "shop",
        secret_name: "web-tls",
        secret_key: "tls.crt",
        secret_label_team: "payments",
        serial_number: "257",
      }),
      epoch(web.notAfter),
    );
    assert.equal(
      sample(body, "x509_cert_not_after", { configmap_namespace: "shop", configmap_key: "ca.crt" }),
      epoch(ca.notAfter),
    );
    assert.equal(
      sample(body, "x509_source_up", { source_kind: "kubernetes", source_name: "cluster" }),
      1,
    );
    assert.equal(
      sample(body, "x509_kube_watch_resyncs_total", {
        source_name: "cluster",
        resource: "secrets",
      }),
      0,
    );
    assert.equal(await promtoolCheckMetrics(body), "");
    server.upsert("secrets", tlsSecret("shop", "web-tls", rotated.pem, { team: "payments" }));
    await eventually(
      async () => {
        const b = await exporter.metrics();
        return sample(b, "x509_cert_not_after", {
                secret_name: "web-tls",
                serial_number: "771",
              }) === epoch(rotated.notAfter) &&
            !b.includes('serial_number="257"')
          ? true
          : undefined;
      },
      10_000,
      "rotated Secret",
    );
    server.delete("secrets", "shop", "web-tls");
    await eventually(
      async () => (await exporter.metrics()).includes('secret_name="web-tls"') ? undefined : true,
      10_000,
      "deleted Secret",
    );
  } finally {
    assert.equal(await exporter.stop(), 0);
    await server.close();
  }
});
