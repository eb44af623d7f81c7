/**
 * How the systemd unit reads certbot's tree without root: the unit's dynamic
 * user is in the group x509-exporter, and install.sh gives that group r-x on
 * /etc/letsencrypt/live and archive (0700 root as certbot makes them), with a
 * group ACL, or group ownership where setfacl is missing. Run against
 * temporary roots; getent, groupadd and setfacl are stand-ins that record
 * their calls, so this host's accounts are never touched. Also: the unit's
 * system-call filter lets the exporter run, and its exposure score.
 */
import assert from "node:assert/strict";
import {
  CONFIG,
  FIXTURE,
  hasCommand,
  installer,
  release,
  ROOT,
  SUPPORTED,
  toolPath,
  UNIT_PATH,
  withRoot,
} from "./testing/install_release.ts";

const UNIT = `${ROOT}packaging/x509-certificate-exporter.service`;
const SYSUSERS = `${ROOT}packaging/x509-certificate-exporter.sysusers`;
const IS_ROOT = Deno.uid() === 0;
const FOUND_GROUP = 'echo "x509-exporter:x:4242:"';

/** certbot's tree as it makes it: live/ and archive/ 0700, lineages 0755, keys 0600. */
async function certbotTree(root: string): Promise<string> {
  const le = `${root}/etc/letsencrypt`;
  await Deno.mkdir(`${le}/archive/example.org`, { recursive: true });
  await Deno.mkdir(`${le}/live/example.org`, { recursive: true });
  await Deno.chmod(`${le}/archive`, 0o700);
  await Deno.chmod(`${le}/live`, 0o700);
  await Deno.writeTextFile(`${le}/archive/example.org/cert1.pem`, "cert", { mode: 0o644 });
  await Deno.writeTextFile(`${le}/archive/example.org/privkey1.pem`, "key", { mode: 0o600 });
  await Deno.chmod(`${le}/archive/example.org/privkey1.pem`, 0o600);
  await Deno.symlink("../../archive/example.org/cert1.pem", `${le}/live/example.org/cert.pem`);
  await Deno.symlink(
    "../../archive/example.org/privkey1.pem",
    `${le}/live/example.org/privkey.pem`,
  );
  return le;
}

function modeOf(path: string): number {
  return Deno.statSync(path).mode! & 0o777;
}

/** A group of this host install.sh may chgrp to: root may use any, others their own. */
function usableGroup(): { name: string; gid: number } | undefined {
  const groups = Deno.readTextFileSync("/etc/group").split("\n").map((l) => l.split(":"));
  const wanted = IS_ROOT
    ? groups.find((g) => g[2] !== "0" && g[0])
    : groups.find((g) => Number(g[2]) === Deno.gid());
  return wanted ? { name: wanted[0]!, gid: Number(wanted[2]) } : undefined;
}

Deno.test({
  name: "install.sh gives the group an ACL on certbot's live/ and archive/ only, idempotently",
  ignore: !SUPPORTED,
  fn: () =>
    withRoot(release(), async (root, served) => {
      const le = await certbotTree(root);
      const tools = await toolPath({ getent: FOUND_GROUP, setfacl: "", chgrp: "exit 1" });
      try {
        for (let i = 0; i < 2; i++) {
          const run = await installer(["--destdir", root, "--base-url", served.baseUrl], {
            PATH: tools.path,
          });
          assert.equal(run.code, 0, run.output);
          assert.match(run.output, /Granted group x509-exporter read access to .*\/live/);
        }
        const acls = (await tools.calls()).filter((c) => !c.startsWith("getent"));
        const once = [
          `setfacl -m g:x509-exporter:rx ${le}/live`,
          `setfacl -m g:x509-exporter:rx ${le}/archive`,
        ];
        assert.deepEqual(acls, [...once, ...once]);
        // Modes stay certbot's: the ACL is the only grant, and the keys get none.
        assert.equal(modeOf(`${le}/live`), 0o700);
        assert.equal(modeOf(`${le}/archive/example.org/privkey1.pem`), 0o600);
      } finally {
        await tools.cleanup();
      }
    }),
});

Deno.test({
  name: "without setfacl, install.sh makes live/ and archive/ group-readable (0750) by the group",
  ignore: !SUPPORTED || usableGroup() === undefined,
  fn: () =>
    withRoot(release(), async (root, served) => {
      const group = usableGroup()!;
      const le = await certbotTree(root);
      const tools = await toolPath({});
      const env = { PATH: tools.path, X509_EXPORTER_GROUP: group.name };
      try {
        for (let i = 0; i < 2; i++) {
          const run = await installer(["--destdir", root, "--base-url", served.baseUrl], env);
          assert.equal(run.code, 0, run.output);
        }
        for (const d of ["live", "archive"]) {
          assert.equal(modeOf(`${le}/${d}`), 0o750, d);
          assert.equal(Deno.statSync(`${le}/${d}`).gid, group.gid, d);
        }
        assert.equal(modeOf(`${le}/archive/example.org/privkey1.pem`), 0o600);
        assert.equal(modeOf(`${le}/archive/example.org`), 0o755);
        const unit = await Deno.readTextFile(`${root}/${UNIT_PATH}`);
        assert.match(unit, new RegExp(`^SupplementaryGroups=${group.name}$`, "m"));
        if (IS_ROOT) {
          const purge = await installer(["--uninstall", "--purge", "--destdir", root], env);
          assert.equal(purge.code, 0, purge.output);
          for (const d of ["live", "archive"]) {
            assert.equal(modeOf(`${le}/${d}`), 0o700, d);
            assert.equal(Deno.statSync(`${le}/${d}`).gid, 0, d);
          }
        }
      } finally {
        await tools.cleanup();
      }
    }),
});

Deno.test({
  name: "without setfacl, install.sh leaves a directory of another group alone and says so",
  ignore: !SUPPORTED,
  fn: () =>
    withRoot(release(), async (root, served) => {
      const le = await certbotTree(root);
      if (IS_ROOT) await Deno.chown(`${le}/live`, null, 1);
      const tools = await toolPath({ getent: FOUND_GROUP, chgrp: "", chmod: "" });
      try {
        const run = await installer(["--destdir", root, "--base-url", served.baseUrl], {
          PATH: tools.path,
        });
        assert.equal(run.code, 0, run.output);
        assert.match(run.output, /warning: .*\/live belongs to group \d+ and setfacl is missing/);
        const calls = (await tools.calls()).filter((c) => /^ch(grp|mod) .*letsencrypt/.test(c));
        // live/ is another group's; archive/ is root's (as root) and changes hands.
        assert.deepEqual(
          calls,
          IS_ROOT ? [`chgrp x509-exporter ${le}/archive`, `chmod g+rx ${le}/archive`] : [],
        );
      } finally {
        await tools.cleanup();
      }
    }),
});

Deno.test({
  name: "in a staging root, install.sh never creates the group, nor grants a missing one",
  ignore: !SUPPORTED,
  fn: () =>
    withRoot(release(), async (root, served) => {
      await certbotTree(root);
      const tools = await toolPath({ getent: "exit 2", groupadd: "", setfacl: "" });
      try {
        const run = await installer(["--destdir", root, "--base-url", served.baseUrl], {
          PATH: tools.path,
        });
        assert.equal(run.code, 0, run.output);
        assert.match(run.output, /Group x509-exporter does not exist on this host: create it/);
        assert.deepEqual((await tools.calls()).filter((c) => !c.startsWith("getent")), []);
      } finally {
        await tools.cleanup();
      }
    }),
});

Deno.test({
  name: "install.sh --no-certbot-access and --no-systemd leave certbot's tree alone",
  ignore: !SUPPORTED,
  fn: () =>
    withRoot(release(), async (root, served) => {
      await certbotTree(root);
      const tools = await toolPath({ getent: FOUND_GROUP, setfacl: "" });
      try {
        for (const flag of ["--no-certbot-access", "--no-systemd"]) {
          const run = await installer(
            ["--destdir", root, "--base-url", served.baseUrl, flag],
            { PATH: tools.path },
          );
          assert.equal(run.code, 0, run.output);
        }
        assert.deepEqual((await tools.calls()).filter((c) => c.startsWith("setfacl")), []);
      } finally {
        await tools.cleanup();
      }
    }),
});

Deno.test({
  name: "install.sh --uninstall --purge removes the group's ACL",
  ignore: !SUPPORTED,
  fn: () =>
    withRoot(release(), async (root, served) => {
      const le = await certbotTree(root);
      const tools = await toolPath({ getent: FOUND_GROUP, setfacl: "", groupdel: "" });
      try {
        const args = ["--destdir", root, "--base-url", served.baseUrl];
        assert.equal((await installer(args, { PATH: tools.path })).code, 0);
        const run = await installer(["--uninstall", "--purge", "--destdir", root], {
          PATH: tools.path,
        });
        assert.equal(run.code, 0, run.output);
        const calls = (await tools.calls()).filter((c) => !c.startsWith("getent"));
        assert.deepEqual(calls.slice(2), [
          `setfacl -x g:x509-exporter ${le}/live`,
          `setfacl -x g:x509-exporter ${le}/archive`,
        ]);
        // groupdel only ever runs on a live host, not into a staging root.
        assert.ok(!calls.some((c) => c.startsWith("groupdel")));
        await Deno.stat(le); // certbot's tree itself stays
        await assert.rejects(() => Deno.stat(`${root}/${CONFIG}`));
      } finally {
        await tools.cleanup();
      }
    }),
});

Deno.test("install.sh refuses a group name that could escape the unit file", async () => {
  const run = await installer(["--dry-run", "--group", "bad#name"]);
  assert.equal(run.code, 1, run.output);
  assert.match(run.output, /invalid group name: bad#name/);
});

Deno.test("the unit, the sysusers entry and install.sh name the same group", async () => {
  const unit = await Deno.readTextFile(UNIT);
  const script = await Deno.readTextFile(`${ROOT}install.sh`);
  const sysusers = await Deno.readTextFile(SYSUSERS);
  const group = unit.match(/^SupplementaryGroups=(\S+)$/m)?.[1];
  assert.equal(group, "x509-exporter");
  assert.match(script, new RegExp(`^GROUP=\\$\\{X509_EXPORTER_GROUP:-${group}\\}$`, "m"));
  assert.match(sysusers, new RegExp(`^g ${group} - `, "m"));
  assert.match(unit, /^DynamicUser=yes$/m);
  assert.match(unit, /^ReadOnlyPaths=.* -\/etc\/letsencrypt( |$)/m);
});

Deno.test("the unit filters system calls the way systemd's own services do", async () => {
  const unit = await Deno.readTextFile(UNIT);
  const filters = [...unit.matchAll(/^SystemCallFilter=(.*)$/gm)].map((m) => m[1]);
  assert.deepEqual(filters, [
    "@system-service pkey_alloc pkey_free pkey_mprotect",
    "~@privileged @resources",
  ]);
  assert.match(unit, /^SystemCallErrorNumber=EPERM$/m);
  assert.match(unit, /^SystemCallArchitectures=native$/m);
});

/** systemd-analyze syscall-filter, expanded: group name to its system calls. */
async function syscallGroups(): Promise<Map<string, Set<string>>> {
  const out = await new Deno.Command("systemd-analyze", {
    args: ["syscall-filter"],
    stdout: "piped",
  })
    .output();
  const raw = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of new TextDecoder().decode(out.stdout).split("\n")) {
    if (/^@\S+/.test(line)) raw.set(line.trim(), current = []);
    else if (current && /^\s+[@a-z_0-9]/.test(line)) current.push(line.trim().split(/\s/)[0]!);
  }
  const expand = (name: string, seen = new Set<string>()): Set<string> => {
    const all = new Set<string>();
    if (seen.has(name)) return all;
    seen.add(name);
    for (const e of raw.get(name) ?? []) {
      if (e.startsWith("@")) { for (const x of expand(e, seen)) all.add(x); }
      else all.add(e);
    }
    return all;
  };
  return new Map([...raw.keys()].map((k) => [k, expand(k)]));
}

Deno.test({
  name: "every system call the exporter makes passes the unit's filter (traced with strace)",
  ignore: Deno.build.os !== "linux" || !hasCommand("strace") || !hasCommand("systemd-analyze"),
  async fn() {
    const groups = await syscallGroups();
    const unit = await Deno.readTextFile(UNIT);
    const [allow, deny] = [...unit.matchAll(/^SystemCallFilter=(.*)$/gm)].map((m) =>
      m[1]!.replace(/^~/, "").split(" ")
    );
    const names = (list: string[]) =>
      new Set(list.flatMap((n) => n.startsWith("@") ? [...groups.get(n)!] : [n]));
    const allowed = names(allow!);
    for (const n of names(deny!)) allowed.delete(n);

    const dir = await Deno.makeTempDir({ prefix: "x509-strace-" });
    try {
      const port = 20000 + Math.floor(Math.random() * 20000);
      await Deno.writeTextFile(`${dir}/cert.pem`, FIXTURE_CERT);
      await Deno.writeTextFile(
        `${dir}/config.yaml`,
        `server: { listen: "127.0.0.1:${port}" }\n` +
          `sources:\n  - { kind: file, name: files, paths: ["${dir}/*.pem"] }\n`,
      );
      const child = new Deno.Command("strace", {
        args: [
          "-f",
          "-c",
          "-o",
          `${dir}/summary`,
          // The exporter stops itself: strace writes its summary once every tracee is gone.
          "timeout",
          "10",
          Deno.execPath(),
          "run",
          "--allow-read",
          "--allow-net",
          "--allow-env",
          "--allow-sys",
          `${ROOT}main.ts`,
          "--config",
          `${dir}/config.yaml`,
        ],
        stdout: "null",
        stderr: "null",
      }).spawn();
      let body = "";
      const get = async (path: string) =>
        await (await fetch(`http://127.0.0.1:${port}${path}`, {
          signal: AbortSignal.timeout(2000),
        })).text();
      for (let i = 0; i < 50 && !body.includes("x509_cert_not_after"); i++) {
        await new Promise((r) => setTimeout(r, 200));
        try {
          body = await get("/metrics");
          await get("/");
        } catch {
          // not listening yet
        }
      }
      await child.status;
      assert.match(body, /x509_cert_not_after/);
      const used = (await Deno.readTextFile(`${dir}/summary`)).split("\n")
        .map((l) => l.trim().split(/\s+/).at(-1)!)
        .filter((n) => /^[a-z_0-9]+$/.test(n) && n !== "total" && n !== "syscall");
      assert.ok(used.length > 20, `too few system calls traced: ${used}`);
      // Run as root, `deno run` itself fchown()s its SQLite caches to root; the compiled binary
      // has no such cache and the unit's user is not root.
      const blocked = used.filter((n) => !allowed.has(n) && !(n === "fchown" && IS_ROOT));
      assert.deepEqual(blocked, [], "system calls the unit would refuse with EPERM");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "systemd-analyze security rates the unit 1.3 or better (was 3.0 without a filter)",
  ignore: !hasCommand("systemd-analyze"),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "x509-unit-" });
    try {
      await Deno.writeTextFile(`${dir}/x509-certificate-exporter`, FIXTURE, { mode: 0o755 });
      const unit = (await Deno.readTextFile(UNIT)).replace(
        "/usr/local/bin/x509-certificate-exporter",
        `${dir}/x509-certificate-exporter`,
      );
      await Deno.writeTextFile(`${dir}/x509-certificate-exporter.service`, unit);
      const out = await new Deno.Command("systemd-analyze", {
        args: [
          "security",
          "--offline=true",
          "--threshold=13",
          `${dir}/x509-certificate-exporter.service`,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(out.stdout);
      if (!text.includes("Overall exposure level")) {
        console.log("skipped: this systemd-analyze has no offline security check");
        return;
      }
      assert.equal(out.code, 0, text.split("\n").slice(-3).join("\n"));
      assert.match(text, /✓ SystemCallFilter=~@privileged/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

// A self-signed certificate (openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256).
const FIXTURE_CERT = await (async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = await new Deno.Command("openssl", {
      args: [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        `${dir}/key.pem`,
        "-subj",
        "/CN=strace",
        "-days",
        "30",
      ],
      stdout: "piped",
      stderr: "null",
    }).output();
    return new TextDecoder().decode(out.stdout);
  } catch {
    return "";
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
})();
