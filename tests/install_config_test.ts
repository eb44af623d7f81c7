/**
 * install.sh's starter config and bare-metal extras, installed into temporary
 * roots: the config is the embedded default's sources, with what the root lacks
 * (and what only root may read) commented out, and passes --config.check; the
 * alert rules and dashboard are installed when the release lists them.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import {
  BIN,
  CONFIG,
  installer,
  release,
  ROOT,
  SHARE,
  SUPPORTED,
  tree,
  UNIT_PATH,
  withRoot,
} from "./testing/install_release.ts";

type Source = { kind: string; name: string; paths: string[] };
const DEFAULT = (parse(await Deno.readTextFile(`${ROOT}src/config/default.yaml`)) as {
  sources: Source[];
}).sources;
/** Paths install.sh always leaves commented: they hold private keys (root only). */
const ROOT_ONLY = [
  "/var/lib/kubelet/pki/kubelet-client-current.pem",
  "/var/lib/kubelet/pki/kubelet-server-current.pem",
  "/etc/kubernetes/*.conf",
];
const RULES = "x509-certificate-exporter-rules.yml";
const DASHBOARD = "x509-certificate-exporter-dashboard.json";

/** Creates, under `root`, a file for every location of the embedded default. */
async function everyLocation(root: string) {
  for (const s of DEFAULT) {
    for (const p of s.paths) {
      const file = `${root}${p.replace("*", "example")}`;
      await Deno.mkdir(file.slice(0, file.lastIndexOf("/")), { recursive: true });
      await Deno.writeTextFile(file, "");
    }
  }
}

/** The sources section with every commented source line put back. */
function uncommented(config: string): Source[] {
  const sources = config.slice(config.indexOf("\nsources:\n"), config.indexOf("\n  # Examples:"));
  const yaml = sources.replace(/^ {2}# (- kind: | {2}name: | {2}paths:| {4}- )/gm, "  $1");
  return (parse(yaml) as { sources: Source[] }).sources;
}

async function configCheck(file: string): Promise<{ ok: boolean; out: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}main.ts`, "--config.check", "--config", file],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { ok: out.success, out: dec.decode(out.stdout) + dec.decode(out.stderr) };
}

async function install(root: string, baseUrl: string) {
  const run = await installer(["--destdir", root, "--base-url", baseUrl]);
  assert.equal(run.code, 0, run.output);
  return { run, config: await Deno.readTextFile(`${root}/${CONFIG}`) };
}

Deno.test({
  name: "install.sh writes the embedded default's sources, minus what only root may read",
  ignore: !SUPPORTED,
  fn: () =>
    withRoot(release(), async (root, served) => {
      await everyLocation(root);
      const { config } = await install(root, served.baseUrl);
      assert.deepEqual(uncommented(config), DEFAULT, "the same sources once uncommented");
      const active = (parse(config) as { sources: Source[] }).sources;
      const expected = DEFAULT.map((s) => ({
        ...s,
        paths: s.paths.filter((p) => !ROOT_ONLY.includes(p)),
      })).filter((s) => s.paths.length > 0);
      assert.deepEqual(active, expected);
      assert.deepEqual(active.map((s) => s.name), [
        "kubeadm-pki",
        "kubelet-pki",
        "certbot",
        "system-trust-store",
      ]);
      // The metrics the shipped CertificateError and CertificateNotYetValid alerts read: off, as
      // in the embedded default (they double the series), and one uncommenting away.
      assert.equal((parse(config) as { metrics?: unknown }).metrics, undefined);
      const on = parse(config.replace(/^# (metrics:| {2}expose)/gm, "$1")) as { metrics: unknown };
      assert.deepEqual(on.metrics, { exposePerCertError: true, exposeNotBefore: true });
      const check = await configCheck(`${root}/${CONFIG}`);
      assert.ok(check.ok, check.out);
      assert.match(check.out, /\(4 source\(s\)\)/);
      // The commented examples are valid sources too, once uncommented.
      const marker = "  # Examples:\n";
      const examples = config.slice(config.indexOf(marker) + marker.length).replace(
        /^ {2}# /gm,
        "  ",
      );
      await Deno.writeTextFile(`${root}/examples.yaml`, `sources:\n${examples}`);
      const checkExamples = await configCheck(`${root}/examples.yaml`);
      assert.ok(checkExamples.ok, checkExamples.out);
      assert.match(checkExamples.out, /\(3 source\(s\)\)/);
      assert.doesNotMatch(checkExamples.out, /warn/i);
    }),
});

Deno.test({
  name: "install.sh comments out the locations a Debian host without Kubernetes lacks",
  ignore: !SUPPORTED,
  fn: () =>
    withRoot(release(), async (root, served) => {
      await Deno.mkdir(`${root}/etc/ssl/certs`, { recursive: true });
      await Deno.writeTextFile(`${root}/etc/ssl/certs/ca-certificates.crt`, "");
      const { config } = await install(root, served.baseUrl);
      assert.deepEqual((parse(config) as { sources: Source[] }).sources, [
        {
          kind: "file",
          name: "system-trust-store",
          paths: ["/etc/ssl/certs/ca-certificates.crt"],
        },
      ]);
      assert.match(config, /^ {2}# {5}- \/etc\/ssl\/ca-bundle\.pem$/m);
      assert.match(config, /^ {2}# - kind: file\n {2}# {3}name: certbot$/m);
      assert.deepEqual(uncommented(config), DEFAULT);
      const check = await configCheck(`${root}/${CONFIG}`);
      assert.ok(check.ok, check.out);
      assert.match(check.out, /\(1 source\(s\)\)/);
    }),
});

Deno.test({
  name: "install.sh warns when a host has none of the default locations",
  ignore: !SUPPORTED,
  fn: () =>
    withRoot(release(), async (root, served) => {
      const { config, run } = await install(root, served.baseUrl);
      assert.equal((parse(config) as { sources: unknown }).sources, null);
      assert.deepEqual(uncommented(config), DEFAULT);
      assert.match(run.output, /warning: none of the default locations exists here: add a source/);
      // The exporter refuses a config without sources; install.sh said what to do.
      const check = await configCheck(`${root}/${CONFIG}`);
      if (!check.ok) assert.match(check.out, /No source configured/);
    }),
});

Deno.test({
  name: "install.sh installs the release's alert rules and dashboard, verified",
  ignore: !SUPPORTED,
  fn: () =>
    withRoot(release({ [RULES]: "groups: []\n", [DASHBOARD]: "{}\n" }), async (root, served) => {
      const { run } = await install(root, served.baseUrl);
      assert.deepEqual(
        tree(root),
        [BIN, CONFIG, UNIT_PATH, `${SHARE}/${RULES}`, `${SHARE}/${DASHBOARD}`].sort(),
      );
      assert.equal(await Deno.readTextFile(`${root}/${SHARE}/${RULES}`), "groups: []\n");
      assert.equal((await Deno.stat(`${root}/${SHARE}/${DASHBOARD}`)).mode! & 0o777, 0o644);
      assert.match(run.output, /Verified x509-certificate-exporter-rules\.yml/);
      assert.match(run.output, /Alert rules: \/usr\/local\/share\/x509-certificate-exporter\//);
      const gone = await installer(["--uninstall", "--destdir", root]);
      assert.equal(gone.code, 0, gone.output);
      assert.deepEqual(tree(root), [CONFIG]);
    }),
});

Deno.test({
  name: "install.sh skips the extras of a release that does not list them",
  ignore: !SUPPORTED,
  fn: () =>
    withRoot(
      release({ [RULES]: "groups: []\n" }, { unlisted: [RULES] }),
      async (root, served) => {
        const { run } = await install(root, served.baseUrl);
        assert.deepEqual(tree(root), [BIN, CONFIG, UNIT_PATH].sort());
        assert.match(run.output, /This release has no x509-certificate-exporter-rules\.yml/);
        assert.ok(!served.requests.includes(RULES), "not downloaded");
      },
    ),
});

Deno.test({
  name: "install.sh refuses a tampered rules file and installs nothing",
  ignore: !SUPPORTED,
  fn: () =>
    withRoot(
      release({ [RULES]: "groups: []\n", [DASHBOARD]: "{}\n" }).then((files) => ({
        ...files,
        [RULES]: "groups: [tampered]\n",
      })),
      async (root, served) => {
        const run = await installer(["--destdir", root, "--base-url", served.baseUrl]);
        assert.equal(run.code, 1, run.output);
        assert.match(run.output, /checksum mismatch for x509-certificate-exporter-rules\.yml/);
        assert.deepEqual(tree(root), []);
      },
    ),
});

Deno.test({
  name: "install.sh --dry-run names the extras and the group step",
  ignore: !SUPPORTED,
  fn: () =>
    withRoot(release(), async (root, served) => {
      const run = await installer(["--dry-run", "--destdir", root, "--base-url", served.baseUrl]);
      assert.equal(run.code, 0, run.output);
      assert.deepEqual(tree(root), []);
      assert.ok(run.output.includes(`would install: ${root}/${SHARE}/${RULES}`), run.output);
    }),
});
