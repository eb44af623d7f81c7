import { summary } from "./testing/items.ts";
import assert from "node:assert/strict";
import { sourceSpec } from "../src/config/load.ts";
import { KubeconfigSource, parseEntries } from "../src/sources/kubeconfig.ts";
import { Store } from "../src/store.ts";
import { makeCert } from "./testing/certs.ts";
import { sourceDeps } from "./testing/sources.ts";

const b64 = (s: string) => btoa(s);

async function setup(kubeconfig: (dir: string) => Promise<string>) {
  const dir = await Deno.makeTempDir({ prefix: "x509-kc-" });
  await Deno.writeTextFile(`${dir}/admin.conf`, await kubeconfig(dir));
  const store = new Store();
  const src = new KubeconfigSource({
    ...sourceDeps(store),
    spec: sourceSpec({ kind: "kubeconfig", name: "kc", paths: [`${dir}/*.conf`] }),
  });
  const view = () => {
    const out: Record<string, { loc: string; items: string[] }> = {};
    for (const b of store.sources().next().value!.bundles.values()) {
      out[b.ref.slice(dir.length)] = {
        loc: `${b.location.embeddedKind ?? ""}/${b.location.embeddedKey ?? ""}`,
        items: b.items.map(summary),
      };
    }
    return out;
  };
  return { dir, src, view };
}

Deno.test("KubeconfigSource reads embedded and file-referenced certificates of clusters and users", async () => {
  const [ca, admin, ca2] = await Promise.all([
    makeCert({ serial: "01" }),
    makeCert({ serial: "02" }),
    makeCert({ serial: "03" }),
  ]);
  const { src, view } = await setup(async (dir) => {
    await Deno.mkdir(`${dir}/pki`);
    await Deno.writeTextFile(`${dir}/pki/ca2.crt`, ca2.pem);
    return `apiVersion: v1
kind: Config
clusters:
  - name: prod
    cluster: { server: https://x, certificate-authority-data: ${b64(ca.pem)} }
  - name: staging
    cluster: { server: https://y, certificate-authority: pki/ca2.crt }
  - name: insecure
    cluster: { server: https://z, insecure-skip-tls-verify: true }
users:
  - name: admin
    user: { client-certificate-data: ${b64(admin.pem)}, client-key-data: AAAA }
  - name: gone
    user: { client-certificate: /nonexistent/client.crt }
  - name: token
    user: { token: abc }
`;
  });
  await src.sync();
  assert.deepEqual(view(), {
    "/admin.conf#cluster/prod": { loc: "cluster/prod", items: ["1"] },
    "/admin.conf#cluster/staging": { loc: "cluster/staging", items: ["3"] },
    "/admin.conf#user/admin": { loc: "user/admin", items: ["2"] },
    // Upstream's reason for a referenced file that cannot be read, missing or not.
    "/admin.conf#user/gone": { loc: "user/gone", items: ["read_failed"] },
  });
});

Deno.test("KubeconfigSource reports a kubeconfig that is not YAML as decode_failed and recovers", async () => {
  const ca = await makeCert({ serial: "07" });
  const { dir, src, view } = await setup(() => Promise.resolve("clusters: [unclosed"));
  await src.sync();
  assert.deepEqual(view(), { "/admin.conf": { loc: "/", items: ["decode_failed"] } });
  await Deno.writeTextFile(
    `${dir}/admin.conf`,
    `clusters: [{ name: c, cluster: { certificate-authority-data: ${b64(ca.pem)} } }]\n`,
  );
  await src.sync();
  assert.deepEqual(view(), { "/admin.conf#cluster/c": { loc: "cluster/c", items: ["7"] } });
});

Deno.test("KubeconfigSource notices a rotated referenced certificate file", async () => {
  const [v1, v2] = await Promise.all([makeCert({ serial: "01" }), makeCert({ serial: "02" })]);
  const { dir, src, view } = await setup(async (d) => {
    await Deno.writeTextFile(`${d}/client.crt`, v1.pem);
    return "users: [{ name: u, user: { client-certificate: client.crt } }]\n";
  });
  await src.sync();
  await Deno.writeTextFile(`${dir}/client.new`, v2.pem);
  await Deno.rename(`${dir}/client.new`, `${dir}/client.crt`);
  await src.sync();
  assert.deepEqual(view()["/admin.conf#user/u"]?.items, ["2"]);
});

Deno.test("parseEntries() rejects documents that are not mappings", () => {
  assert.throws(() => parseEntries("- a\n- b\n"), SyntaxError);
  assert.deepEqual(parseEntries("kind: Config\n"), []);
});
