/**
 * install.sh end to end: a local HTTP server serves a release directory made
 * here, and the script installs into a temporary root (DESTDIR), so nothing on
 * this host is touched and systemctl is never run. The "binary" served is an
 * installer fixture (a two-line shell script), not a compiled exporter: the
 * installer only downloads, verifies and places it.
 */
import assert from "node:assert/strict";
import {
  ASSET,
  BIN,
  CONFIG,
  FIXTURE,
  INSTALL_SH,
  installer,
  ROOT,
  sha256Hex,
  SUPPORTED,
  tree,
  UNIT_PATH,
  withRoot,
} from "./testing/install_release.ts";

const UNIT = `${ROOT}packaging/x509-certificate-exporter.service`;

async function goodRelease(): Promise<Record<string, string>> {
  return {
    [ASSET]: FIXTURE,
    "SHA256SUMS": `${await sha256Hex("other")}  x509-certificate-exporter-other-os\n` +
      `${await sha256Hex(FIXTURE)}  ${ASSET}\n`,
  };
}

Deno.test({
  name: "install.sh installs a verified binary, a starter config and the unit into a root",
  ignore: !SUPPORTED,
  fn: () =>
    withRoot(goodRelease(), async (root, release) => {
      const run = await installer(["--destdir", root, "--base-url", release.baseUrl]);
      assert.equal(run.code, 0, run.output);
      assert.deepEqual(tree(root), [CONFIG, UNIT_PATH, BIN].sort());
      assert.equal(await Deno.readTextFile(`${root}/${BIN}`), FIXTURE);
      assert.equal((await Deno.stat(`${root}/${BIN}`)).mode! & 0o777, 0o755);
      const config = await Deno.readTextFile(`${root}/${CONFIG}`);
      assert.match(config, /^server:\n {2}listen: ":9793"$/m);
      // The embedded default's sources: the trust store as its own source, one bundle file
      // (never /etc/ssl/certs/*, which counts every root three times).
      assert.match(config, /name: system-trust-store/);
      assert.doesNotMatch(config, /^\s*- \/etc\/ssl\/certs\/?$/m);
      assert.equal(await Deno.readTextFile(`${root}/${UNIT_PATH}`), await Deno.readTextFile(UNIT));
      assert.deepEqual(release.requests.sort(), ["SHA256SUMS", ASSET].sort());
      assert.match(run.output, /Verified x509-certificate-exporter-/);
      assert.ok(!run.output.includes("systemctl"), "no systemctl in a DESTDIR install");
    }),
});

Deno.test({
  name: "install.sh refuses a checksum mismatch and installs nothing",
  ignore: !SUPPORTED,
  fn: () =>
    withRoot(
      goodRelease().then((files) => ({ ...files, [ASSET]: FIXTURE + "tampered\n" })),
      async (root, release) => {
        const run = await installer(["--destdir", root], {
          X509_EXPORTER_BASE_URL: release.baseUrl,
        });
        assert.equal(run.code, 1, run.output);
        assert.match(
          run.output,
          /checksum mismatch for x509-certificate-exporter-\S+ .*nothing installed/,
        );
        assert.deepEqual(tree(root), []);
      },
    ),
});

Deno.test({
  name: "install.sh refuses an asset that SHA256SUMS does not list",
  ignore: !SUPPORTED,
  fn: () =>
    withRoot(
      goodRelease().then((files) => ({ ...files, SHA256SUMS: "00  something-else\n" })),
      async (root, release) => {
        const run = await installer(["--destdir", root, "--base-url", release.baseUrl]);
        assert.equal(run.code, 1, run.output);
        assert.match(run.output, /SHA256SUMS has no line for x509-certificate-exporter-/);
        assert.deepEqual(tree(root), []);
      },
    ),
});

Deno.test({
  name: "install.sh fails clearly when the release has no asset for this platform",
  ignore: !SUPPORTED,
  fn: () =>
    withRoot({ SHA256SUMS: "" }, async (root, release) => {
      const run = await installer(["--destdir", root, "--base-url", release.baseUrl]);
      assert.equal(run.code, 1, run.output);
      assert.match(run.output, /cannot download http:\/\/127\.0\.0\.1:\d+\/v9\.9\.9\/x509-/);
      assert.deepEqual(tree(root), []);
    }),
});

Deno.test({
  name: "install.sh --dry-run prints the plan and changes and downloads nothing",
  ignore: !SUPPORTED,
  fn: () =>
    withRoot(goodRelease(), async (root, release) => {
      const run = await installer(["--dry-run", "--destdir", root, "--base-url", release.baseUrl]);
      assert.equal(run.code, 0, run.output);
      assert.deepEqual(tree(root), []);
      assert.deepEqual(release.requests, []);
      assert.ok(run.output.includes(`would download: ${release.baseUrl}/${ASSET}`), run.output);
      assert.ok(run.output.includes(`would install: ${root}/${BIN}`), run.output);
      assert.ok(run.output.includes(`would write: ${root}/${CONFIG}`), run.output);
      assert.ok(run.output.includes(`would write: ${root}/${UNIT_PATH}`), run.output);
    }),
});

Deno.test({
  name: "install.sh keeps a config that is already there",
  ignore: !SUPPORTED,
  fn: () =>
    withRoot(goodRelease(), async (root, release) => {
      const mine = 'server:\n  listen: ":19793"\nsources: []\n';
      await Deno.mkdir(`${root}/etc/x509-certificate-exporter`, { recursive: true });
      await Deno.writeTextFile(`${root}/${CONFIG}`, mine);
      const run = await installer(["--destdir", root, "--base-url", release.baseUrl]);
      assert.equal(run.code, 0, run.output);
      assert.equal(await Deno.readTextFile(`${root}/${CONFIG}`), mine);
      assert.equal(await Deno.readTextFile(`${root}/${BIN}`), FIXTURE);
      assert.match(run.output, /Kept the existing .*config\.yaml/);
    }),
});

Deno.test({
  name: "install.sh --uninstall removes the binary and unit, --purge the config too",
  ignore: !SUPPORTED,
  fn: () =>
    withRoot(goodRelease(), async (root, release) => {
      assert.equal((await installer(["--destdir", root, "--base-url", release.baseUrl])).code, 0);
      const dry = await installer(["--uninstall", "--dry-run", "--destdir", root]);
      assert.equal(dry.code, 0, dry.output);
      assert.deepEqual(tree(root), [CONFIG, UNIT_PATH, BIN].sort());
      const run = await installer(["--uninstall", "--destdir", root]);
      assert.equal(run.code, 0, run.output);
      assert.deepEqual(tree(root), [CONFIG]);
      const purge = await installer(["--uninstall", "--purge", "--destdir", root]);
      assert.equal(purge.code, 0, purge.output);
      assert.deepEqual(tree(root), []);
    }),
});

Deno.test({
  name: "install.sh --prefix points the binary and the unit's ExecStart at the prefix",
  ignore: !SUPPORTED,
  fn: () =>
    withRoot(goodRelease(), async (root, release) => {
      const run = await installer([
        "--destdir",
        root,
        "--prefix",
        "/opt/x509",
        "--base-url",
        release.baseUrl,
      ]);
      assert.equal(run.code, 0, run.output);
      assert.equal(
        await Deno.readTextFile(`${root}/opt/x509/bin/x509-certificate-exporter`),
        FIXTURE,
      );
      const unit = await Deno.readTextFile(`${root}/${UNIT_PATH}`);
      assert.match(unit, /^ExecStart=\/opt\/x509\/bin\/x509-certificate-exporter --config /m);
    }),
});

Deno.test("install.sh embeds exactly packaging/x509-certificate-exporter.service", async () => {
  const script = await Deno.readTextFile(INSTALL_SH);
  const embedded = script.match(/<<'UNIT'[^\n]*\n([\s\S]*?)\nUNIT\n/)?.[1];
  assert.equal(embedded + "\n", await Deno.readTextFile(UNIT));
});

Deno.test("the unit is hardened and runs the exporter with the installed config", async () => {
  const unit = await Deno.readTextFile(UNIT);
  const directives = new Map<string, string>();
  for (const line of unit.split("\n")) {
    const m = line.match(/^(\w+)=(.*)$/);
    if (m) directives.set(m[1]!, m[2]!);
  }
  const expected: Record<string, string | RegExp> = {
    ExecStart:
      "/usr/local/bin/x509-certificate-exporter --config /etc/x509-certificate-exporter/config.yaml",
    DynamicUser: "yes",
    ProtectSystem: "strict",
    ProtectHome: "yes",
    ReadOnlyPaths: /(^| )-?\/etc\/ssl( |$)/,
    NoNewPrivileges: "yes",
    PrivateTmp: "yes",
    ProtectKernelTunables: "yes",
    ProtectKernelModules: "yes",
    ProtectKernelLogs: "yes",
    RestrictAddressFamilies: "AF_INET AF_INET6 AF_UNIX",
    Restart: "on-failure",
    WantedBy: "multi-user.target",
  };
  for (const [key, value] of Object.entries(expected)) {
    const actual = directives.get(key);
    assert.ok(actual !== undefined, `missing ${key}=`);
    if (typeof value === "string") assert.equal(actual, value, key);
    else assert.match(actual, value, key);
  }
  assert.ok(!directives.has("MemoryDenyWriteExecute"), "V8's JIT needs W+X memory");
});

async function which(tool: string): Promise<boolean> {
  const out = await new Deno.Command("sh", { args: ["-c", `command -v ${tool}`], stdout: "null" })
    .output();
  return out.success;
}

Deno.test("systemd-analyze verify accepts the installed unit", async (t) => {
  if (!await which("systemd-analyze")) {
    console.log("skipped: systemd-analyze is not installed (apt-get install systemd)");
    return;
  }
  const dir = await Deno.makeTempDir({ prefix: "x509-unit-" });
  try {
    // verify checks that ExecStart's binary exists: point it at an executable stand-in.
    const stand_in = `${dir}/x509-certificate-exporter`;
    await Deno.writeTextFile(stand_in, FIXTURE, { mode: 0o755 });
    const unit = (await Deno.readTextFile(UNIT)).replace(
      "/usr/local/bin/x509-certificate-exporter",
      stand_in,
    );
    const unitPath = `${dir}/x509-certificate-exporter.service`;
    await Deno.writeTextFile(unitPath, unit);
    const verify = await new Deno.Command("systemd-analyze", {
      args: ["verify", unitPath],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const said = new TextDecoder().decode(verify.stderr) + new TextDecoder().decode(verify.stdout);
    assert.equal(verify.code, 0, said);
    assert.equal(said.trim(), "", "systemd-analyze verify must have nothing to say");

    await t.step("and rates its exposure at most 4.0 of 10", async () => {
      const security = await new Deno.Command("systemd-analyze", {
        args: ["security", "--offline=true", "--threshold=40", unitPath],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(security.stdout);
      if (!text.includes("Overall exposure level")) {
        console.log("skipped: this systemd-analyze has no offline security check");
        return;
      }
      assert.equal(security.code, 0, text.split("\n").slice(-3).join("\n"));
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("install.sh is POSIX sh: sh -n, dash -n and shellcheck find nothing", async () => {
  const checks: [string, string[]][] = [
    ["sh", ["-n", INSTALL_SH]],
    ["dash", ["-n", INSTALL_SH]],
    ["shellcheck", ["--shell=sh", "--severity=style", INSTALL_SH]],
  ];
  let ran = 0;
  for (const [tool, args] of checks) {
    if (!await which(tool)) {
      console.log(`skipped ${tool}: not installed (apt-get install ${tool})`);
      continue;
    }
    const out = await new Deno.Command(tool, { args, stdout: "piped", stderr: "piped" }).output();
    const said = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, `${tool}: ${said}`);
    ran++;
  }
  assert.ok(ran >= 1);
});
