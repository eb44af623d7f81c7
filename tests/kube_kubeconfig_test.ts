import assert from "node:assert/strict";
import { loadKubeconfig } from "../src/kube/kubeconfig.ts";
import { NotRegularFileError } from "../src/fs.ts";

const b64 = (s: string) => btoa(s);

async function dir(files: Record<string, string>): Promise<string> {
  const d = await Deno.makeTempDir({ prefix: "x509-kc-" });
  for (const [name, text] of Object.entries(files)) {
    await Deno.mkdir(`${d}/${name}`.replace(/\/[^/]*$/, ""), { recursive: true });
    await Deno.writeTextFile(`${d}/${name}`, text);
  }
  return d;
}

const noEnv = () => undefined;

Deno.test("loadKubeconfig() resolves the current context, inline data and paths relative to the kubeconfig", async () => {
  const d = await dir({
    "pki/ca.crt": "CA PEM",
    "pki/client.key": "KEY PEM",
    "config": `current-context: prod
contexts:
  - { name: prod, context: { cluster: c1, user: u1 } }
  - { name: dev, context: { cluster: c2, user: u2 } }
clusters:
  - { name: c1, cluster: { server: "https://prod.example:6443/", certificate-authority: pki/ca.crt } }
  - { name: c2, cluster: { server: "https://dev.example", certificate-authority-data: ${
      b64("DEV CA")
    } } }
users:
  - { name: u1, user: { client-certificate-data: ${
      b64("CERT PEM")
    }, client-key: pki/client.key, as: auditor } }
  - { name: u2, user: { token: s3cret } }
`,
  });
  const prod = loadKubeconfig({ maxFileBytes: 1 << 20, kubeconfig: `${d}/config`, env: noEnv });
  assert.equal(prod.server, "https://prod.example:6443");
  assert.equal(prod.caPem, "CA PEM");
  assert.equal(prod.certPem, "CERT PEM");
  assert.equal(prod.keyPem, "KEY PEM");
  assert.deepEqual(await prod.headers(), { "Impersonate-User": "auditor" });
  const dev = loadKubeconfig({
    maxFileBytes: 1 << 20,
    kubeconfig: `${d}/config`,
    context: "dev",
    env: noEnv,
  });
  assert.equal(dev.caPem, "DEV CA");
  assert.deepEqual(await dev.headers(), { Authorization: "Bearer s3cret" });
  assert.throws(
    () =>
      loadKubeconfig({
        maxFileBytes: 1 << 20,
        kubeconfig: `${d}/config`,
        context: "nope",
        env: noEnv,
      }),
    /Context "nope" not found/,
  );
});

Deno.test("loadKubeconfig() merges a KUBECONFIG list: the first file that names an entry wins", async () => {
  const d = await dir({
    "a": `current-context: ctx\nusers: [{ name: u, user: { tokenFile: token } }]\n`,
    "b":
      `current-context: other\ncontexts: [{ name: ctx, context: { cluster: c, user: u } }]\nclusters: [{ name: c, cluster: { server: "http://127.0.0.1:1" } }]\nusers: [{ name: u, user: { token: from-b } }]\n`,
    "token": "from-a-file\n",
  });
  const env = (n: string) => (n === "KUBECONFIG" ? `${d}/a:${d}/missing:${d}/b` : undefined);
  const t = loadKubeconfig({ maxFileBytes: 1 << 20, env });
  assert.equal(t.server, "http://127.0.0.1:1");
  assert.deepEqual(await t.headers(), { Authorization: "Bearer from-a-file" });
});

Deno.test("loadKubeconfig() uses the in-cluster service account when no kubeconfig is named", async () => {
  const sa = await dir({ "token": "pod-token\n", "ca.crt": "CLUSTER CA" });
  const env = (n: string) =>
    ({
      KUBERNETES_SERVICE_HOST: "fd00::1",
      KUBERNETES_SERVICE_PORT: "443",
      HOME: "/nonexistent",
    } as Record<string, string>)[n];
  const t = loadKubeconfig({ maxFileBytes: 1 << 20, env, serviceAccountDir: sa });
  assert.equal(t.server, "https://[fd00::1]:443");
  assert.equal(t.caPem, "CLUSTER CA");
  assert.deepEqual(await t.headers(), { Authorization: "Bearer pod-token" });
});

Deno.test("loadKubeconfig() runs exec credential plugins through client-node", async () => {
  const d = await dir({
    "cred.sh":
      `#!/bin/sh\necho '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"from-exec"}}'\n`,
  });
  await Deno.chmod(`${d}/cred.sh`, 0o755);
  await Deno.writeTextFile(
    `${d}/config`,
    `current-context: x
contexts: [{ name: x, context: { cluster: c, user: u } }]
clusters: [{ name: c, cluster: { server: "https://api.example" } }]
users:
  - name: u
    user:
      exec: { apiVersion: client.authentication.k8s.io/v1, command: ${d}/cred.sh, interactiveMode: Never }
`,
  );
  const t = loadKubeconfig({ maxFileBytes: 1 << 20, kubeconfig: `${d}/config`, env: noEnv });
  assert.deepEqual(await t.headers(), { Authorization: "Bearer from-exec" });
});

Deno.test("loadKubeconfig() refuses a device, a FIFO or an oversized file at once, never reading it", async () => {
  const cluster = (ca: string) =>
    `current-context: x\ncontexts: [{ name: x, context: { cluster: c } }]\nclusters: [{ name: c, cluster: { server: "https://127.0.0.1:1", certificate-authority: ${ca} } }]\n`;
  const d = await dir({ "zero": cluster("/dev/zero"), "big": "# " + "x".repeat(2048) + "\n" });
  await Deno.writeTextFile(`${d}/fifo`, cluster(`${d}/ca.fifo`));
  const mk = await new Deno.Command("mkfifo", { args: [`${d}/ca.fifo`] }).output();
  assert.ok(mk.success);
  const started = performance.now();
  assert.throws(
    () => loadKubeconfig({ maxFileBytes: 1 << 20, kubeconfig: `${d}/zero`, env: noEnv }),
    NotRegularFileError,
  );
  assert.throws(
    () => loadKubeconfig({ maxFileBytes: 1 << 20, kubeconfig: `${d}/fifo`, env: noEnv }),
    NotRegularFileError,
  );
  assert.throws(
    () => loadKubeconfig({ maxFileBytes: 1024, kubeconfig: `${d}/big`, env: noEnv }),
    /over the limit of 1024/,
  );
  assert.ok(performance.now() - started < 1000, "nothing was read or waited on");
});
