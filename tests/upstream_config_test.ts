/**
 * The config an upstream v4 user brings starts here: every case of upstream's
 * internal/config/config_test.go re-expressed (from what each states), its lenient
 * decoding (unknown keys, YAML 1.1, merge keys, case), and what it refuses.
 */
import assert from "node:assert/strict";
import { ConfigErrors } from "../src/config/decode.ts";
import { flagDocument, parseFlags } from "../src/config/flags.ts";
import { parseConfig } from "../src/config/load.ts";
import { LabelSchema } from "../src/metrics/labels.ts";

function load(yaml: string) {
  return parseConfig(yaml, "c.yaml", "/base");
}

function errorsOf(yaml: string): string {
  try {
    load(yaml);
  } catch (err) {
    if (err instanceof ConfigErrors) return err.message;
    throw err;
  }
  throw new Error("Expected the config to be refused");
}

function warningsOf(yaml: string): string {
  return load(yaml).warnings.join("\n");
}

const MAIN = new URL("../main.ts", import.meta.url).pathname;

/** `--config.check` on `yaml`, as the binary would run it. */
async function check(yaml: string, ...extra: string[]) {
  const dir = await Deno.makeTempDir({ prefix: "x509-compat-" });
  try {
    await Deno.writeTextFile(`${dir}/c.yaml`, yaml);
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", "-R", "-E", "-N", "-S", MAIN, "--config.check", ...extra]
        .concat(["--config", `${dir}/c.yaml`]),
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    return { code: out.code, text: dec.decode(out.stdout) + dec.decode(out.stderr) };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

// --- upstream's config_test.go, case by case ---------------------------------------------

Deno.test("upstream TestDefaultsApplied: listen :9793 and collisionDiscriminator auto", () => {
  const { config } = load("");
  assert.equal(config.server.listen, ":9793");
  assert.equal(config.metrics.collisionDiscriminator, "auto");
});

Deno.test("upstream TestLoadFile: listen, level and one file source with followSymlinks true", () => {
  const { config } = load(
    'server:\n  listen: ":8080"\nlog:\n  level: debug\n' +
      'sources:\n  - kind: file\n    name: test\n    paths: ["/etc/x.pem"]\n',
  );
  assert.equal(config.server.listen, ":8080");
  assert.equal(config.log.level, "debug");
  assert.equal(config.sources.length, 1);
  const [s] = config.sources;
  assert.ok(s?.kind === "file");
  assert.equal(s.followSymlinks, true);
});

Deno.test("upstream TestValidateRejectsBadCollision: collisionDiscriminator yolo is refused", () => {
  assert.match(errorsOf("metrics: { collisionDiscriminator: yolo }"), /collisionDiscriminator/);
});

Deno.test("upstream TestValidateSourceKind: an empty or unknown kind is refused, naming kind", () => {
  assert.match(errorsOf('sources: [{ kind: "", name: x }]'), /kind/);
  assert.match(errorsOf("sources: [{ kind: weird, name: x }]"), /Unknown kind "weird"/);
});

Deno.test("upstream TestValidateFilePathsRequired / Kubeconfig: a source without paths is refused", () => {
  assert.match(errorsOf("sources: [{ kind: file, name: x }]"), /sources\[0\]\.paths/);
  assert.match(errorsOf("sources: [{ kind: kubeconfig, name: x }]"), /sources\[0\]\.paths/);
});

Deno.test("upstream TestValidateFileFormatChecked: an unknown format is refused", () => {
  assert.match(
    errorsOf("sources: [{ kind: file, name: x, paths: [/x], formats: [weird] }]"),
    /sources\[0\]\.formats\[0\]/,
  );
});

Deno.test("upstream TestValidateKubernetesNeedsResources: neither secrets nor configMaps is refused", () => {
  assert.match(
    errorsOf("sources: [{ kind: kubernetes, name: x }]"),
    /must configure secrets or configMaps/,
  );
});

Deno.test("upstream TestValidateKubernetesGlobPatterns: malformed name globs are refused where they are", () => {
  const base = "sources:\n  - kind: kubernetes\n    name: x\n    secrets: { include: ['*'] }\n";
  assert.deepEqual(
    load(base + "    namespaces: { include: [team-*, shared, ns-?] }\n").config.sources.length,
    1,
  );
  assert.match(
    errorsOf(base + "    namespaces: { exclude: ['team-[ab'] }\n"),
    /c\.yaml:5:\d+: sources\[0\]\.namespaces\.exclude\[0\]: Invalid pattern "team-\[ab"/,
  );
  assert.match(
    errorsOf(
      "sources:\n  - kind: kubernetes\n    name: x\n    secrets: { include: [good, 'bad['] }\n",
    ),
    /sources\[0\]\.secrets\.include\[1\]/,
  );
  assert.match(
    errorsOf(base + "    configMaps: { keyPatterns: [a], exclude: ['['] }\n"),
    /sources\[0\]\.configMaps\.exclude\[0\]/,
  );
});

Deno.test("upstream TestValidateCABundleSource: cabundles required, a resource required, globs checked", () => {
  const src = (body: string) => `sources:\n  - kind: cabundle\n    name: x\n${body}`;
  assert.match(errorsOf(src("")), /sources\[0\]\.cabundles: Missing required key "cabundles"/);
  assert.match(errorsOf(src("    cabundles: {}\n")), /Enable at least one of mutating/);
  for (const r of ["mutating", "apiservice", "crdConversion"]) {
    assert.equal(
      load(src(`    cabundles: { resources: { ${r}: true } }\n`)).config.sources.length,
      1,
    );
  }
  assert.match(
    errorsOf(src("    cabundles: { resources: { mutating: true }, include: ['bad['] }\n")),
    /sources\[0\]\.cabundles\.include\[0\]/,
  );
  assert.match(
    errorsOf(src("    cabundles: { resources: { validating: true }, exclude: [good, '['] }\n")),
    /sources\[0\]\.cabundles\.exclude\[1\]/,
  );
  const ok = src(
    "    cabundles:\n      resources: { mutating: true }\n" +
      "      include: [cert-manager-*, linkerd-?]\n      exclude: [test-*]\n",
  );
  assert.equal(load(ok).config.sources.length, 1);
});

Deno.test("upstream TestApplyCLI: the shortcut flags make 2 file, 1 kubeconfig and 1 kubernetes source", () => {
  const flags = parseFlags([
    "-f",
    "/etc/x.pem",
    "-d",
    "/etc/ssl/certs/",
    "-k",
    "/etc/kubernetes/admin.conf",
    "--watch-kube-secrets",
    "-b",
    ":1234",
    "--debug",
    "--profile",
  ]);
  const { config } = parseConfig("", "flags", { flags: flagDocument(flags, "/") });
  assert.equal(config.server.listen, ":1234");
  assert.equal(config.log.level, "debug");
  const kinds = config.sources.map((s) => s.kind).sort();
  assert.deepEqual(kinds, ["file", "file", "kubeconfig", "kubernetes"]);
  assert.ok(flags.warnings.some((w) => w.startsWith("--profile does nothing here")));
});

Deno.test("upstream TestFindAndLoadExplicit: a file with only server.listen loads", () => {
  assert.equal(load('server: { listen: ":99" }').config.server.listen, ":99");
});

Deno.test("upstream TestSanitize: directory names make the --watch-dir source names", () => {
  const flags = parseFlags(["-d", "/etc/ssl/certs", "-d", "///"]);
  const { config } = parseConfig("", "flags", { flags: flagDocument(flags, "/") });
  assert.deepEqual(config.sources.map((s) => s.name), ["cli-dir-etc-ssl-certs", "cli-dir-root"]);
});

// --- lenient decoding: what upstream ignores is a located warning ----------------------

Deno.test("an unknown key upstream would ignore starts, warned with line, column and a did-you-mean", () => {
  const { warnings, config } = load("metrics:\n  exposeRelatve: true\nsurprise: 1\n");
  assert.equal(config.metrics.exposeRelative, false);
  assert.deepEqual(warnings, [
    'c.yaml:2:3: metrics.exposeRelatve: Unknown key "exposeRelatve" is ignored ' +
    '(did you mean "exposeRelative"?)',
    'c.yaml:3:1: surprise: Unknown key "surprise" is ignored',
  ]);
});

Deno.test("a key of another source kind is accepted and said to apply there", () => {
  const w = warningsOf("sources: [{ kind: kubeconfig, name: k, paths: [/k], formats: [pem] }]");
  assert.match(w, /sources\[0\]\.formats: ignored: "formats" applies to file sources/);
});

Deno.test("upstream's chart shape: pathMappings on a kubeconfig source starts, with a warning", () => {
  const yaml =
    "sources:\n  - kind: kubeconfig\n    name: kubelet\n    paths: [/mnt/host/etc/kubernetes/kubelet.conf]\n" +
    "    pathMappings:\n      - { from: /var/lib/kubelet, to: /mnt/host/var/lib/kubelet }\n";
  const { config, warnings } = load(yaml);
  assert.equal(config.sources[0]?.kind, "kubeconfig");
  assert.match(
    warnings.join("\n"),
    /c\.yaml:5:5: sources\[0\]\.pathMappings: accepted but ignored/,
  );
});

Deno.test("upstream's chart shape: metricLabelsFilterList values in the DN lists start, as upstream reads them", () => {
  // The chart copies metricLabelsFilterList into both lists: label names, not DN fields.
  const { config, warnings } = load(
    "metrics:\n  exposeSubjectFields: [subject_CN, filepath, cn, o]\n" +
      "  exposeIssuerFields: [secret_name, issuer_CN]\n",
  );
  assert.deepEqual(config.metrics.exposeSubjectFields, ["O", "CN"], "case-insensitive, order kept");
  assert.deepEqual(config.metrics.exposeIssuerFields, [], "a list naming no DN field keeps none");
  assert.match(warnings.join("\n"), /exposeIssuerFields: .*secret_name, issuer_CN; no DN label/);
  const names = new LabelSchema({
    subjectFields: config.metrics.exposeSubjectFields,
    issuerFields: config.metrics.exposeIssuerFields,
  }).names();
  assert.deepEqual(names.filter((n) => /^(subject|issuer)_/.test(n)), ["subject_O", "subject_CN"]);
});

Deno.test("YAML 1.1 booleans, merge keys and case-insensitive levels and formats, as go-yaml reads them", () => {
  const { config } = load(
    "defaults: &poll { refreshInterval: 10s, followSymlinks: no }\n" +
      "log: { level: WARN, format: JSON }\nweb: { enableStats: off }\n" +
      "sources:\n  - { <<: *poll, kind: file, name: a, paths: [/a] }\n",
  );
  assert.equal(config.log.level, "warn");
  assert.equal(config.log.format, "json");
  assert.equal(config.web.enableStats, false);
  const [s] = config.sources;
  assert.ok(s?.kind === "file");
  assert.equal(s.refreshInterval, 10_000);
  assert.equal(s.followSymlinks, false);
});

Deno.test("an unknown log format means text with a warning; empty values mean the defaults", () => {
  const { config, warnings } = load(
    'log: { format: logfmt, level: "" }\nserver: { listen: "" }\n' +
      'metrics: { collisionDiscriminator: "", collisionDiscriminatorLength: 0, trimPathComponents: -2 }\n' +
      "sources: [{ kind: file, name: a, paths: [/a], formats: [] }]\n",
  );
  assert.equal(config.log.format, "text");
  assert.equal(config.log.level, "info");
  assert.equal(config.server.listen, ":9793");
  assert.equal(config.metrics.collisionDiscriminator, "auto");
  assert.equal(config.metrics.collisionDiscriminatorLength, 8);
  assert.equal(config.metrics.trimPathComponents, 0);
  assert.deepEqual((config.sources[0] as unknown as { formats: string[] }).formats, ["pem"]);
  assert.match(warnings.join("\n"), /log\.format: Unknown value "logfmt" means text/);
});

Deno.test("a zero duration means the default and a huge one is clamped, never a spinning timer", () => {
  const { config, warnings } = load(
    "cache: { filePoll: { interval: 0s } }\n" +
      "sources: [{ kind: kubeconfig, name: k, paths: [/k], refreshInterval: 900h }]\n",
  );
  assert.equal(config.cache.filePoll.interval, 30_000);
  assert.equal((config.sources[0] as { refreshInterval: number }).refreshInterval, 2 ** 31 - 1);
  assert.equal(warnings.length, 2);
});

Deno.test("a Secrets rule without key or keyPatterns starts (upstream reads nothing for it), warned", () => {
  const { warnings } = load(
    "sources:\n  - kind: kubernetes\n    name: k\n    secrets:\n      types: [{ type: Opaque }]\n",
  );
  assert.match(warnings.join("\n"), /secrets\.types\[0\]: Neither key nor keyPatterns is set/);
  assert.match(
    warningsOf("sources: [{ kind: kubernetes, name: k, secrets: {} }]"),
    /sources\[0\]\.secrets: secrets has no types/,
  );
});

Deno.test("caBundle resources default to off, as upstream", () => {
  const { config } = load(
    "sources: [{ kind: cabundle, name: c, cabundles: { resources: { apiservice: true } } }]",
  );
  assert.deepEqual(
    (config.sources[0] as { cabundles: { resources: unknown } }).cabundles.resources,
    {
      mutating: false,
      validating: false,
      apiservice: true,
      crdConversion: false,
    },
  );
});

Deno.test("malformed file globs are refused as upstream's fileglob refuses them", () => {
  assert.match(
    errorsOf("sources: [{ kind: file, name: a, paths: ['/etc/{a,b}/x.pem'] }]"),
    /c\.yaml:1:\d+: sources\[0\]\.paths\[0\]: Invalid pattern .*braces/,
  );
  assert.match(
    errorsOf("sources: [{ kind: file, name: a, paths: [/a], excludePaths: ['/x/[ab'] }]"),
    /excludePaths\[0\]: Invalid pattern/,
  );
});

// --- --config.check catches what would stop startup -----------------------------------

Deno.test("--config.check refuses a listen address that startup could not bind, with file and line", async () => {
  const source = "sources: [{ kind: file, name: a, paths: [/a] }]\n";
  for (const listen of ["9793", "localhost:99999", "[zz]:1", "a b:1"]) {
    const r = await check(`server:\n  listen: "${listen}"\n${source}`);
    assert.equal(r.code, 1, r.text);
    assert.match(r.text, /c\.yaml:2:11: server\.listen: Invalid listen address/);
    assert.equal(r.text.includes("    at "), false, "no stack trace");
  }
  const probe = await check(`server:\n  probeListen: ":70000"\n${source}`);
  assert.match(probe.text, /server\.probeListen: Invalid listen address ":70000": port 70000/);
  const ok = await check(`server:\n  listen: "[::1]:0"\n${source}`);
  assert.equal(ok.code, 0, ok.text);
});

Deno.test("--config.check refuses a config without sources, as upstream's startup does", async () => {
  const r = await check('server: { listen: ":9793" }\n');
  assert.equal(r.code, 1);
  assert.match(r.text, /sources: No source configured/);
});

Deno.test("--config.check prints warnings and exits 0; with --strict it exits 1 on them", async () => {
  const yaml =
    "metrics: { exposeRelatve: true }\nsources: [{ kind: file, name: a, paths: [/a] }]\n";
  const lax = await check(yaml);
  assert.equal(lax.code, 0, lax.text);
  assert.match(lax.text, /warning: .*c\.yaml:1:\d+: metrics\.exposeRelatve: Unknown key/);
  const strict = await check(yaml, "--strict");
  assert.equal(strict.code, 1);
  assert.match(strict.text, /1 warning\(s\) and --strict is set/);
});

// --- flags as upstream's kong CLI -------------------------------------------------------

Deno.test("repeatable flags take comma-separated lists; --probe.listen-address sets the probe listener", () => {
  const flags = parseFlags(["-f", "a.pem,b.pem", "-f", "c.pem", "--probe.listen-address", ":9794"]);
  assert.deepEqual(flags.watchFiles, ["a.pem", "b.pem", "c.pem"]);
  const { config } = parseConfig("", "flags", { flags: flagDocument(flags, "/w") });
  assert.deepEqual((config.sources[0] as unknown as { paths: string[] }).paths, [
    "/w/a.pem",
    "/w/b.pem",
    "/w/c.pem",
  ]);
  assert.equal(config.server.probeListen, ":9794");
});
