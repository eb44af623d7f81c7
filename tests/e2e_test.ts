import assert from "node:assert/strict";
import bcrypt from "bcryptjs";
import { epoch, makeCert, serialDecimal } from "./testing/certs.ts";
import { eventually, sample, startExporter } from "./testing/exporter_process.ts";
import { promtoolCheckMetrics } from "./testing/promtool.ts";

const DAY = 86_400_000;

/** A source for configs whose test is about something else: a config needs one, as upstream's. */
const ANY_SOURCE = "sources: [{ kind: file, name: any, paths: [/nonexistent/any.pem] }]\n";

async function writeConfig(dir: string, body: string): Promise<string> {
  const path = `${dir}/config.yaml`;
  await Deno.writeTextFile(path, `server: { listen: "127.0.0.1:0" }\n${body}`);
  return path;
}

Deno.test("e2e: the exporter process serves exact values for the certificates it was given", async () => {
  const dir = await Deno.makeTempDir({ prefix: "x509-e2e-" });
  const now = Date.now();
  const root = await makeCert({ name: "CN=Root CA, O=Acme", key: "rsa2048", ca: true, days: 3650 });
  const leaf = await makeCert({
    name: "CN=wëb.example, O=Acme+OU=Web",
    key: "p384",
    issuer: root,
    days: 20,
  });
  const expired = await makeCert({
    name: "CN=old",
    key: "ed25519",
    notBefore: new Date(now - 400 * DAY),
    notAfter: new Date(now - DAY),
  });
  const future = await makeCert({
    name: "CN=future",
    notBefore: new Date(now + 10 * DAY),
    notAfter: new Date(now + 400 * DAY),
  });
  const client = await makeCert({ name: "CN=kubernetes-admin, O=system:masters", serial: "00ab" });
  await Deno.mkdir(`${dir}/pki`);
  await Deno.writeTextFile(`${dir}/pki/chain.pem`, leaf.pem + root.pem);
  await Deno.writeTextFile(`${dir}/pki/expired.crt`, expired.pem);
  await Deno.writeTextFile(`${dir}/pki/future.crt`, future.pem);
  await Deno.writeTextFile(
    `${dir}/pki/corrupt.crt`,
    "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n",
  );
  await Deno.writeTextFile(
    `${dir}/admin.conf`,
    `clusters: [{ name: prod, cluster: { certificate-authority-data: ${btoa(root.pem)} } }]\n` +
      `users: [{ name: admin, user: { client-certificate-data: ${btoa(client.pem)} } }]\n`,
  );
  const config = await writeConfig(
    dir,
    `metrics: { exposeRelative: true, exposePerCertError: true, exposeNotBefore: true }
sources:
  - { kind: file, name: pki, paths: [pki/*] }
  - { kind: kubeconfig, name: kubeconfigs, paths: [admin.conf] }
`,
  );
  const exporter = await startExporter(["--config", config]);
  try {
    await eventually(
      async () => (await exporter.get("/readyz")).status === 200 || undefined,
      10_000,
      "/readyz",
    );
    assert.equal((await exporter.get("/healthz")).status, 200);
    const body = await exporter.metrics();
    const chain = `${dir}/pki/chain.pem`;
    assert.equal(
      sample(body, "x509_cert_not_after", {
        filepath: chain,
        subject_CN: "wëb.example",
        issuer_CN: "Root CA",
        subject_OU: "Web",
      }),
      epoch(leaf.notAfter),
    );
    assert.equal(
      sample(body, "x509_cert_not_after", {
        filepath: chain,
        subject_CN: "Root CA",
        serial_number: serialDecimal(root.serialHex),
      }),
      epoch(root.notAfter),
    );
    assert.equal(sample(body, "x509_cert_expired", { filename: "expired.crt" }), 1);
    assert.equal(sample(body, "x509_cert_expired", { filename: "future.crt" }), 0);
    assert.equal(
      sample(body, "x509_cert_not_before", { filename: "future.crt" }),
      epoch(future.notBefore),
    );
    assert.ok(
      sample(body, "x509_cert_valid_since_seconds", { filename: "future.crt" })! < 0,
      "not yet valid",
    );
    const left = sample(body, "x509_cert_expires_in_seconds", { subject_CN: "wëb.example" })!;
    assert.ok(Math.abs(left - 20 * 86400) < 120, `expires in ~20 days, got ${left}`);
    assert.equal(sample(body, "x509_cert_error", { filename: "corrupt.crt" }), 1);
    assert.equal(sample(body, "x509_cert_error", { filename: "expired.crt" }), 0);
    assert.equal(
      sample(body, "x509_cert_not_after", {
        embedded_kind: "user",
        embedded_key: "admin",
        serial_number: "171",
        subject_O: "system:masters",
      }),
      epoch(client.notAfter),
    );
    assert.equal(
      sample(body, "x509_cert_not_after", {
        embedded_kind: "cluster",
        embedded_key: "prod",
        filename: "admin.conf",
      }),
      epoch(root.notAfter),
    );
    assert.equal(sample(body, "x509_source_up", { source_kind: "file", source_name: "pki" }), 1);
    assert.equal(sample(body, "x509_source_bundles", { source_name: "pki" }), 4);
    assert.equal(
      sample(body, "x509_source_errors_total", { source_name: "pki", reason: "bad_pem" }),
      1,
    );
    assert.equal(
      sample(body, "x509_source_errors_total", { source_name: "kubeconfigs", reason: "bad_pem" }),
      0,
    );
    assert.ok(sample(body, "process_resident_memory_bytes", {}) === undefined); // unlabelled: checked below
    assert.match(body, /^process_resident_memory_bytes \d+$/m);
    assert.match(
      body,
      /^x509_exporter_build_info\{version="[^"]+",built="[^"]+",git_commit="[^"]+",revision="[^"]+",deno_version="[^"]+",os="[^"]+",arch="[^"]+"\} 1$/m,
    );
    assert.match(body, /^x509_scrape_duration_seconds_count \d+$/m);
    assert.equal(await promtoolCheckMetrics(body), "");
    const page = await (await exporter.get("/")).text();
    assert.ok(
      page.includes("wëb.example") && page.includes("kubeconfigs"),
      "status page lists certificates and sources",
    );
  } finally {
    assert.equal(await exporter.stop(), 0, "SIGTERM stops cleanly with exit 0");
  }
  assert.match(exporter.stderr(), /msg="Shutting down" signal=SIGTERM/);
});

Deno.test("e2e: a rotated certificate file shows its new value without a restart", async () => {
  const dir = await Deno.makeTempDir({ prefix: "x509-e2e-rot-" });
  const [v1, v2] = await Promise.all([
    makeCert({ serial: "01", days: 10 }),
    makeCert({ serial: "02", days: 90 }),
  ]);
  await Deno.writeTextFile(`${dir}/tls.crt`, v1.pem);
  const config = await writeConfig(
    dir,
    `sources: [{ kind: file, name: tls, paths: [tls.crt], refreshInterval: 200ms }]\n`,
  );
  const exporter = await startExporter(["--config", config]);
  try {
    await eventually(
      async () => sample(await exporter.metrics(), "x509_cert_not_after", { serial_number: "1" }),
      10_000,
      "first value",
    );
    await Deno.writeTextFile(`${dir}/tls.new`, v2.pem);
    await Deno.rename(`${dir}/tls.new`, `${dir}/tls.crt`);
    const rotated = await eventually(
      async () => {
        const body = await exporter.metrics();
        return sample(body, "x509_cert_not_after", { serial_number: "2" }) !== undefined &&
            !body.includes('serial_number="1"')
          ? body
          : undefined;
      },
      10_000,
      "rotated value",
    );
    assert.equal(
      sample(rotated, "x509_cert_not_after", { filename: "tls.crt" }),
      epoch(v2.notAfter),
    );
    await Deno.remove(`${dir}/tls.crt`);
    await eventually(
      async () => (await exporter.metrics()).includes('filename="tls.crt"') ? undefined : true,
      10_000,
      "series removed",
    );
  } finally {
    await exporter.stop();
  }
});

Deno.test("e2e: files and directories the process may not read are permission_denied, the rest still exports", async () => {
  const dir = await Deno.makeTempDir({ prefix: "x509-e2e-perm-" });
  const cert = await makeCert({ serial: "05" });
  await Deno.mkdir(`${dir}/ok`);
  await Deno.mkdir(`${dir}/secret`);
  await Deno.writeTextFile(`${dir}/ok/a.pem`, cert.pem);
  await Deno.writeTextFile(`${dir}/secret/b.pem`, cert.pem);
  const config = await writeConfig(
    dir,
    `sources: [{ kind: file, name: mixed, paths: [ok/a.pem, secret/b.pem, "secret/*.crt"] }]\n`,
  );
  // Deno's sandbox stands in for file modes, which root (CI) would bypass.
  const exporter = await startExporter(["--config", config], {
    permissions: [`--allow-read=${config},${dir}/ok`, "--allow-net", "--allow-env", "--allow-sys"],
  });
  try {
    const body = await eventually(async () => {
      const b = await exporter.metrics();
      return sample(b, "x509_cert_not_after", { filename: "a.pem" }) ? b : undefined;
    });
    // The file and the directory its glob walks: upstream's reason for both.
    assert.equal(sample(body, "x509_source_errors_total", { reason: "permission_denied" }), 2);
    assert.equal(sample(body, "x509_source_errors_total", { reason: "walk_error" }), 0);
    assert.equal(sample(body, "x509_source_up", { source_name: "mixed" }), 0);
    assert.match(exporter.stderr(), /reason=permission_denied/);
  } finally {
    await exporter.stop();
  }
});

Deno.test("e2e: --config.check exits 0 on a valid file and 1 naming file, line and key on an invalid one", async () => {
  const dir = await Deno.makeTempDir({ prefix: "x509-e2e-check-" });
  const good = await writeConfig(
    dir,
    "sources: [{ kind: file, name: a, paths: [/etc/ssl/certs] }]\n",
  );
  const bad = `${dir}/bad.yaml`;
  await Deno.writeTextFile(bad, "sources:\n  - kind: file\n    name: a\n    pathz: [/x]\n");
  const run = async (file: string) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        "--allow-read",
        "--allow-env",
        "--allow-net",
        "--allow-sys",
        new URL("../main.ts", import.meta.url).pathname,
        "--config.check",
        "--config",
        file,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    return {
      code: out.code,
      text: new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr),
    };
  };
  const ok = await run(good);
  assert.equal(ok.code, 0, ok.text);
  const ko = await run(bad);
  assert.equal(ko.code, 1);
  // The missing key is the error; the typo beside it, which upstream ignores, its warning.
  assert.ok(
    ko.text.includes(`${bad}:2:5: sources[0].paths: Missing required key "paths"`),
    ko.text,
  );
  assert.ok(
    ko.text.includes(
      `${bad}:4:5: sources[0].pathz: Unknown key "pathz" is ignored (did you mean "paths"?)`,
    ),
    ko.text,
  );
});

Deno.test("e2e: with no configuration at all it watches the standard locations that exist here", async () => {
  const home = await Deno.makeTempDir({ prefix: "x509-e2e-home-" });
  const exists = async (p: string) => await Deno.stat(p).then(() => true, () => false);
  const trust = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
  ];
  const present: string[] = [];
  for (const p of trust) if (await exists(p)) present.push(p);
  const exporter = await startExporter(["--listen-address", "127.0.0.1:0"], {
    env: { HOME: home, XDG_CONFIG_HOME: home },
  });
  try {
    assert.match(exporter.stderr(), /No configuration given/);
    if (present.length > 0) {
      const body = await eventually(async () => {
        const b = await exporter.metrics();
        return b.includes(`filepath="${present[0]}"`) ? b : undefined;
      });
      assert.ok(sample(body, "x509_source_bundles", { source_name: "system-trust-store" })! >= 1);
    }
  } finally {
    await exporter.stop();
  }
});

Deno.test("e2e: basic auth from a web config protects /metrics, and the probe listener stays open", async () => {
  const dir = await Deno.makeTempDir({ prefix: "x509-e2e-auth-" });
  const hash = bcrypt.hashSync("s3cret", 4);
  await Deno.writeTextFile(`${dir}/web.yaml`, `basic_auth_users:\n  prom: "${hash}"\n`);
  const config = await writeConfig(dir, "");
  await Deno.writeTextFile(
    config,
    `server: { listen: "127.0.0.1:0", webConfigFile: web.yaml, probeListen: "127.0.0.1:0" }\n` +
      ANY_SOURCE,
  );
  const exporter = await startExporter(["--config", config]);
  try {
    assert.equal((await exporter.get("/metrics")).status, 401);
    const res = await exporter.get("/metrics", {
      headers: { authorization: `Basic ${btoa("prom:wrong")}` },
    });
    assert.equal(res.status, 401);
    await res.body?.cancel();
    const good = await exporter.get("/metrics", {
      headers: { authorization: `Basic ${btoa("prom:s3cret")}` },
    });
    assert.equal(good.status, 200);
    assert.match(await good.text(), /^x509_exporter_build_info/m);
    const probe = /msg="Probe listener" address=(\S+)/.exec(exporter.stderr())?.[1];
    assert.ok(probe, exporter.stderr());
    assert.equal((await fetch(probe.replace("0.0.0.0", "127.0.0.1") + "/healthz")).status, 200);
  } finally {
    await exporter.stop();
  }
});

Deno.test("e2e: a broken web config fails the check and the startup naming its file; a taken port is one clear line", async () => {
  const dir = await Deno.makeTempDir({ prefix: "x509-e2e-web-" });
  await Deno.writeTextFile(`${dir}/web.yaml`, "basic_auth_users:\n  prom: not-a-bcrypt-hash\n");
  const main = new URL("../main.ts", import.meta.url).pathname;
  const run = async (args: string[]) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        "--allow-read",
        "--allow-net",
        "--allow-env",
        "--allow-sys",
        main,
        ...args,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    return {
      code: out.code,
      text: new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr),
    };
  };
  await Deno.writeTextFile(
    `${dir}/config.yaml`,
    `server: { listen: "127.0.0.1:0", webConfigFile: web.yaml }\n${ANY_SOURCE}`,
  );
  for (
    const args of [["--config.check", "--config", `${dir}/config.yaml`], [
      "--config",
      `${dir}/config.yaml`,
    ]]
  ) {
    const r = await run(args);
    assert.equal(r.code, 1);
    assert.match(r.text, new RegExp(`${dir}/web.yaml:2:\\d+: basic_auth_users.prom`));
  }
  const blocker = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    await Deno.writeTextFile(
      `${dir}/taken.yaml`,
      `server: { listen: "127.0.0.1:${(blocker.addr as Deno.NetAddr).port}" }\n${ANY_SOURCE}`,
    );
    const r = await run(["--config", `${dir}/taken.yaml`]);
    assert.equal(r.code, 1);
    assert.match(r.text, /level=error msg="Cannot listen"/);
    assert.equal(r.text.includes("    at "), false, "no stack trace");
  } finally {
    blocker.close();
  }
});

Deno.test("e2e: /metrics is gzip for clients that ask (curl --compressed) and the same text for those that do not", async () => {
  const dir = await Deno.makeTempDir({ prefix: "x509-e2e-gz-" });
  const certs = await Promise.all(
    Array.from({ length: 30 }, (_, i) => makeCert({ name: `CN=svc-${i}.example`, days: 10 + i })),
  );
  for (const [i, c] of certs.entries()) await Deno.writeTextFile(`${dir}/c${i}.pem`, c.pem);
  const config = await writeConfig(dir, `sources: [{ kind: file, name: pki, paths: ["*.pem"] }]\n`);
  const exporter = await startExporter(["--config", config]);
  const curl = async (...args: string[]) => {
    const out = await new Deno.Command("curl", {
      args: ["-sS", "--dump-header", "-", ...args, `${exporter.url}/metrics`],
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const text = new TextDecoder().decode(out.stdout);
    const split = text.indexOf("\r\n\r\n");
    return { headers: text.slice(0, split).toLowerCase(), body: text.slice(split + 4) };
  };
  const certLines = (body: string) =>
    body.split("\n").filter((l) => l.startsWith("x509_cert_")).join("\n");
  try {
    await eventually(
      async () => countLines(await exporter.metrics(), "x509_cert_not_after") === 30 || undefined,
      10_000,
      "30 certificates",
    );
    const gz = await curl("--compressed");
    const plain = await curl();
    assert.match(gz.headers, /content-encoding: gzip/);
    assert.doesNotMatch(plain.headers, /content-encoding/);
    assert.match(plain.headers, /vary: accept-encoding/);
    // The text is inflated from the cached body as it is sent, whose length is known up front.
    const plainLength = Number(/content-length: (\d+)/.exec(plain.headers)?.[1]);
    assert.equal(plainLength, new TextEncoder().encode(plain.body).length);
    const gzLength = Number(/content-length: (\d+)/.exec(gz.headers)?.[1]);
    assert.ok(gzLength > 0, "the gzip body's length is known");
    assert.equal(countLines(gz.body, "x509_cert_not_after"), 30);
    assert.equal(certLines(gz.body), certLines(plain.body));
    // The fresh families come first, the certificate families last, in both encodings.
    assert.ok(gz.body.indexOf("x509_source_up") < gz.body.indexOf("x509_cert_not_after"));
    const head = await curl("--head");
    assert.match(head.headers, /^http\/1\.1 200/);
    assert.equal(head.body.trim(), "", "HEAD sends no body");
  } finally {
    await exporter.stop();
  }
});

function countLines(body: string, name: string): number {
  return body.split("\n").filter((l) => l.startsWith(`${name}{`)).length;
}
