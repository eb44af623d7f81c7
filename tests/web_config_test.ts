import assert from "node:assert/strict";
import bcrypt from "bcryptjs";
import { ConfigError } from "../src/errors.ts";
import { createBasicAuth, unauthorized } from "../src/server/basic_auth.ts";
import { loadWebConfig, needsNodeTls } from "../src/server/web_config.ts";
import { makeTestPki, type TestPki } from "./testdata/web/make_certs.ts";

const FIXTURES = new URL("./testdata/web/", import.meta.url);

/** Fixtures are copied next to freshly generated PKI, so their relative paths resolve. */
async function setup(): Promise<TestPki> {
  const pki = await makeTestPki();
  for await (const entry of Deno.readDir(FIXTURES)) {
    if (entry.name.endsWith(".yml")) {
      await Deno.copyFile(new URL(entry.name, FIXTURES), `${pki.dir}/${entry.name}`);
    }
  }
  return pki;
}

const pki = await setup();
// Deno's test sanitizers do not cover temp dirs; clean up once the module is done.
globalThis.addEventListener("unload", () => Deno.removeSync(pki.dir, { recursive: true }));

/** [fixture, line, column, key path, message after "file:line:col: path: "] */
const BAD: [string, number, number, string, string][] = [
  [
    "unknown_key",
    2,
    3,
    "tls_server_config.cert_fil",
    `Unknown key "cert_fil" (did you mean "cert_file"?)`,
  ],
  [
    "unknown_top_key",
    1,
    1,
    "basic_auth_user",
    `Unknown key "basic_auth_user" (did you mean "basic_auth_users"?)`,
  ],
  [
    "client_auth_typo",
    4,
    21,
    "tls_server_config.client_auth_type",
    `Invalid value "RequireAndVerifyClientCrt": expected one of NoClientCert, RequestClientCert, ` +
    `RequireAnyClientCert, VerifyClientCertIfGiven, RequireAndVerifyClientCert ` +
    `(did you mean "RequireAndVerifyClientCert"?)`,
  ],
  ["http2_type", 2, 10, "http_server_config.http2", `Expected true or false, found string "maybe"`],
  ["headers_type", 2, 12, "http_server_config.headers", "Expected a mapping, found a list"],
  [
    "header_name",
    4,
    5,
    "http_server_config.headers.Content-Type",
    `HTTP header "Content-Type" can not be configured`,
  ],
  [
    "header_value",
    3,
    22,
    "http_server_config.headers.X-Frame-Options",
    `Invalid value "allow": expected one of deny, sameorigin`,
  ],
  [
    "bcrypt_hash",
    2,
    10,
    "basic_auth_users.alice",
    "Invalid bcrypt hash: expected $2a$, $2b$ or $2y$ form",
  ],
  [
    "cipher",
    6,
    7,
    "tls_server_config.cipher_suites[1]",
    `Invalid value "TLS_RSA_WITH_RC4_128_SHA" (did you mean "TLS_RSA_WITH_AES_128_CBC_SHA"?)`,
  ],
  ["missing_key", 2, 3, "tls_server_config", "Missing one of key or key_file"],
  [
    "key_mismatch",
    3,
    13,
    "tls_server_config.key_file",
    "Private key does not match the certificate",
  ],
  [
    "ca_without_auth",
    4,
    19,
    "tls_server_config.client_ca_file",
    "Client CAs are configured without a client_auth_type",
  ],
  [
    "verify_without_ca",
    4,
    21,
    "tls_server_config.client_auth_type",
    "RequireAndVerifyClientCert needs client_ca_file or client_ca",
  ],
  [
    "max_tls11",
    4,
    16,
    "tls_server_config.max_version",
    "TLS11 is not supported: Deno's TLS stack speaks TLS12 and TLS13 only",
  ],
  [
    "min_above_max",
    4,
    16,
    "tls_server_config.min_version",
    "min_version TLS13 is above max_version TLS12",
  ],
  [
    "sans_without_cert",
    6,
    24,
    "tls_server_config.client_allowed_sans",
    "client_allowed_sans requires client_auth_type RequireAnyClientCert or RequireAndVerifyClientCert",
  ],
  ["syntax", 2, 14, "", "Invalid YAML: Nested mappings are not allowed in compact mappings"],
  ["duplicate_key", 3, 3, "", "Invalid YAML: Map keys must be unique"],
];

for (const [name, line, column, path, message] of BAD) {
  Deno.test(`loadWebConfig() rejects ${name}.bad.yml at ${line}:${column} ${path}`, async () => {
    const file = `${pki.dir}/${name}.bad.yml`;
    const err = await loadWebConfig(file).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${err}`);
    assert.equal(err.message, `${file}:${line}:${column}: ${path ? `${path}: ` : ""}${message}`);
    assert.deepEqual([err.file, err.line, err.column, err.path], [file, line, column, path]);
  });
}

Deno.test("loadWebConfig() names a missing cert_file, resolved against the config's directory", async () => {
  const file = `${pki.dir}/missing_cert_file.bad.yml`;
  await assert.rejects(loadWebConfig(file), {
    name: "ConfigError",
    message: `${file}:2:14: tls_server_config.cert_file: File not found: ${pki.dir}/missing.crt`,
  });
});

Deno.test("loadWebConfig() reports an unreadable web config file itself", async () => {
  const file = `${pki.dir}/does-not-exist.yml`;
  await assert.rejects(loadWebConfig(file), { message: `${file}: Cannot read file: ${file}` });
});

Deno.test("loadWebConfig() loads every key and warns about the ones rustls cannot honour", async () => {
  const config = await loadWebConfig(`${pki.dir}/full.good.yml`);
  const tls = config.tls!;
  // Relative paths were read from the config's directory, not the working directory.
  assert.equal(tls.cert, pki.pem["server.crt"]);
  assert.equal(tls.key, pki.pem["server.key"]);
  assert.equal(tls.clientCa, pki.pem["ca.crt"]);
  assert.deepEqual(
    [tls.clientAuthType, tls.minVersion, tls.maxVersion, tls.clientAllowedSans],
    ["RequireAndVerifyClientCert", "TLS12", "TLS13", ["scraper.example"]],
  );
  assert.equal(config.http2, false);
  assert.deepEqual(config.headers, {
    "X-Frame-Options": "deny",
    "Strict-Transport-Security": "max-age=31536000",
  });
  assert.deepEqual(Object.keys(config.basicAuthUsers), ["alice", "bob"]);
  assert.equal(needsNodeTls(config), true);
  const rustls = "Deno's TLS stack (rustls) negotiates from its own fixed list";
  assert.deepEqual(config.warnings, [
    `tls_server_config.cipher_suites is not enforced: ${rustls} of modern suites`,
    `tls_server_config.curve_preferences is not enforced: ${rustls} of key exchange groups`,
    `tls_server_config.prefer_server_cipher_suites is not enforced: ${rustls} and its own preference order`,
  ]);
});

Deno.test("loadWebConfig() treats an empty file as plain HTTP with upstream defaults", async () => {
  const config = await loadWebConfig(`${pki.dir}/empty.good.yml`);
  assert.deepEqual(
    { tls: config.tls, http2: config.http2, headers: config.headers, users: config.basicAuthUsers },
    { tls: undefined, http2: true, headers: {}, users: {} },
  );
  assert.deepEqual(config.warnings, []);
});

Deno.test("loadWebConfig() reads YAML 1.1 booleans like go-yaml and raises TLS10 to TLS12", async () => {
  const config = await loadWebConfig(`${pki.dir}/tls_yaml11.good.yml`);
  assert.equal(config.http2, true); // `http2: yes`
  assert.equal(config.tls?.minVersion, "TLS10");
  // Nothing here needs node:https, so Deno.serve (with HTTP/2) will serve it.
  assert.equal(needsNodeTls(config), false);
  assert.deepEqual(config.warnings, [
    "tls_server_config.min_version TLS10 is raised to TLS12: Deno's TLS stack has no TLS 1.0/1.1",
  ]);
});

// Hashes from full.good.yml: alice/s3cret ($2y$), bob/hunter2 ($2a$), both cost 10.
const USERS = (await loadWebConfig(`${pki.dir}/full.good.yml`)).basicAuthUsers;

function withAuth(user: string, password: string): Request {
  const raw = new TextEncoder().encode(`${user}:${password}`);
  return new Request("http://x/metrics", {
    headers: { Authorization: `Basic ${btoa(String.fromCharCode(...raw))}` },
  });
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const value = await fn();
  return [value, performance.now() - start];
}

Deno.test("createBasicAuth() accepts $2y$ and $2a$ hashes and rejects a wrong password", async () => {
  const auth = createBasicAuth(USERS);
  assert.equal(await auth.check(withAuth("alice", "s3cret")), true);
  assert.equal(await auth.check(withAuth("bob", "hunter2")), true);
  assert.equal(await auth.check(withAuth("alice", "hunter2")), false);
  assert.equal(await auth.check(withAuth("alice", "s3cret ")), false);
});

Deno.test("createBasicAuth() accepts the $2b$ hashes htpasswd and bcryptjs write", async () => {
  const hash = await bcrypt.hash("pw", 4);
  assert.match(hash, /^\$2b\$04\$/);
  const auth = createBasicAuth({ carol: hash });
  assert.equal(await auth.check(withAuth("carol", "pw")), true);
  assert.equal(await auth.check(withAuth("carol", "PW")), false);
});

Deno.test("createBasicAuth() rejects requests without usable credentials", async () => {
  const auth = createBasicAuth(USERS);
  assert.equal(await auth.check(new Request("http://x/")), false);
  const bearer = new Request("http://x/", { headers: { Authorization: "Bearer abc" } });
  assert.equal(await auth.check(bearer), false);
  const noColon = new Request("http://x/", {
    headers: { Authorization: `Basic ${btoa("alice")}` },
  });
  assert.equal(await auth.check(noColon), false);
  const response = unauthorized();
  assert.equal(response.status, 401);
  assert.equal(response.headers.get("WWW-Authenticate"), "Basic");
});

Deno.test("createBasicAuth() caches a success so the next scrape skips bcrypt", async () => {
  const auth = createBasicAuth(USERS);
  const [first, slow] = await timed(() => auth.check(withAuth("alice", "s3cret")));
  const [second, fast] = await timed(() => auth.check(withAuth("alice", "s3cret")));
  assert.deepEqual([first, second], [true, true]);
  // Cost 10 is tens of milliseconds on any machine; a SHA-256 and a Set lookup are not.
  assert.ok(slow > 20, `first check took ${slow} ms, expected a real bcrypt compare`);
  assert.ok(fast < slow / 5, `cached check took ${fast} ms vs ${slow} ms uncached`);
  // A wrong password is never cached as a success, and does not evict the good one.
  const [wrong, wrongTime] = await timed(() => auth.check(withAuth("alice", "nope")));
  assert.equal(wrong, false);
  assert.ok(wrongTime > 20, `wrong password took ${wrongTime} ms, bcrypt was skipped`);
});

Deno.test("createBasicAuth() spends a bcrypt compare on unknown users too", async () => {
  const auth = createBasicAuth(USERS);
  const [known] = await timed(() => auth.check(withAuth("alice", "wrong")));
  await auth.check(withAuth("mallory", "x")); // builds the decoy hash once
  // New passwords each time: a repeated wrong one is a remembered failure, fast for both.
  // The fastest of three of each: other tests share the two cores, and only slowness adds.
  let unknownOk = false;
  let unknownTime = Infinity;
  let knownTime = Infinity;
  for (let i = 0; i < 3; i++) {
    const [ok, u] = await timed(() => auth.check(withAuth("mallory", `x${i}`)));
    const [, k] = await timed(() => auth.check(withAuth("alice", `wrong${i}`)));
    unknownOk ||= ok;
    [unknownTime, knownTime] = [Math.min(unknownTime, u), Math.min(knownTime, k)];
  }
  assert.deepEqual([known, unknownOk], [false, false]);
  // Same cost decoy: an unknown user must not answer measurably faster than a known one.
  assert.ok(unknownTime > knownTime / 2, `unknown ${unknownTime} ms vs known ${knownTime} ms`);
});
