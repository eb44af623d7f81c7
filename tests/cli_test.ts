/**
 * `list` and `inspect` end to end: `deno run` of main.ts with the binary's
 * permissions, as a user would run them.
 */
import assert from "node:assert/strict";
import { PERMISSION_FLAGS } from "../scripts/flags.ts";
import { makeCert } from "./testing/certs.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const o = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...PERMISSION_FLAGS, MAIN, ...args],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const d = new TextDecoder();
  return { code: o.code, out: d.decode(o.stdout), err: d.decode(o.stderr) };
}

async function tree() {
  const dir = await Deno.makeTempDir();
  const root = await makeCert({ name: "CN=CLI Root", key: "rsa2048", ca: true, days: 3650 });
  const inter = await makeCert({
    name: "CN=CLI Int",
    key: "p384",
    ca: true,
    issuer: root,
    days: 10,
  });
  const leaf = await makeCert({
    name: "CN=web.example",
    issuer: inter,
    days: 200,
    dnsNames: ["web.example"],
  });
  const later = await makeCert({ name: "CN=later.example", days: 90 });
  await Deno.writeTextFile(`${dir}/web.pem`, leaf.pem + inter.pem);
  await Deno.writeTextFile(`${dir}/later.pem`, later.pem);
  await Deno.writeTextFile(`${dir}/root.pem`, root.pem);
  return { dir, root, leaf };
}

Deno.test("list sorts certificates by expiry and exits 1 when one expires within the window", async () => {
  const { dir } = await tree();
  try {
    const r = await run("list", "--expiring", "30d", `${dir}/web.pem`, `${dir}/later.pem`);
    assert.equal(r.code, 1, r.err);
    const lines = r.out.trim().split("\n");
    assert.match(lines[0]!, /^DAYS\s+NOT AFTER \(UTC\)\s+SUBJECT\s+ISSUER\s+SOURCE\s+LOCATION$/);
    assert.deepEqual(lines.slice(1, 4).map((l) => l.split(/\s{2,}/)[2]), [
      "CLI Int",
      "later.example",
      "web.example",
    ]);
    assert.match(r.out, /3 certificate\(s\), 1 expiring within 30d/);
    // A week's window: nothing expires in it.
    assert.equal((await run("list", "--expiring", "1w", dir)).code, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("list --output json and --config scan the configured sources, missing files reported", async () => {
  const { dir } = await tree();
  try {
    await Deno.writeTextFile(
      `${dir}/config.yaml`,
      `sources:\n  - { kind: file, name: pki, paths: ["*.pem", missing.pem] }\n`,
    );
    const r = await run(
      "list",
      "--config",
      `${dir}/config.yaml`,
      "--output",
      "json",
      "--expiring",
      "5d",
    );
    assert.equal(r.code, 0, r.err);
    const doc = JSON.parse(r.out);
    assert.equal(doc.certificates.length, 4);
    assert.equal(doc.certificates[0].subject, "CLI Int");
    assert.deepEqual(doc.certificates.at(-1).sans, []);
    assert.equal(
      doc.certificates.find((c: { subject: string }) => c.subject === "web.example").keyType,
      "ecdsa",
    );
    assert.deepEqual(doc.errors.map((e: { reason: string }) => e.reason), ["not_found"]);
    const bad = await run("list", "--expiring", "soon");
    assert.equal(bad.code, 2);
    assert.match(bad.err, /Not a duration: soon/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("inspect prints each certificate with its chain as a tree", async () => {
  const { dir } = await tree();
  try {
    const r = await run("inspect", "--roots", `${dir}/root.pem`, `${dir}/web.pem`);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^\[1\] web\.example$/m);
    assert.match(r.out, /^ {2}SANs {7}web\.example$/m);
    assert.match(r.out, /^ {2}key {8}ecdsa 256, signed ECDSA-SHA384$/m);
    assert.match(r.out, /^ {2}chain {6}verified$/m);
    assert.match(
      r.out,
      /^ {4}web\.example \(\d+ days left\)\n {4}└─ CLI Int \(\d+ days left\)\n {7}└─ CLI Root \(\d+ days left\) \[trusted root\]$/m,
    );
    assert.match(r.out, /^\[2\] CLI Int$/m);
    // Without the root: the path stops, and says why.
    const alone = await run("inspect", `${dir}/web.pem`);
    assert.match(alone.out, /chain {6}not verified/);
    assert.match(alone.out, /└─ ✗ issuer_not_found: No certificate of CN=CLI Root/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("inspect reads a kubeconfig's embedded certificates", async () => {
  const { dir, root, leaf } = await tree();
  try {
    const b64 = (pem: string) => btoa(pem);
    await Deno.writeTextFile(
      `${dir}/kubeconfig`,
      `apiVersion: v1
kind: Config
clusters:
  - name: prod
    cluster: { server: "https://127.0.0.1:6443", certificate-authority-data: ${b64(root.pem)} }
users:
  - name: admin
    user: { client-certificate-data: ${b64(leaf.pem)} }
`,
    );
    const r = await run("inspect", `${dir}/kubeconfig`);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^== cluster prod$/m);
    assert.match(r.out, /^== user admin$/m);
    assert.match(r.out, /\[1\] CLI Root/);
    assert.match(r.out, /\[2\] web\.example/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
