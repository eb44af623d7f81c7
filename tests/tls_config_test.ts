import assert from "node:assert/strict";
import { ConfigErrors } from "../src/config/decode.ts";
import { parseConfig } from "../src/config/load.ts";
import { parseAddress } from "../src/sources/kinds/tls.ts";

function tlsSources(yaml: string) {
  return parseConfig(yaml, "/etc/x509/config.yaml").config.sources.filter((s) => s.kind === "tls");
}

function errors(yaml: string): string[] {
  try {
    parseConfig(yaml, "/etc/x509/config.yaml");
  } catch (err) {
    if (err instanceof ConfigErrors) return err.errors.map((e) => e.message);
    throw err;
  }
  throw new Error("Expected ConfigErrors");
}

Deno.test("parseConfig() decodes a tls source with its defaults", () => {
  const [s] = tlsSources(`
sources:
  - kind: tls
    name: edge
    targets:
      - example.com:443
      - { address: 10.0.0.5:8443, serverName: api.internal }
      - { address: mail.example.com:587, starttls: smtp }
      - "[::1]:443"
`);
  assert.ok(s && s.kind === "tls");
  assert.equal(s.refreshInterval, 5 * 60_000);
  assert.equal(s.timeout, 10_000);
  assert.equal(s.concurrency, 16);
  assert.equal(s.caFile, "");
  assert.equal(s.gracePeriod, 15 * 60_000, "three intervals");
  assert.deepEqual(s.targets.map((t) => [t.host, t.port, t.serverName, t.starttls, t.ref]), [
    ["example.com", 443, "example.com", undefined, "tls://example.com:443"],
    ["10.0.0.5", 8443, "api.internal", undefined, "tls://10.0.0.5:8443?sni=api.internal"],
    ["mail.example.com", 587, "mail.example.com", "smtp", "smtp://mail.example.com:587"],
    ["::1", 443, "::1", undefined, "tls://[::1]:443"],
  ]);
});

Deno.test("parseConfig() resolves caFile against the config's directory and takes every key", () => {
  const [s] = tlsSources(`
sources:
  - kind: tls
    name: kube
    refreshInterval: 1m
    timeout: 3s
    concurrency: 4
    caFile: ca.crt
    gracePeriod: 1s
    targets: [kubernetes.default.svc:443]
`);
  assert.ok(s && s.kind === "tls");
  assert.equal(s.caFile, "/etc/x509/ca.crt");
  assert.equal(s.refreshInterval, 60_000);
  assert.equal(s.timeout, 3000);
  assert.equal(s.concurrency, 4);
  assert.equal(s.gracePeriod, 1000);
});

Deno.test("parseConfig() rejects bad tls targets with file, line, column and key path", () => {
  const messages = errors(`
sources:
  - kind: tls
    name: edge
    targets:
      - example.com
      - ::1:443
      - example.com:70000
      - { address: a.test:25, starttls: smtps }
      - { serverName: b.test }
      - 443
      - "bad host:443"
`);
  assert.deepEqual(messages, [
    '/etc/x509/config.yaml:6:9: sources[0].targets[0]: Invalid address "example.com": expected host:port',
    '/etc/x509/config.yaml:7:9: sources[0].targets[1]: Invalid address "::1:443": write IPv6 addresses in brackets, e.g. [::1]:443',
    '/etc/x509/config.yaml:8:9: sources[0].targets[2]: Invalid port in "example.com:70000": expected 1 to 65535',
    '/etc/x509/config.yaml:9:41: sources[0].targets[3].starttls: Invalid value "smtps": expected one of smtp, imap, pop3, ftp, ldap, postgres (did you mean "smtp"?)',
    '/etc/x509/config.yaml:10:9: sources[0].targets[4].address: Missing required key "address"',
    '/etc/x509/config.yaml:11:9: sources[0].targets[5]: Expected "host:port" or a mapping with address, found number 443',
    '/etc/x509/config.yaml:12:9: sources[0].targets[6]: Invalid host name in "bad host:443"',
  ]);
});

Deno.test("parseConfig() requires targets and refuses duplicates", () => {
  assert.deepEqual(errors("sources: [{ kind: tls, name: a }]"), [
    '/etc/x509/config.yaml:1:11: sources[0].targets: Missing required key "targets"',
  ]);
  assert.deepEqual(errors("sources: [{ kind: tls, name: a, targets: [] }]"), [
    "/etc/x509/config.yaml:1:42: sources[0].targets: Expected at least 1 item(s)",
  ]);
  assert.deepEqual(
    errors("sources: [{ kind: tls, name: a, targets: [a.test:443, { address: a.test:443 }] }]"),
    ['/etc/x509/config.yaml: sources[0].targets[1]: Duplicate target "a.test:443"'],
  );
});

/** Errors, else warnings: unknown keys are one or the other depending on the file's leniency. */
function problems(yaml: string): string[] {
  try {
    return [...parseConfig(yaml, "/etc/x509/config.yaml").warnings];
  } catch (err) {
    if (err instanceof ConfigErrors) return err.errors.map((e) => e.message);
    throw err;
  }
}

Deno.test("parseConfig() names a misspelt tls key with a did-you-mean, at its line and column", () => {
  const out = problems(`sources:
  - kind: tls
    name: a
    timout: 1s
    targets: [{ address: a.test:443, servername: b.test }]
`);
  assert.ok(
    out.some((m) =>
      m.startsWith("/etc/x509/config.yaml:4:5: sources[0].timout: Unknown key") &&
      m.includes('(did you mean "timeout"?)')
    ),
    out.join("\n"),
  );
  assert.ok(
    out.some((m) =>
      m.startsWith("/etc/x509/config.yaml:5:38: sources[0].targets[0].servername: Unknown key") &&
      m.includes('(did you mean "serverName"?)')
    ),
    out.join("\n"),
  );
});

Deno.test("parseAddress() accepts host names, IPv4 and bracketed IPv6", () => {
  assert.deepEqual(parseAddress("kubernetes.default.svc:443"), {
    host: "kubernetes.default.svc",
    port: 443,
  });
  assert.deepEqual(parseAddress("127.0.0.1:8443"), { host: "127.0.0.1", port: 8443 });
  assert.deepEqual(parseAddress("[2001:db8::1]:636"), { host: "2001:db8::1", port: 636 });
  assert.equal(typeof parseAddress("[nope]:443"), "string");
  assert.equal(typeof parseAddress("a.test:0"), "string");
  assert.equal(typeof parseAddress("https://a.test:443"), "string");
});
