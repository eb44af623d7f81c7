import assert from "node:assert/strict";
import { ConfigErrors } from "../src/config/decode.ts";
import { parseDuration } from "../src/config/duration.ts";
import { flagDocument, FlagError, hasSourceFlags, parseFlags } from "../src/config/flags.ts";
import {
  configSearchPath,
  loadEmbeddedDefault,
  parseConfig,
  staticPrefix,
} from "../src/config/load.ts";

const dir = new URL("./testdata/config/", import.meta.url);
const fixtures = [...Deno.readDirSync(dir)].map((e) => e.name).sort();

function catchConfigErrors(fn: () => unknown): ConfigErrors {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigErrors) return err;
    throw err;
  }
  throw new Error("Expected ConfigErrors");
}

function load(name: string) {
  return parseConfig(Deno.readTextFileSync(new URL(name, dir)), name, "/base");
}

for (const name of fixtures.filter((n) => n.endsWith(".bad.yaml"))) {
  Deno.test(`parseConfig() rejects ${name} naming file, line, column and key`, () => {
    const expected = /^# expect: (.*)$/m.exec(Deno.readTextFileSync(new URL(name, dir)))?.[1];
    assert.ok(expected, "fixture states its expected error");
    const message = catchConfigErrors(() => load(name)).message;
    assert.ok(message.startsWith(expected!), `got: ${message}\nexpected prefix: ${expected}`);
  });
}

for (const name of fixtures.filter((n) => n.endsWith(".good.yaml"))) {
  Deno.test(`parseConfig() accepts ${name}`, () => {
    const { warnings } = load(name);
    // What upstream accepts but would silently ignore is a located warning here.
    const expected = /^# warns: (.*)$/m.exec(Deno.readTextFileSync(new URL(name, dir)))?.[1];
    if (expected) assert.ok(warnings.includes(expected), `got: ${warnings.join("\n")}`);
  });
}

Deno.test("parseConfig() applies upstream defaults to an empty file", () => {
  const { config } = load("empty.good.yaml");
  assert.equal(config.server.listen, ":9793");
  assert.equal(config.web.enableStats, true);
  assert.equal(config.metrics.exposeExpired, true);
  assert.equal(config.metrics.exposeNotBefore, false);
  assert.deepEqual(config.metrics.exposeIssuerFields, ["C", "ST", "L", "O", "OU", "CN"]);
  assert.equal(config.metrics.collisionDiscriminator, "auto");
  assert.equal(config.metrics.collisionDiscriminatorLength, 8);
  assert.equal(config.cache.filePoll.interval, 30_000);
  assert.equal(config.cache.filePoll.skipUnchanged, true);
  assert.deepEqual(config.sources, []);
});

Deno.test("parseConfig() decodes every key of a full file and resolves relative paths", () => {
  const { config } = load("full.good.yaml");
  assert.equal(config.server.webConfigFile, "/base/web.yaml");
  assert.equal(config.log.format, "json");
  assert.equal(config.cache.filePoll.interval, 90_000);
  const [file, kubeconfig, kube] = config.sources;
  assert.ok(file?.kind === "file");
  assert.deepEqual(file.paths, ["/etc/ssl/certs/*.pem", "/base/certs/"]);
  assert.equal(file.refreshInterval, 45_000);
  assert.deepEqual(file.formats, ["pem", "der"]);
  assert.equal(file.followSymlinks, false);
  assert.ok(kubeconfig?.kind === "kubeconfig");
  assert.equal(kubeconfig.refreshInterval, 90_000, "poll sources inherit cache.filePoll.interval");
  assert.ok(kube?.kind === "kubernetes");
  assert.equal(kube.listPageSize, 1000, "listPageSize is clamped to 1..1000");
  assert.equal(kube.refreshInterval, 30 * 60_000);
  assert.deepEqual(kube.rateLimit, { qps: 20, burst: 30 });
  assert.equal(kube.secrets?.types[1]?.format, "pem");
  assert.deepEqual(kube.configMaps?.keyPatterns, ["^ca\\.crt$"]);
});

Deno.test("parseConfig() warns about keys upstream accepts but ignores", () => {
  const { warnings } = load("upstream_ignored.good.yaml");
  const keys = warnings.map((w) => w.split(": ")[1]);
  assert.deepEqual(keys.sort(), [
    "diagnostics",
    "log.timing",
    "server.systemdSocket",
    "sources[0].workers",
  ]);
});

Deno.test("parseConfig() reads server.readTimeout and writeTimeout with upstream's defaults", () => {
  assert.deepEqual(
    [
      parseConfig("", "c.yaml").config.server.readTimeout,
      parseConfig("", "c.yaml").config.server.writeTimeout,
    ],
    [10_000, 30_000],
  );
  const { config, warnings } = parseConfig(
    "server: { readTimeout: 2s, writeTimeout: 1m }\n",
    "c.yaml",
  );
  assert.deepEqual([config.server.readTimeout, config.server.writeTimeout, warnings], [
    2_000,
    60_000,
    [],
  ]);
});

Deno.test("parseConfig() reports every error of a file at once", () => {
  const err = catchConfigErrors(() =>
    parseConfig(
      "metrics: { exposeRelative: maybe, trimPathComponents: x }\nlog: { level: loud }\n",
      "c.yaml",
    )
  );
  assert.equal(err.errors.length, 3);
});

Deno.test("parseDuration() accepts Go durations and rejects the rest", () => {
  assert.equal(parseDuration("30s"), 30_000);
  assert.equal(parseDuration("1h30m"), 5_400_000);
  assert.equal(parseDuration("1.5h"), 5_400_000);
  assert.equal(parseDuration("250ms"), 250);
  assert.equal(parseDuration("0"), 0);
  for (const bad of ["", "30", "s", "1d", "30 s", "-5s"]) {
    assert.equal(parseDuration(bad), undefined, bad);
  }
});

Deno.test("legacy flags map onto the schema and each logs a deprecation", () => {
  const flags = parseFlags([
    "-f",
    "/a.pem",
    "--watch-file=/b.pem",
    "-d",
    "/etc/ssl/",
    "-k",
    "/kc",
    "--watch-kube-secrets",
    "-b",
    "127.0.0.1:1",
    "--debug",
  ]);
  assert.equal(flags.warnings.length, 7);
  assert.ok(hasSourceFlags(flags));
  const { config } = parseConfig("", "flags", { flags: flagDocument(flags, "/") });
  assert.equal(config.server.listen, "127.0.0.1:1");
  assert.equal(config.log.level, "debug");
  const [files, dirSource, kc, kube] = config.sources;
  assert.ok(
    files?.kind === "file" && dirSource?.kind === "file" && kc?.kind === "kubeconfig" &&
      kube?.kind === "kubernetes",
  );
  assert.deepEqual(files.paths, ["/a.pem", "/b.pem"]);
  assert.deepEqual(dirSource.paths, ["/etc/ssl/*"], "--watch-dir is one level");
  assert.deepEqual(kube.secrets?.types[0], {
    type: "kubernetes.io/tls",
    key: "tls.crt",
    keyPatterns: [],
    format: "pem",
  });
});

Deno.test("parseFlags() refuses unknown flags and missing values", () => {
  assert.throws(() => parseFlags(["--nope"]), FlagError);
  assert.throws(() => parseFlags(["--config"]), FlagError);
  assert.equal(parseFlags(["-C", "x.yaml", "--config.check"]).check, true);
});

Deno.test("configSearchPath() follows XDG, then HOME, then /etc", () => {
  assert.deepEqual(
    configSearchPath((n) => ({ XDG_CONFIG_HOME: "/x", HOME: "/h" } as Record<string, string>)[n]),
    [
      "/x/x509-certificate-exporter/config.yaml",
      "/etc/x509-certificate-exporter/config.yaml",
    ],
  );
  assert.deepEqual(configSearchPath((n) => (n === "HOME" ? "/h" : undefined)), [
    "/h/.config/x509-certificate-exporter/config.yaml",
    "/etc/x509-certificate-exporter/config.yaml",
  ]);
});

Deno.test("the embedded default keeps only the locations that exist on this host", async () => {
  const host = new Set(["/etc/kubernetes/pki", "/etc/ssl/certs/ca-certificates.crt"]);
  const loaded = await loadEmbeddedDefault((p) => Promise.resolve(host.has(p)));
  assert.deepEqual(loaded.chosen, [
    "/etc/kubernetes/pki/*.crt",
    "/etc/ssl/certs/ca-certificates.crt",
  ]);
  assert.deepEqual(loaded.config.sources.map((s) => s.name), ["kubeadm-pki", "system-trust-store"]);
  const none = await loadEmbeddedDefault(() => Promise.resolve(false));
  assert.deepEqual(none.config.sources, []);
});

Deno.test("staticPrefix() cuts a glob at its first wildcard component", () => {
  assert.equal(staticPrefix("/etc/kubernetes/pki/*.crt"), "/etc/kubernetes/pki");
  assert.equal(staticPrefix("/etc/ssl/cert.pem"), "/etc/ssl/cert.pem");
  assert.equal(staticPrefix("/*.pem"), "/");
});
